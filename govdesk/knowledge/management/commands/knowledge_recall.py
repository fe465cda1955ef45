from __future__ import annotations

import json
import os
import random
import time
from collections.abc import Iterable, Sequence
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from govdesk.knowledge import drafts as drafts_core
from govdesk.knowledge.core.search import KnowledgeIndex, SearchDocument

# The search API refuses longer queries, so the console never sends more (title + content, cut).
QUERY_MAX = 500
RANK_DEPTH = 10


class Command(BaseCommand):
    help = (
        "Measure how often the knowledge search finds the right seeded article for a real citizen's question, "
        "without a database: the board's answered messages are grouped and turned into articles exactly as "
        "knowledge_drafts_seed does, indexed with govdesk.knowledge.core.search, and queried. "
        "(a) held out: from every group of two or more messages, --holdout-fraction of them (at least one, never "
        "all) are taken out before the articles are built; each is then asked as a caller would (title + body, "
        f"first {QUERY_MAX} characters) and its group's article, built from the other messages only, is the right "
        "answer. (b) own body: every message's body is asked against the articles built from whole groups (its own "
        "reply may be the article's answer and its own title the article's title: an optimistic upper figure). "
        f"Prints recall@1, recall@5 and MRR (reciprocal rank within the top {RANK_DEPTH}), then one JSON line."
    )
    requires_system_checks: list[str] = []
    requires_migrations_checks = False

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--holdout-fraction", type=float, default=0.2)
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument(
            "--messages",
            type=int,
            default=0,
            metavar="N",
            help="use only the file's first N messages (a quick run; 0: all)",
        )
        parser.add_argument(
            "--own-body-sample",
            type=int,
            default=0,
            metavar="N",
            help="(b) on a random sample of N messages instead of all of them (0: all)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        fraction = options["holdout_fraction"]
        if not 0 < fraction < 1:
            raise CommandError("--holdout-fraction must lie between 0 and 1 (exclusive)")
        started = time.monotonic()
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
        rng = random.Random(options["seed"])  # noqa: S311 - a reproducible sample, not a secret
        messages = drafts_core.messages_read()
        if options["messages"] > 0:
            messages = messages[: options["messages"]]
        pairs = drafts_core.similar_pairs(messages)
        groups = drafts_core.groups_find(messages, pairs=pairs)
        repeated = [g for g in groups if len(g.messages) >= 2]
        self.stdout.write(
            f"{len(messages):,} messages, {len(groups):,} groups ({len(repeated):,} of two or more), "
            f"threshold {drafts_core.GROUP_THRESHOLD}; load average {load:.2f}"
        )

        held_out: list[tuple[drafts_core.Message, int]] = []  # (message, the id of a message left in its group)
        reduced: list[drafts_core.Group] = []
        for group in groups:
            if len(group.messages) < 2:
                reduced.append(group)
                continue
            count = min(len(group.messages) - 1, max(1, round(len(group.messages) * fraction)))
            out = set(rng.sample(range(len(group.messages)), count))
            kept = [m for i, m in enumerate(group.messages) if i not in out]
            reduced.append(drafts_core.Group(messages=kept))
            held_out.extend((m, kept[0].id) for i, m in enumerate(group.messages) if i in out)
        index_a, key_of_a = _index(drafts_core.drafts_build(reduced))
        queries_a = [(_caller_says(m), key_of_a[anchor]) for m, anchor in held_out if anchor in key_of_a]
        result_a = _measure(index_a, queries_a)
        result_a["held_out_without_article"] = len(held_out) - len(queries_a)
        self._report("(a) held-out repeated questions (title + body)", result_a)
        # The same held-out messages without their titles: what is left when a caller does not sum up first.
        bodies_a = [
            (m.body[:QUERY_MAX], key_of_a[anchor]) for m, anchor in held_out if anchor in key_of_a and m.body.strip()
        ]
        result_a_body = _measure(index_a, bodies_a)
        self._report("(a') the same held-out messages, body only", result_a_body)

        index_b, key_of_b = _index(drafts_core.drafts_build(groups))
        asked = [m for m in messages if m.id in key_of_b and m.body.strip()]
        if options["own_body_sample"]:
            asked = rng.sample(asked, min(options["own_body_sample"], len(asked)))
        result_b = _measure(index_b, [(m.body[:QUERY_MAX], key_of_b[m.id]) for m in asked])
        self._report("(b) every message's body against its group's article", result_b)

        summary = {
            "messages": len(messages),
            "groups": len(groups),
            "repeated_groups": len(repeated),
            "threshold": drafts_core.GROUP_THRESHOLD,
            "holdout_fraction": fraction,
            "seed": options["seed"],
            "articles_a": len(index_a),
            "articles_b": len(index_b),
            "held_out": result_a,
            "held_out_body_only": result_a_body,
            "own_body": result_b,
            "seconds": round(time.monotonic() - started, 1),
        }
        self.stdout.write(json.dumps(summary, ensure_ascii=False, sort_keys=True))

    def _report(self, title: str, result: dict[str, Any]) -> None:
        self.stdout.write(
            f"{title}: {result['queries']:,} queries, recall@1 {result['recall_at_1']:.3f}, "
            f"recall@5 {result['recall_at_5']:.3f}, MRR {result['mrr']:.3f} "
            f"({result['ms_per_query']:.1f} ms per query)"
        )


def _caller_says(message: drafts_core.Message) -> str:
    return f"{message.title} {message.body}"[:QUERY_MAX]


def _index(drafts: Iterable[dict[str, Any]]) -> tuple[KnowledgeIndex, dict[int, str]]:
    """The search index of the drafts (as published articles), and message id → its article's key."""
    docs, key_of = [], {}
    for draft in drafts:
        key = draft["source"]
        docs.append(
            SearchDocument(
                key=key, kind="article", title=draft["title"], body=draft["answer"], tags=tuple(draft["tags"])
            )
        )
        for ident in draft["message_ids"]:
            key_of[ident] = key
    return KnowledgeIndex.build(docs), key_of


def _measure(index: KnowledgeIndex, queries: Sequence[tuple[str, str]]) -> dict[str, Any]:
    at_1 = at_5 = 0
    reciprocal = 0.0
    started = time.perf_counter()
    for query, wanted in queries:
        keys = [hit.key for hit in index.search(query, limit=RANK_DEPTH)]
        if wanted in keys:
            rank = keys.index(wanted) + 1
            at_1 += rank == 1
            at_5 += rank <= 5
            reciprocal += 1.0 / rank
    n = len(queries)
    elapsed = time.perf_counter() - started
    return {
        "queries": n,
        "recall_at_1": round(at_1 / n, 4) if n else 0.0,
        "recall_at_5": round(at_5 / n, 4) if n else 0.0,
        "mrr": round(reciprocal / n, 4) if n else 0.0,
        "ms_per_query": round(1000 * elapsed / n, 2) if n else 0.0,
    }
