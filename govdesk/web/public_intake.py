"""The category of a citizen's own submission: the citizen describes the problem and at most picks a plain-language
topic; the system proposes the leaf; the dispatcher decides (the dispatch form's category).

A read only (no writes): the public submit view registers the order with what `public_category_choose` returns.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from govdesk.catalog.models import Category, PublicTopic
from govdesk.catalog.selectors import (
    categories_cached,
    category_default_leaf,
    public_topic_fallback_leaf,
    public_topic_node,
)
from govdesk.dispatch.services import category_propose
from govdesk.workorders.models import CONTENT_MAX_LENGTH

logger = logging.getLogger(__name__)

# The intake's own limit on titles: longer text is refused at registration, so it is not worth classifying.
TITLE_MAX_LENGTH = 200


@dataclass(frozen=True)
class PublicCategory:
    """The leaf a citizen's submission is filed under until the dispatcher decides, and how it was chosen."""

    category: Category | None  # None only when the tree has no leaf at all
    proposed_by: str  # "model": the classifier; "default": the topic's or the catch-all leaf (no usable model)
    confidence: float | None
    model_version: str
    topic: PublicTopic | None

    def event_data(self) -> dict[str, Any]:
        """What the register event keeps (`workorder_register(category_proposal=...)` adds category_proposed)."""
        return {
            "proposed_by": self.proposed_by,
            "confidence": self.confidence,
            "model_version": self.model_version,
            "topic": self.topic.code if self.topic is not None else "",
        }


def _under(leaf: Category | None, node: Category) -> bool:
    return leaf is not None and (leaf.path + "/").startswith(node.path + "/")


def public_category_choose(*, title: str, content: str, topic: PublicTopic | None) -> PublicCategory:
    """The classifier's leaf within the topic's node; without a usable model (or Chinese text), the topic's default
    leaf, else the catch-all topic's. The citizen never sees it: it is the dispatcher's starting point."""
    node = public_topic_node(topic)
    proposal = None
    if len(title) <= TITLE_MAX_LENGTH and len(content) <= CONTENT_MAX_LENGTH:
        try:
            proposal = category_propose(title=title, content=content, topic=node.path if node is not None else "")
        except Exception:
            # A proposal is a convenience: a classifier failure must not cost the citizen the submission.
            logger.exception("public submit: the category proposal failed; the default leaf is used")
    if proposal is None:
        return PublicCategory(public_topic_fallback_leaf(topic), "default", None, "", topic)
    leaf = proposal.leaf
    if leaf is None or leaf.pk not in categories_cached.get().leaf_ids:
        if node is not None:
            fallback = public_topic_fallback_leaf(topic)
            leaf = fallback if _under(fallback, node) else category_default_leaf(node)
        else:
            leaf = category_default_leaf(proposal.level1)
    return PublicCategory(leaf, "model", proposal.confidence, proposal.model_version, topic)
