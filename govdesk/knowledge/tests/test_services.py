"""Knowledge services: a revision's whole life (start, save, submit, return, publish, discard) by the right people
only, each change on the timeline and in the audit trail; publishing appends a version and moves `current`; one
open revision per article; withdrawal; bad input refused naming the field, with nothing written."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import translation

from govdesk.audit.models import AuditEvent
from govdesk.audit.services import audit_chain_verify
from govdesk.cases.models import CaseEvent, CaseKind, CaseUnit
from govdesk.common.errors import InvalidTransition, NotFound, PermissionDenied, ValidationFailed
from govdesk.knowledge import services
from govdesk.knowledge.models import Article, ArticleRevision, ArticleVersion
from govdesk.knowledge.states import TRANSITIONS, Action, Status

from .factories import article_data, draft_revision, published_article, submitted_revision

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
# Mon 2026-11-02 10:00; ten working days later (no holiday in November) is Mon 11-16 at close of business.
STARTED = datetime(2026, 11, 2, 10, 0, tzinfo=SHANGHAI)
DUE = datetime(2026, 11, 16, 17, 30, tzinfo=SHANGHAI)


def fresh(revision: ArticleRevision) -> ArticleRevision:
    return ArticleRevision.objects.select_related("article").get(pk=revision.pk)


def actions(revision: ArticleRevision) -> list[str]:
    return list(CaseEvent.objects.filter(case_id=revision.pk).order_by("pk").values_list("action", flat=True))


def audited(object_id: str) -> list[str]:
    return list(AuditEvent.objects.filter(object_id=object_id).order_by("pk").values_list("action", flat=True))


def snapshot() -> tuple[int, ...]:
    """Counts of everything a knowledge write touches: unchanged after a refused write."""
    return (
        Article.objects.count(),
        ArticleRevision.objects.count(),
        ArticleVersion.objects.count(),
        CaseEvent.objects.count(),
        AuditEvent.objects.count(),
    )


# --- the whole life -----------------------------------------------------------------------------------------------


def test_a_unit_writes_and_the_centre_publishes(people: SimpleNamespace, district: SimpleNamespace) -> None:
    with time_machine.travel(STARTED, tick=False):
        revision = services.knowledge_revision_start(actor=people.handler_a, data=article_data(title="公积金怎么提取"))
    assert revision.kind == CaseKind.KNOWLEDGE and revision.status == Status.DRAFT and revision.is_open
    assert revision.number == "ZX202611020001" and revision.due_at == DUE and revision.reason == "new"
    article = revision.article
    assert article.code == "ZS000001" and article.unit == district.dept_a and article.current is None
    assert revision.primary_unit == district.dept_a and revision.title == "公积金怎么提取"
    assert revision.open_article == article
    assert CaseUnit.objects.filter(case=revision, unit=district.dept_a, is_active=True).exists()
    services.knowledge_revision_save(revision=revision.number, actor=people.handler_a, data={"area": "滨河街道"})
    services.knowledge_revision_submit(revision=revision.number, actor=people.handler_a)
    services.knowledge_revision_return(revision=revision.number, actor=people.dispatcher, note="请补充办理地点")
    returned = fresh(revision)
    assert returned.status == Status.RETURNED and returned.review_note == "请补充办理地点"
    services.knowledge_revision_save(
        revision=revision.number, actor=people.handler_a, data={"answer": "到区政务服务中心二楼公积金窗口办理。"}
    )
    assert fresh(revision).status == Status.RETURNED
    services.knowledge_revision_submit(revision=revision.number, actor=people.handler_a)
    published = services.knowledge_revision_publish(revision=revision.number, actor=people.supervisor, note="同意")
    article.refresh_from_db()
    version = ArticleVersion.objects.get(article=article)
    assert published.pk == revision.pk and published.article.current == version
    assert article.current == version and version.number == 1 and version.title == "公积金怎么提取"
    assert version.answer == "到区政务服务中心二楼公积金窗口办理。" and version.area == "滨河街道"
    assert version.tags == ["公积金", "提取"] and version.policy_basis == "《住房公积金管理条例》第二十四条"
    assert version.published_by == people.supervisor and version.revision_id == revision.pk
    closed = fresh(revision)
    assert closed.status == Status.PUBLISHED and not closed.is_open and closed.open_article is None
    assert closed.closed_at is not None
    assert actions(revision) == ["start", "save", "submit", "return", "save", "submit", "publish"]
    assert CaseEvent.objects.get(case_id=revision.pk, action="publish").data == {
        "article": article.code,
        "version": 1,
    }
    assert audited(revision.number) == [f"knowledge.{a}" for a in actions(revision)]
    assert audit_chain_verify().broken_event_id is None


def test_an_unchanged_save_writes_nothing(people: SimpleNamespace, district: SimpleNamespace) -> None:
    revision = draft_revision(unit=district.dept_a)
    before = snapshot()
    services.knowledge_revision_save(revision=revision.number, actor=people.handler_a, data={"title": revision.title})
    assert snapshot() == before


def test_publishing_an_edit_appends_a_version_and_moves_current(
    people: SimpleNamespace, district: SimpleNamespace
) -> None:
    with time_machine.travel(STARTED, tick=False):
        article = published_article(unit=district.dept_a, title="公积金怎么提取", area="全区")
    first = article.current
    assert first is not None
    with time_machine.travel(STARTED + timedelta(days=3), tick=False):
        revision = services.knowledge_revision_start(
            actor=people.unit_admin_a, article=article.code, data={"answer": "可在线办理：登录公积金网上服务大厅。"}
        )
    assert revision.reason == "edit" and revision.article == article
    # Prefilled from the current version; the data overrides.
    assert (revision.title, revision.area, revision.tags) == ("公积金怎么提取", "全区", ["公积金", "提取"])
    assert revision.answer == "可在线办理：登录公积金网上服务大厅。" and revision.valid_from == first.valid_from
    services.knowledge_revision_submit(revision=revision, actor=people.handler_a)
    # The article still shows version 1 while the edit waits.
    assert Article.objects.get(pk=article.pk).current == first
    with time_machine.travel(STARTED + timedelta(days=4), tick=False):
        services.knowledge_revision_publish(revision=revision, actor=people.dispatcher)
    article_now = Article.objects.select_related("current").get(pk=article.pk)
    assert article_now.current is not None and article_now.current.number == 2
    assert article_now.current.answer == "可在线办理：登录公积金网上服务大厅。"
    assert article_now.updated_at == STARTED + timedelta(days=4)
    # Version 1 is kept as it was published.
    old = ArticleVersion.objects.get(pk=first.pk)
    assert (old.number, old.answer, old.published_at) == (1, first.answer, first.published_at)
    assert list(article_now.versions.order_by("number").values_list("number", flat=True)) == [1, 2]


def test_a_discarded_draft_publishes_nothing(people: SimpleNamespace, district: SimpleNamespace) -> None:
    article = published_article(unit=district.dept_a)
    revision = services.knowledge_revision_start(actor=people.handler_a, article=article, data={"title": "新问题"})
    services.knowledge_revision_discard(revision=revision.number, actor=people.handler_a, note="不需要修改")
    assert fresh(revision).status == Status.DISCARDED and fresh(revision).open_article is None
    assert Article.objects.get(pk=article.pk).current == article.current
    # The centre may discard a unit's draft too; then a new revision may start.
    second = services.knowledge_revision_start(actor=people.handler_a, article=article, data={})
    services.knowledge_revision_discard(revision=second.number, actor=people.supervisor)
    assert fresh(second).status == Status.DISCARDED


# --- every (status, action) pair ----------------------------------------------------------------------------------


def _revision_in(status: Status, people: SimpleNamespace, district: SimpleNamespace) -> ArticleRevision:
    revision = draft_revision(unit=district.dept_a)
    if status is Status.DRAFT:
        return revision
    if status is Status.DISCARDED:
        return services.knowledge_revision_discard(revision=revision.number, actor=people.handler_a)
    services.knowledge_revision_submit(revision=revision.number, actor=people.handler_a)
    if status is Status.SUBMITTED:
        return fresh(revision)
    if status is Status.RETURNED:
        return services.knowledge_revision_return(revision=revision.number, actor=people.supervisor, note="补充")
    assert status is Status.PUBLISHED
    return services.knowledge_revision_publish(revision=revision.number, actor=people.supervisor)


def _take(action: Action, number: str, people: SimpleNamespace) -> ArticleRevision:
    calls: dict[Action, Callable[[], ArticleRevision]] = {
        Action.SAVE: lambda: services.knowledge_revision_save(
            revision=number, actor=people.handler_a, data={"area": "全区（含开发区）"}
        ),
        Action.SUBMIT: lambda: services.knowledge_revision_submit(revision=number, actor=people.handler_a),
        Action.RETURN: lambda: services.knowledge_revision_return(revision=number, actor=people.supervisor, note="改"),
        Action.PUBLISH: lambda: services.knowledge_revision_publish(revision=number, actor=people.supervisor),
        Action.DISCARD: lambda: services.knowledge_revision_discard(revision=number, actor=people.handler_a),
    }
    return calls[action]()


@pytest.mark.parametrize("status", list(Status))
@pytest.mark.parametrize("action", list(Action))
def test_every_status_and_action(
    status: Status, action: Action, people: SimpleNamespace, district: SimpleNamespace
) -> None:
    revision = _revision_in(status, people, district)
    row = TRANSITIONS.get((status, action))
    if row is None:
        before = snapshot()
        with pytest.raises(InvalidTransition):
            _take(action, revision.number, people)
        assert snapshot() == before and fresh(revision).status == status
    else:
        result = _take(action, revision.number, people)
        assert result.status == row.target and fresh(revision).status == row.target
        assert actions(revision)[-1] == action.value


# --- who may do what ----------------------------------------------------------------------------------------------


def test_who_may_start_a_new_article(people: SimpleNamespace, district: SimpleNamespace) -> None:
    data = article_data()
    # Unit writers: their own unit; an administrator also a unit below theirs.
    assert services.knowledge_revision_start(actor=people.handler_a, data=data).article.unit == district.dept_a
    community = services.knowledge_revision_start(actor=people.street_admin, data=data, unit=district.community.code)
    assert community.article.unit == district.community
    with pytest.raises(PermissionDenied):
        services.knowledge_revision_start(actor=people.handler_a, data=data, unit=district.dept_b)
    with pytest.raises(PermissionDenied):
        services.knowledge_revision_start(actor=people.street_handler, data=data, unit=district.community)
    # The centre names the unit.
    assert services.knowledge_revision_start(actor=people.dispatcher, data=data, unit=district.dept_b).article.unit
    with translation.override("en"), pytest.raises(ValidationFailed) as missing:
        services.knowledge_revision_start(actor=people.supervisor, data=data)
    assert list(missing.value.fields) == ["unit"]
    with pytest.raises(ValidationFailed) as unknown:
        services.knowledge_revision_start(actor=people.supervisor, data=data, unit="NO-SUCH")
    assert list(unknown.value.fields) == ["unit"]
    before = snapshot()
    for user in (people.operator, people.leader, people.citizen, people.sysadmin):
        with pytest.raises(PermissionDenied):
            services.knowledge_revision_start(actor=user, data=data, unit=district.dept_a)
    assert snapshot() == before


def test_another_units_writer_hears_not_found(people: SimpleNamespace, district: SimpleNamespace) -> None:
    revision = draft_revision(unit=district.dept_a)
    draft_article = revision.article
    before = snapshot()
    with pytest.raises(NotFound):
        services.knowledge_revision_save(revision=revision.number, actor=people.handler_b, data={"title": "改"})
    with pytest.raises(NotFound):
        services.knowledge_revision_submit(revision=revision.number, actor=people.handler_b)
    with pytest.raises(NotFound):
        services.knowledge_revision_discard(revision=revision.number, actor=people.street_admin)
    with pytest.raises(NotFound):
        services.knowledge_revision_start(actor=people.handler_b, article=draft_article.code, data={})
    with pytest.raises(NotFound):
        services.knowledge_revision_save(revision="ZX209901019999", actor=people.supervisor, data={})
    # A published article is visible to other units, but not theirs to edit.
    article = published_article(unit=district.dept_a)
    with pytest.raises(PermissionDenied):
        services.knowledge_revision_start(actor=people.handler_b, article=article.code, data={})
    assert fresh(revision).status == Status.DRAFT and fresh(revision).title == revision.title
    assert snapshot()[:2] == (before[0] + 1, before[1] + 1)  # only the published article's own


def test_the_unit_writes_and_the_centre_reviews(people: SimpleNamespace, district: SimpleNamespace) -> None:
    revision = submitted_revision(unit=district.dept_a)
    before = snapshot()
    # A unit writer may not review (role first: 403 even on their own unit's revision).
    for actor in (people.handler_a, people.unit_admin_a, people.operator, people.leader):
        with pytest.raises(PermissionDenied):
            services.knowledge_revision_publish(revision=revision.number, actor=actor)
        with pytest.raises(PermissionDenied):
            services.knowledge_revision_return(revision=revision.number, actor=actor, note="改")
    # The centre may not write the unit's draft.
    services.knowledge_revision_return(revision=revision.number, actor=people.supervisor, note="改")
    with pytest.raises(PermissionDenied):
        services.knowledge_revision_save(revision=revision.number, actor=people.dispatcher, data={"title": "改"})
    with pytest.raises(PermissionDenied):
        services.knowledge_revision_submit(revision=revision.number, actor=people.supervisor)
    assert snapshot()[2] == before[2] and fresh(revision).status == Status.RETURNED


# --- bad input ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "fields"),
    [
        ({"title": "问" * 201}, {"title"}),
        ({"answer": "答" * 4001}, {"answer"}),
        ({"answer": "含控制字符\x07"}, {"answer"}),
        ({"area": "区" * 101}, {"area"}),
        ({"valid_from": "2026-13-01"}, {"valid_from"}),
        ({"valid_from": 20260101}, {"valid_from"}),
        ({"valid_from": "2026-06-01", "valid_to": "2026-05-31"}, {"valid_to"}),
        ({"valid_from": "1800-01-01"}, {"valid_from"}),
        ({"tags": [f"标签{i}" for i in range(11)]}, {"tags"}),
        ({"tags": ["长" * 21]}, {"tags"}),
        ({"tags": [1, 2]}, {"tags"}),
        ({"title": 5, "tags": {"a": 1}}, {"title", "tags"}),
    ],
)
def test_a_malformed_draft_is_refused_naming_its_fields(
    data: dict[str, Any], fields: set[str], people: SimpleNamespace, district: SimpleNamespace
) -> None:
    revision = draft_revision(unit=district.dept_a)
    before = snapshot()
    with pytest.raises(ValidationFailed) as refused:
        services.knowledge_revision_save(revision=revision.number, actor=people.handler_a, data=data)
    assert set(refused.value.fields) == fields
    with pytest.raises(ValidationFailed) as refused_new:
        services.knowledge_revision_start(actor=people.handler_a, data={**article_data(), **data})
    assert set(refused_new.value.fields) == fields
    assert snapshot() == before


def test_submitting_needs_a_complete_draft(people: SimpleNamespace, district: SimpleNamespace) -> None:
    revision = services.knowledge_revision_start(actor=people.handler_a, data={"title": "只有标题"})
    before = snapshot()
    with translation.override("en"), pytest.raises(ValidationFailed) as refused:
        services.knowledge_revision_submit(revision=revision.number, actor=people.handler_a)
    assert set(refused.value.fields) == {"answer", "valid_from"}
    assert refused.value.fields["answer"] == ["Write the answer."]
    with pytest.raises(ValidationFailed) as ended:
        services.knowledge_revision_submit(
            revision=revision.number,
            actor=people.handler_a,
            data={"answer": "答", "valid_from": "2020-01-01", "valid_to": "2020-12-31"},
        )
    assert set(ended.value.fields) == {"valid_to"}
    assert snapshot() == before and fresh(revision).answer == ""
    # Given in the submission itself, it goes through.
    services.knowledge_revision_submit(
        revision=revision.number, actor=people.handler_a, data={"answer": "答复内容", "valid_from": date(2026, 1, 1)}
    )
    assert fresh(revision).status == Status.SUBMITTED and fresh(revision).answer == "答复内容"


def test_returning_needs_a_note(people: SimpleNamespace, district: SimpleNamespace) -> None:
    revision = submitted_revision(unit=district.dept_a)
    with pytest.raises(ValidationFailed) as refused:
        services.knowledge_revision_return(revision=revision.number, actor=people.supervisor, note="  ")
    assert list(refused.value.fields) == ["note"] and fresh(revision).status == Status.SUBMITTED


def test_tags_typed_as_one_line(people: SimpleNamespace, district: SimpleNamespace) -> None:
    revision = draft_revision(unit=district.dept_a)
    services.knowledge_revision_save(
        revision=revision.number, actor=people.handler_a, data={"tags": "公积金, 提取、公积金 ；贷款"}
    )
    assert fresh(revision).tags == ["公积金", "提取", "贷款"]


# --- one open revision per article --------------------------------------------------------------------------------


def test_a_second_revision_of_an_article_is_a_conflict_naming_the_open_one(
    people: SimpleNamespace, district: SimpleNamespace
) -> None:
    article = published_article(unit=district.dept_a)
    first = services.knowledge_revision_start(actor=people.handler_a, article=article.code, data={})
    before = snapshot()
    with pytest.raises(InvalidTransition) as conflict:
        services.knowledge_revision_start(actor=people.unit_admin_a, article=article.code, data={"title": "再改"})
    assert conflict.value.code == "conflict" and conflict.value.status_code == 409
    assert first.number in conflict.value.message
    assert snapshot() == before
    assert Article.objects.get(pk=article.pk).open_revision == first
    # Once it is published, the next may start.
    services.knowledge_revision_submit(revision=first.number, actor=people.handler_a)
    services.knowledge_revision_publish(revision=first.number, actor=people.supervisor)
    second = services.knowledge_revision_start(actor=people.handler_a, article=article.code, data={})
    assert second.article == article and second.number != first.number


def test_the_database_keeps_one_open_revision_per_article(people: SimpleNamespace, district: SimpleNamespace) -> None:
    """Two starts racing past the check: the unique open_article refuses the second insert (a 409, not a 500)."""
    revision = draft_revision(unit=district.dept_a)
    article = revision.article
    assert revision.due_at is not None
    with pytest.raises(InvalidTransition) as conflict:
        services._revision_new(
            article=article,
            draft=services.Draft(title="并发", tags=[]),
            reason="edit",
            actor=people.handler_a,
            now=revision.created_at,
            due_at=revision.due_at,
        )
    assert conflict.value.code == "conflict"
    assert ArticleRevision.objects.filter(article=article).count() == 1


# --- withdrawal ---------------------------------------------------------------------------------------------------


def test_the_centre_withdraws_an_article(people: SimpleNamespace, district: SimpleNamespace) -> None:
    with time_machine.travel(STARTED, tick=False):
        article = published_article(unit=district.dept_a)
    edit = services.knowledge_revision_start(actor=people.handler_a, article=article.code, data={})
    services.knowledge_revision_submit(revision=edit.number, actor=people.handler_a)
    before = snapshot()
    for actor in (people.handler_a, people.unit_admin_a, people.operator):
        with pytest.raises(PermissionDenied):
            services.knowledge_article_withdraw(article=article.code, actor=actor, note="错误")
    with pytest.raises(ValidationFailed) as no_note:
        services.knowledge_article_withdraw(article=article.code, actor=people.supervisor, note="")
    assert list(no_note.value.fields) == ["note"]
    assert snapshot() == before
    with time_machine.travel(STARTED + timedelta(days=1), tick=False):
        withdrawn = services.knowledge_article_withdraw(article=article.code, actor=people.supervisor, note="政策废止")
    assert withdrawn.is_withdrawn and withdrawn.updated_at == STARTED + timedelta(days=1)
    assert withdrawn.current == article.current  # kept for the history of the answers that cited it
    # Its open revision is closed with the withdrawal's note.
    closed = fresh(edit)
    assert closed.status == Status.DISCARDED and not closed.is_open and closed.open_article is None
    assert CaseEvent.objects.get(case_id=edit.pk, action="discard").note == "政策废止"
    (event,) = AuditEvent.objects.filter(action="knowledge.withdraw")
    assert (event.object_id, event.from_state, event.to_state, event.note) == (
        article.code,
        "published",
        "withdrawn",
        "政策废止",
    )
    with pytest.raises(InvalidTransition):
        services.knowledge_article_withdraw(article=article.code, actor=people.supervisor, note="再撤")
    with pytest.raises(InvalidTransition):
        services.knowledge_revision_start(actor=people.handler_a, article=article.code, data={})
    assert audit_chain_verify().broken_event_id is None


def test_a_withdrawn_articles_pending_draft_cannot_be_published(
    people: SimpleNamespace, district: SimpleNamespace
) -> None:
    article = published_article(unit=district.dept_a)
    edit = services.knowledge_revision_start(actor=people.handler_a, article=article.code, data={})
    services.knowledge_article_withdraw(article=article, actor=people.dispatcher, note="撤下")
    with pytest.raises(InvalidTransition):
        services.knowledge_revision_submit(revision=edit.number, actor=people.handler_a)
    assert ArticleVersion.objects.filter(article=article).count() == 1


def test_a_revision_is_internal_work_nobody_rates(people: SimpleNamespace, district: SimpleNamespace) -> None:
    from govdesk.evaluations.models import Evaluation
    from govdesk.evaluations.services import evaluation_create

    revision = published_article(unit=district.dept_a).current.revision  # type: ignore[union-attr]
    assert not revision.is_open
    with pytest.raises(NotFound):
        evaluation_create(case=revision.number, level=5, channel="pad", actor=people.operator)
    assert not Evaluation.objects.exists()
