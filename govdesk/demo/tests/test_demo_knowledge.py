"""The demo's knowledge base (`make run`: `knowledge_drafts_seed --if-empty --publish-demo 150` after `seed_demo`):
the demo units' own writers submit, the centre's dispatcher publishes, the rest stay drafts for the units.

Small numbers (--limit) keep it quick; the classifier is stood in for by a fixed labelling so the drafts spread over
the demo's dispatch rules as the trained model spreads them (tests have no trained model).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from govdesk.knowledge.management.commands import knowledge_drafts_seed
from govdesk.knowledge.models import Article, ArticleRevision, Reason
from govdesk.knowledge.states import Status
from govdesk.org.models import Role, User

PASSWORD = "Demo-Passw0rd-2026!"
LABELS = ("城乡建设", "劳动和社会保障", "教育文体", "卫生计生", "交通运输", "环境保护", "商贸旅游")


@pytest.fixture
def demo(db: Any, tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOVDESK_DEMO_PASSWORD", PASSWORD)
    options = ["--orders", "0", "--applications", "0", "--ratings", "0", "--packages", "0", "--projects", "0"]
    call_command("seed_demo", *options, "--password-file", str(tmp_path / "pw"), stdout=StringIO())

    def fixed_labels(_say: Any) -> Any:
        def classify(titles: Sequence[str], _bodies: Sequence[str]) -> list[str]:
            return list(itertools.islice(itertools.cycle(LABELS), len(titles)))

        return classify

    monkeypatch.setattr(knowledge_drafts_seed, "_classifier", fixed_labels)


def test_demo_publishes_through_the_units_writers_and_the_centre(demo: None) -> None:
    out = StringIO()
    call_command("knowledge_drafts_seed", "--limit", "21", "--publish-demo", "8", stdout=out)
    assert "published 8 seeded drafts" in out.getvalue(), out.getvalue()
    seeded = ArticleRevision.objects.filter(reason=Reason.SEEDED)
    assert seeded.count() == 21
    assert seeded.filter(status=Status.PUBLISHED).count() == 8
    assert seeded.filter(status=Status.DRAFT).count() == 13
    # The drafts went to the units the demo's dispatch rules name, several of them.
    assert seeded.values("primary_unit").distinct().count() >= 4
    reviewer = User.objects.get(username="dispatcher")
    for article in Article.objects.filter(current__isnull=False).select_related("current", "unit"):
        assert article.current is not None and article.current.published_by == reviewer
        writers = User.objects.filter(unit=article.unit, groups__name__in=[Role.HANDLER.value, Role.UNIT_ADMIN.value])
        assert writers.exists(), article.unit.code

    # `make run` again: nothing new, and the grouping is not even redone.
    again = StringIO()
    call_command("knowledge_drafts_seed", "--if-empty", "--publish-demo", "8", stdout=again)
    assert "already seeded: 21 drafts" in again.getvalue()
    assert "published 0 seeded drafts (already published before: 8)" in again.getvalue()
    assert seeded.count() == 21
