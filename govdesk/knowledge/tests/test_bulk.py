"""Seeded drafts in bulk (`knowledge_drafts_bulk_create`, for the seeding command): one unpublished article and one
"seeded" draft revision per dict, a case like any other (unit, deadline, timeline, audit); a second run adds nothing;
one wrong draft refuses the whole batch naming it, with nothing written."""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from govdesk.audit.models import AuditEvent
from govdesk.audit.services import audit_chain_verify
from govdesk.cases.models import CaseEvent, CaseUnit
from govdesk.common.errors import PermissionDenied, ValidationFailed
from govdesk.knowledge import services
from govdesk.knowledge.models import Article, ArticleRevision

from .factories import draft_revision

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 2, 10, 0, tzinfo=SHANGHAI)


def seeded(n: int, *, start: int = 0) -> list[dict[str, Any]]:
    return [
        {
            "title": f"历史问题{i}",
            "answer": f"历史答复{i}：请到区政务服务中心办理。",
            "policy_basis": "《某某条例》第十条" if i % 2 else "",
            "area": "A1区",
            "tags": ["政务", f"t{i}"],
            "source": f"messages_replies: {1000 + i}, {2000 + i}",
            "category": "劳动和社会保障" if i % 2 else "城乡建设",
        }
        for i in range(start, start + n)
    ]


def test_drafts_are_created_in_bulk_once(people: SimpleNamespace, district: SimpleNamespace) -> None:
    # An article written by hand first: the seeded codes continue its sequence.
    draft_revision(unit=district.dept_a)

    def unit_for(draft: dict[str, Any]) -> Any:
        return district.dept_b if draft["category"] == "劳动和社会保障" else district.dept_a

    with time_machine.travel(NOW, tick=False):
        assert services.knowledge_drafts_bulk_create(drafts=seeded(5), actor=None, unit_for=unit_for) == 5
    revisions = list(ArticleRevision.objects.filter(reason="seeded").select_related("article").order_by("pk"))
    assert [r.article.code for r in revisions] == [f"ZS{n:06d}" for n in range(2, 7)]
    assert len({r.number for r in revisions}) == 5 and all(r.number.startswith("ZX20261102") for r in revisions)
    first, second = revisions[0], revisions[1]
    assert (first.title, first.status, first.is_open, first.valid_from, first.article.current) == (
        "历史问题0",
        "draft",
        True,
        None,
        None,
    )
    assert first.source == "messages_replies: 1000, 2000" and first.tags == ["政务", "t0"]
    assert first.article.unit == district.dept_a and second.article.unit == district.dept_b
    assert first.primary_unit == district.dept_a and first.open_article == first.article
    assert first.due_at == datetime(2026, 11, 16, 17, 30, tzinfo=SHANGHAI)
    assert CaseUnit.objects.filter(case_id__in=[r.pk for r in revisions], is_active=True).count() == 5
    assert list(CaseEvent.objects.filter(case_id=first.pk).values_list("action", flat=True)) == ["start"]
    assert AuditEvent.objects.filter(action="knowledge.start", object_id=first.number).exists()
    # A second run (plus one new draft, and one repeated within the batch) adds only the new one.
    again = [*seeded(5), *seeded(1, start=5), *seeded(1, start=5)]
    with time_machine.travel(NOW, tick=False):
        assert services.knowledge_drafts_bulk_create(drafts=again, actor=None, unit_for=unit_for) == 1
        assert services.knowledge_drafts_bulk_create(drafts=again, actor=None, unit_for=unit_for) == 0
    assert ArticleRevision.objects.filter(reason="seeded").count() == 6
    # A seeded draft is a draft like any other: the unit completes and submits it.
    services.knowledge_revision_submit(revision=first.number, actor=people.handler_a, data={"valid_from": "2026-01-01"})
    assert ArticleRevision.objects.get(pk=first.pk).status == "submitted"
    assert audit_chain_verify().broken_event_id is None


def test_one_wrong_draft_refuses_the_batch(people: SimpleNamespace, district: SimpleNamespace) -> None:
    drafts = seeded(3)
    drafts[1]["answer"] = ""
    drafts[2]["source"] = "s" * 201
    before = (Article.objects.count(), CaseEvent.objects.count(), AuditEvent.objects.count())
    with pytest.raises(ValidationFailed) as refused:
        services.knowledge_drafts_bulk_create(drafts=drafts, actor=None, unit_for=lambda d: district.dept_a)
    assert set(refused.value.fields) == {"drafts.1.answer", "drafts.2.source"}
    with pytest.raises(ValidationFailed) as no_unit:
        services.knowledge_drafts_bulk_create(drafts=seeded(2), actor=None, unit_for=lambda d: None)  # type: ignore[arg-type,return-value]
    assert set(no_unit.value.fields) == {"drafts.0.unit", "drafts.1.unit"}
    assert (Article.objects.count(), CaseEvent.objects.count(), AuditEvent.objects.count()) == before


def test_only_the_centre_seeds_drafts(people: SimpleNamespace, district: SimpleNamespace) -> None:
    with pytest.raises(PermissionDenied):
        services.knowledge_drafts_bulk_create(
            drafts=seeded(1), actor=people.handler_a, unit_for=lambda d: district.dept_a
        )
    assert (
        services.knowledge_drafts_bulk_create(
            drafts=seeded(1), actor=people.supervisor, unit_for=lambda d: district.dept_a
        )
        == 1
    )
    assert ArticleRevision.objects.get().created_by == people.supervisor
