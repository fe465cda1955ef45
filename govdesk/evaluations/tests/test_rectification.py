"""The rectification (整改) of a bad rating: its table, the whole lifecycle, the deadline, appeals, roles, audit."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
import time_machine

from govdesk.audit.models import AuditEvent
from govdesk.audit.services import audit_chain_verify
from govdesk.cases.models import CaseEvent, CaseKind, CaseUnit
from govdesk.cases.services import case_deadlines_sweep
from govdesk.common.errors import InvalidTransition, NotFound, PermissionDenied, ValidationFailed
from govdesk.evaluations import services
from govdesk.evaluations.models import Evaluation, Rectification, Verification
from govdesk.evaluations.states import (
    ACTION_ACTOR,
    TRANSITIONS,
    Actor,
    RectificationAction,
    RectificationStatus,
    transition_for,
)

from .helpers import at, bad_rating, fresh

pytestmark = pytest.mark.django_db
S = RectificationStatus
A = RectificationAction


def test_a_bad_rating_opens_a_rectification_for_the_responsible_unit(people, district, categories) -> None:
    order, evaluation, rect = bad_rating(people, district, categories, level=2)
    assert rect.kind == CaseKind.RECTIFICATION and rect.status == S.VERIFYING and rect.is_open
    assert rect.number.startswith("ZG") and len(rect.number) == 16
    assert rect.primary_unit == district.dept_a and rect.created_by == people.citizen
    assert CaseUnit.objects.filter(case=rect, unit=district.dept_a, role="primary", is_active=True).exists()
    assert evaluation.verification == Verification.PENDING
    assert order.number in rect.title
    assert CaseEvent.objects.filter(case=rect, action="open", to_status=S.VERIFYING).exists()
    assert CaseEvent.objects.get(case=order, action="evaluate").data["rectification"] == rect.number


def test_a_basically_satisfied_rating_opens_none(people, district, categories) -> None:
    from .helpers import citizen_order

    order = citizen_order(people, district, categories)
    services.evaluation_create(case=order, level=3, channel="web", actor=people.citizen)
    assert not Rectification.objects.exists()


def test_deadline_counts_working_days_from_the_rating_across_national_day(people, district, categories) -> None:
    # Rated on Wednesday 30 September 2026; 1–7 October are holidays, Saturday 10 October is a make-up working day:
    # the five working days are 8, 9, 10, 12 and 13 October, so it is due at close of business on the 13th.
    _order, evaluation, rect = bad_rating(people, district, categories, moment=at(2026, 9, 30, 10))
    assert evaluation.created_at == at(2026, 9, 30, 10)
    assert rect.limit_days == 5
    assert rect.due_at == at(2026, 10, 13, 17, 30)


def test_the_limit_is_a_setting(people, district, categories, settings) -> None:
    settings.GOVDESK = {**settings.GOVDESK, "RECTIFICATION_LIMIT_WORKING_DAYS": 2}
    _order, _evaluation, rect = bad_rating(people, district, categories, moment=at(2026, 9, 30, 10))
    assert rect.limit_days == 2 and rect.due_at == at(2026, 10, 9, 17, 30)


def test_whole_lifecycle_justified_answered_rated(people, district, categories) -> None:
    order, evaluation, rect = bad_rating(people, district, categories, moment=at(2026, 12, 1, 10))
    with time_machine.travel(at(2026, 12, 1, 15), tick=False):
        rect = services.rectification_verify(number=rect.number, actor=people.supervisor, justified=True, note="属实")
    assert rect.status == S.RECTIFYING and rect.justified is True
    assert Evaluation.objects.get(pk=evaluation.pk).verification == Verification.JUSTIFIED
    with time_machine.travel(at(2026, 12, 3, 11), tick=False):
        rect = services.rectification_answer(
            number=rect.number, actor=people.handler_a, answer="已约谈承办人，重新修复并回访。"
        )
    rect = fresh(rect)
    assert rect.status == S.ANSWERED and not rect.is_open and rect.closed_at == at(2026, 12, 3, 11)
    assert rect.answered_on_time is True
    # The citizen is told on their own order's public timeline.
    told = CaseEvent.objects.get(case=order, action="rectification-answer")
    assert told.is_public and "重新修复" in told.note and told.data["rectification"] == rect.number
    # ...and rates the rectification (an evaluation of the rectification case), which closes it without a new one.
    with time_machine.travel(at(2026, 12, 4, 9), tick=False):
        rating = services.evaluation_create(case=rect.number, level=2, channel="web", actor=people.citizen)
    assert rating.case_id == rect.pk and rating.verification == Verification.NONE
    rect = fresh(rect)
    assert rect.status == S.CLOSED and rect.closed_at == at(2026, 12, 3, 11)
    assert Rectification.objects.count() == 1
    actions = list(CaseEvent.objects.filter(case=rect).values_list("action", "from_status", "to_status"))
    assert actions == [
        ("open", "", "verifying"),
        ("verify", "verifying", "rectifying"),
        ("answer", "rectifying", "answered"),
        ("evaluate", "answered", "closed"),
    ]
    # A second channel may still rate the answered rectification; the status stays closed.
    token = services.evaluation_link_token(order)
    services.evaluation_create(case=rect.number, level=4, channel="link", link_token=token)
    assert fresh(rect).status == S.CLOSED
    audited = set(AuditEvent.objects.filter(object_id=rect.number).values_list("action", flat=True))
    assert audited == {"rectification.open", "rectification.verify", "rectification.answer", "rectification.evaluate"}
    assert audit_chain_verify().ok


def test_an_answered_rectification_can_be_closed_by_the_supervisor(people, district, categories) -> None:
    _order, _evaluation, rect = bad_rating(people, district, categories)
    services.rectification_verify(number=rect.number, actor=people.supervisor, justified=True)
    services.rectification_answer(number=rect.number, actor=people.handler_a, answer="已整改。")
    services.rectification_close(number=rect.number, actor=people.supervisor, note="市民未再评价")
    assert fresh(rect).status == S.CLOSED


def test_unjustified_rating_closes_and_leaves_the_rates(people, district, categories) -> None:
    _order, evaluation, rect = bad_rating(people, district, categories)
    with pytest.raises(ValidationFailed) as exc:
        services.rectification_verify(number=rect.number, actor=people.supervisor, justified=False, note="")
    assert "note" in exc.value.fields
    assert fresh(rect).status == S.VERIFYING  # nothing written
    services.rectification_verify(number=rect.number, actor=people.supervisor, justified=False, note="与事实不符")
    rect = fresh(rect)
    assert rect.status == S.CLOSED and not rect.is_open and rect.justified is False
    assert Evaluation.objects.get(pk=evaluation.pk).verification == Verification.UNJUSTIFIED
    # Nothing to rate: it was closed without an answer.
    with pytest.raises(InvalidTransition):
        services.evaluation_create(case=rect.number, level=5, channel="web", actor=people.citizen)


def test_rating_a_rectification_before_the_answer_is_refused(people, district, categories) -> None:
    _order, _evaluation, rect = bad_rating(people, district, categories)
    with pytest.raises(InvalidTransition):
        services.evaluation_create(case=rect.number, level=5, channel="web", actor=people.citizen)


@pytest.mark.parametrize("when", [S.VERIFYING, S.RECTIFYING])
def test_appeal_upheld_makes_the_rating_unjustified(people, district, categories, when) -> None:
    _order, evaluation, rect = bad_rating(people, district, categories)
    if when is S.RECTIFYING:
        services.rectification_verify(number=rect.number, actor=people.supervisor, justified=True)
    services.rectification_appeal(number=rect.number, actor=people.unit_admin_a, reason="市民反映的问题不属实")
    rect = fresh(rect)
    assert rect.status == S.APPEALED and rect.appeal_from_status == when and rect.is_open
    services.rectification_decide_appeal(number=rect.number, actor=people.supervisor, upheld=True, note="申诉成立")
    rect = fresh(rect)
    assert rect.status == S.CLOSED and rect.appeal_upheld is True
    assert Evaluation.objects.get(pk=evaluation.pk).verification == Verification.UNJUSTIFIED


@pytest.mark.parametrize("when", [S.VERIFYING, S.RECTIFYING])
def test_appeal_rejected_goes_back_and_cannot_be_repeated(people, district, categories, when) -> None:
    _order, evaluation, rect = bad_rating(people, district, categories)
    if when is S.RECTIFYING:
        services.rectification_verify(number=rect.number, actor=people.supervisor, justified=True)
    services.rectification_appeal(number=rect.number, actor=people.handler_a, reason="不属实")
    services.rectification_decide_appeal(number=rect.number, actor=people.supervisor, upheld="false")
    rect = fresh(rect)
    assert rect.status == when and rect.appeal_upheld is False
    assert Evaluation.objects.get(pk=evaluation.pk).verification != Verification.UNJUSTIFIED
    with pytest.raises(InvalidTransition) as exc:
        services.rectification_appeal(number=rect.number, actor=people.handler_a, reason="再次申诉")
    assert exc.value.message


def test_roles_and_units(people, district, categories) -> None:
    _order, _evaluation, rect = bad_rating(people, district, categories)
    n = rect.number
    # Only supervisors verify and decide appeals.
    for user in (people.handler_a, people.unit_admin_a, people.dispatcher, people.leader, people.citizen):
        with pytest.raises(PermissionDenied):
            services.rectification_verify(number=n, actor=user, justified=True)
    # Only the responsible unit answers or appeals (a handler of another unit, a street, the supervisor: 403).
    for user in (people.handler_b, people.street_admin, people.supervisor, people.citizen, people.operator):
        with pytest.raises(PermissionDenied):
            services.rectification_appeal(number=n, actor=user, reason="x")
    # The actor is checked before the status: a stranger gets 403 even where the action is not possible now.
    with pytest.raises(PermissionDenied):
        services.rectification_answer(number=n, actor=people.handler_b, answer="x")
    with pytest.raises(InvalidTransition):
        services.rectification_answer(number=n, actor=people.handler_a, answer="x")
    with pytest.raises(NotFound):
        services.rectification_verify(number="ZG20990101000001", actor=people.supervisor, justified=True)
    with pytest.raises(ValidationFailed):
        services.rectification_verify(number=n, actor=people.supervisor, justified="maybe")
    assert fresh(rect).status == S.VERIFYING


def test_a_street_admin_acts_for_its_communities(people, district, categories) -> None:
    from govdesk.workorders import services as wo
    from govdesk.workorders.models import WorkOrder
    from govdesk.workorders.tests.factories import intake

    order = wo.workorder_register(
        actor=people.citizen, data=intake(categories.facilities, channel="web"), citizen_user=people.citizen
    )
    wo.workorder_dispatch(order=order, actor=people.dispatcher, unit=district.community)
    wo.workorder_sign(order=order, actor=people.community_handler)
    wo.workorder_reply(order=order, actor=people.community_handler, reply="已处理。")
    wo.workorder_visit(order=order, actor=people.operator, resolved=True, satisfaction="satisfied")
    order = WorkOrder.objects.get(pk=order.pk)
    evaluation = services.evaluation_create(case=order, level=1, channel="web", actor=people.citizen)
    rect = Rectification.objects.get(evaluation=evaluation)
    services.rectification_appeal(number=rect.number, actor=people.street_admin, reason="不属实")
    assert fresh(rect).status == S.APPEALED


def test_overdue_rectifications_are_flagged_by_the_deadline_sweep(people, district, categories) -> None:
    _order, _evaluation, rect = bad_rating(people, district, categories, moment=at(2026, 12, 1, 10))
    assert rect.due_at == at(2026, 12, 8, 17, 30)
    case_deadlines_sweep(now=at(2026, 12, 8, 17, 0))
    assert fresh(rect).is_due_soon and not fresh(rect).is_overdue
    case_deadlines_sweep(now=at(2026, 12, 9, 9, 0))
    assert fresh(rect).is_overdue
    services.rectification_verify(number=rect.number, actor=people.supervisor, justified=True)
    with time_machine.travel(at(2026, 12, 9, 10), tick=False):
        services.rectification_answer(number=rect.number, actor=people.handler_a, answer="已整改。")
    rect = fresh(rect)
    assert not rect.is_overdue and rect.answered_on_time is False
    assert CaseEvent.objects.get(case=rect, action="answer").data["late"] is True


# --- the table -------------------------------------------------------------------------------------------------------


def _walk_to(status: S, people: SimpleNamespace, district: Any, categories: Any) -> Rectification:
    _order, _evaluation, rect = bad_rating(people, district, categories)
    n = rect.number
    if status is S.RECTIFYING:
        services.rectification_verify(number=n, actor=people.supervisor, justified=True)
    elif status is S.APPEALED:
        services.rectification_appeal(number=n, actor=people.handler_a, reason="不属实")
    elif status is S.ANSWERED:
        services.rectification_verify(number=n, actor=people.supervisor, justified=True)
        services.rectification_answer(number=n, actor=people.handler_a, answer="已整改。")
    elif status is S.CLOSED:
        services.rectification_verify(number=n, actor=people.supervisor, justified=False, note="不属实")
    return fresh(rect)


def _attempt(action: A, rect: Rectification, people: SimpleNamespace) -> None:
    n = rect.number
    if action is A.VERIFY:
        services.rectification_verify(number=n, actor=people.supervisor, justified=True)
    elif action is A.ANSWER:
        services.rectification_answer(number=n, actor=people.handler_a, answer="已整改。")
    elif action is A.APPEAL:
        services.rectification_appeal(number=n, actor=people.handler_a, reason="不属实")
    elif action is A.DECIDE_APPEAL:
        services.rectification_decide_appeal(number=n, actor=people.supervisor, upheld=False)
    elif action is A.CLOSE:
        services.rectification_close(number=n, actor=people.supervisor)
    else:
        services.evaluation_create(case=n, level=5, channel="web", actor=people.citizen)


@pytest.mark.parametrize("status", list(S))
@pytest.mark.parametrize("action", list(A))
def test_every_status_action_pair(people, district, categories, status, action) -> None:
    """Allowed pairs succeed; every other pair is 409 and writes nothing (the closed one here was never answered)."""
    rect = _walk_to(status, people, district, categories)
    events = CaseEvent.objects.filter(case=rect).count()
    row = transition_for(status, action)
    allowed = row is not None and not (status is S.CLOSED and action is A.RATE)
    if allowed:
        _attempt(action, rect, people)
        assert fresh(rect).status in row.targets  # type: ignore[union-attr]
    else:
        with pytest.raises(InvalidTransition):
            _attempt(action, rect, people)
        assert fresh(rect).status == status
        assert CaseEvent.objects.filter(case=rect).count() == events


def test_the_table_names_one_actor_per_action() -> None:
    assert ACTION_ACTOR[A.VERIFY] is Actor.SUPERVISOR and ACTION_ACTOR[A.DECIDE_APPEAL] is Actor.SUPERVISOR
    assert ACTION_ACTOR[A.ANSWER] is Actor.UNIT and ACTION_ACTOR[A.APPEAL] is Actor.UNIT
    for row in TRANSITIONS.values():
        assert ACTION_ACTOR[row.action] is row.actor
