"""督办 cases: the lifecycle table walk, actors per role and unit, validation, timeline and audit."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest
import time_machine

from govdesk.audit.models import AuditEvent
from govdesk.cases.models import CaseEvent
from govdesk.common.errors import InvalidTransition, PermissionDenied, ValidationFailed
from govdesk.supervision import services
from govdesk.supervision.models import EntryKind, Escalation, EscalationStatus, SupervisionCase
from govdesk.supervision.states import CASE_TRANSITIONS, CaseAction, CaseStatus
from govdesk.workorders import services as wo_services
from govdesk.workorders.models import WorkOrder
from govdesk.workorders.states import Status
from govdesk.workorders.tests.factories import make_order

from .helpers import at

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(people: SimpleNamespace, district: SimpleNamespace, categories: SimpleNamespace) -> WorkOrder:
    return make_order(people, district, categories.facilities, Status.HANDLING)


def open_case(order: WorkOrder, people: SimpleNamespace, **kw: Any) -> SupervisionCase:
    return services.supervision_case_open(order=order, actor=people.supervisor, reason="请三日内报告进展", **kw)


def in_status(order: WorkOrder, people: SimpleNamespace, status: CaseStatus) -> SupervisionCase:
    sc = open_case(order, people)
    if status in (CaseStatus.ANSWERED, CaseStatus.CLOSED):
        sc = services.supervision_case_answer(case_id=sc.pk, actor=people.handler_a, answer="已安排维修，周五前完成")
    if status is CaseStatus.CLOSED:
        sc = services.supervision_case_close(case_id=sc.pk, actor=people.supervisor)
    return sc


def call(action: CaseAction, sc: SupervisionCase, actor: Any) -> SupervisionCase:
    kwargs: dict[str, Any] = {
        CaseAction.NOTE: {"note": "请加快进度"},
        CaseAction.ANSWER: {"answer": "已完成整改"},
        CaseAction.CLOSE: {"note": "答复属实"},
        CaseAction.REOPEN: {"reason": "未说明整改结果"},
    }[action]
    return services.CASE_ACTION_SERVICES[action](case_id=sc.pk, actor=actor, **kwargs)


def actor_for(action: CaseAction, people: SimpleNamespace) -> Any:
    return people.handler_a if action is CaseAction.ANSWER else people.supervisor


@pytest.mark.parametrize("status", list(CaseStatus))
@pytest.mark.parametrize("action", list(CaseAction))
def test_table_walk(status: CaseStatus, action: CaseAction, order: WorkOrder, people: SimpleNamespace) -> None:
    sc = in_status(order, people, status)
    row = CASE_TRANSITIONS.get((status, action))
    events_before = CaseEvent.objects.filter(case_id=order.pk).count()
    if row is None:
        with pytest.raises(InvalidTransition):
            call(action, sc, actor_for(action, people))
        assert SupervisionCase.objects.get(pk=sc.pk).status == status
        assert CaseEvent.objects.filter(case_id=order.pk).count() == events_before
        return
    result = call(action, sc, actor_for(action, people))
    assert result.status == row.target
    assert SupervisionCase.objects.get(pk=sc.pk).status == row.target
    event = CaseEvent.objects.filter(case_id=order.pk).latest("pk")
    assert event.action == f"supervision-{action.value}"
    assert event.data["supervision_case"] == sc.pk and event.data["to"] == row.target
    assert AuditEvent.objects.filter(action=f"workorder.supervision-{action.value}", object_id=order.number).exists()
    # The order's own status never changes.
    assert WorkOrder.objects.get(pk=order.pk).status == Status.HANDLING


ALLOWED = {
    CaseAction.NOTE: {"supervisor"},
    CaseAction.ANSWER: {"handler_a", "unit_admin_a"},
    CaseAction.CLOSE: {"supervisor"},
    CaseAction.REOPEN: {"supervisor"},
}
PEOPLE = (
    *("operator", "dispatcher", "supervisor", "leader", "handler_a", "handler_b", "unit_admin_a", "street_admin"),
    *("citizen", "sysadmin", "auditor"),
)


@pytest.mark.parametrize("action", list(CaseAction))
def test_actors_per_role_and_unit(action: CaseAction, order: WorkOrder, people: SimpleNamespace) -> None:
    source = next(src for (src, act) in CASE_TRANSITIONS if act is action)
    for name in PEOPLE:
        sc = in_status(order, people, source)
        if name in ALLOWED[action]:
            assert call(action, sc, getattr(people, name)).status != source or action is CaseAction.NOTE
        else:
            with pytest.raises(PermissionDenied):
                call(action, sc, getattr(people, name))
        # Start over for the next person.
        SupervisionCase.objects.filter(pk=sc.pk).delete()


def test_only_supervisors_open(order: WorkOrder, people: SimpleNamespace) -> None:
    for name in ("operator", "dispatcher", "handler_a", "unit_admin_a", "citizen", "sysadmin"):
        with pytest.raises(PermissionDenied):
            services.supervision_case_open(order=order, actor=getattr(people, name), reason="x")
    assert not SupervisionCase.objects.exists()


def test_a_permission_failure_comes_before_the_status(order: WorkOrder, people: SimpleNamespace) -> None:
    sc = in_status(order, people, CaseStatus.CLOSED)
    with pytest.raises(PermissionDenied):
        services.supervision_case_answer(case_id=sc.pk, actor=people.handler_b, answer="x")


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"reason": ""}, "reason"),
        ({"reason": "   "}, "reason"),
        ({"reason": "督" * 2001}, "reason"),
        ({"reason": "ok\x00"}, "reason"),
        ({"reason": "ok", "answer_days": 0}, "answer_days"),
        ({"reason": "ok", "answer_days": 31}, "answer_days"),
        ({"reason": "ok", "answer_days": "三"}, "answer_days"),
        ({"reason": "ok", "answer_days": True}, "answer_days"),
    ],
)
def test_open_validation(kwargs: dict[str, Any], field: str, order: WorkOrder, people: SimpleNamespace) -> None:
    with pytest.raises(ValidationFailed) as info:
        services.supervision_case_open(order=order, actor=people.supervisor, **kwargs)
    assert field in info.value.fields
    assert not SupervisionCase.objects.exists()
    assert not CaseEvent.objects.filter(case_id=order.pk, action="supervise").exists()


def test_closing_an_unanswered_case_needs_a_note(order: WorkOrder, people: SimpleNamespace) -> None:
    sc = open_case(order, people)
    with pytest.raises(ValidationFailed):
        services.supervision_case_close(case_id=sc.pk, actor=people.supervisor, note="")
    assert services.supervision_case_close(case_id=sc.pk, actor=people.supervisor, note="已另案处理").status == "closed"


def test_open_computes_the_answer_deadline_in_working_days(order: WorkOrder, people: SimpleNamespace) -> None:
    with time_machine.travel(at(2026, 9, 30, 10, 0), tick=False):
        sc = open_case(order, people, answer_days=3)
    # Oct 1-7 are off: the third working day after Sep 30 is Sat Oct 10, a make-up working day.
    assert sc.answer_due_at == at(2026, 10, 10, 17, 30)
    event = CaseEvent.objects.get(case_id=order.pk, action="supervise")
    assert event.note == "请三日内报告进展" and event.data["supervision_case"] == sc.pk
    assert sc.entries.get().kind == EntryKind.OPEN


def test_default_answer_days_come_from_the_settings(order: WorkOrder, people: SimpleNamespace) -> None:
    from govdesk.supervision.models import SupervisionSettings

    SupervisionSettings.objects.update_or_create(pk=1, defaults={"answer_days": 5})
    assert open_case(order, people).answer_days == 5


def test_one_active_case_per_order(order: WorkOrder, people: SimpleNamespace) -> None:
    sc = open_case(order, people)
    with pytest.raises(InvalidTransition):
        open_case(order, people)
    services.supervision_case_close(case_id=sc.pk, actor=people.supervisor, note="撤销")
    assert open_case(order, people).pk != sc.pk


def test_cannot_open_on_a_closed_order(people: SimpleNamespace, district: Any, categories: Any) -> None:
    closed = make_order(people, district, categories.facilities, Status.CLOSED)
    with pytest.raises(InvalidTransition):
        services.supervision_case_open(order=closed, actor=people.supervisor, reason="x")


def test_reopen_sets_a_new_deadline_and_keeps_the_first_answer(order: WorkOrder, people: SimpleNamespace) -> None:
    with time_machine.travel(at(2026, 11, 2, 10, 0), tick=False):
        sc = in_status(order, people, CaseStatus.ANSWERED)
    with time_machine.travel(at(2026, 11, 4, 10, 0), tick=False):
        sc = services.supervision_case_reopen(case_id=sc.pk, actor=people.supervisor, reason="不具体", answer_days=1)
    assert sc.status == CaseStatus.OPEN and sc.reopen_count == 1
    assert sc.answer_due_at == at(2026, 11, 5, 17, 30)
    assert list(sc.entries.values_list("kind", flat=True)) == ["open", "answer", "reopen"]


def test_answer_overdue_flag_by_the_sweep(order: WorkOrder, people: SimpleNamespace) -> None:
    with time_machine.travel(at(2026, 11, 2, 10, 0), tick=False):
        sc = open_case(order, people, answer_days=1)
    with time_machine.travel(at(2026, 11, 3, 17, 31), tick=False):
        assert services.supervision_sweep().answers_overdue_set == 1
        services.supervision_case_answer(case_id=sc.pk, actor=people.handler_a, answer="已办")
    fresh = SupervisionCase.objects.get(pk=sc.pk)
    assert not fresh.is_overdue
    answer_event = CaseEvent.objects.get(case_id=order.pk, action="supervision-answer")
    assert answer_event.data["late"] is True and answer_event.actor_unit == order.primary_unit


def test_the_unit_after_a_redispatch_answers(order: WorkOrder, people: SimpleNamespace) -> None:
    """The answer belongs to the order's current primary unit."""
    sc = open_case(order, people)
    with pytest.raises(PermissionDenied):
        services.supervision_case_answer(case_id=sc.pk, actor=people.handler_b, answer="x")
    assert services.supervision_case_answer(case_id=sc.pk, actor=people.unit_admin_a, answer="已办").answered_by == (
        people.unit_admin_a
    )


def test_supervise_action_opens_a_case_then_adds_notes(order: WorkOrder, people: SimpleNamespace) -> None:
    supervise: Callable[..., WorkOrder] = wo_services.ACTION_SERVICES[wo_services.Action.SUPERVISE]
    supervise(order=order.number, actor=people.supervisor, note="列入督办")
    sc = SupervisionCase.objects.get(case_id=order.pk)
    assert sc.reason == "列入督办" and sc.status == CaseStatus.OPEN
    supervise(order=order.number, actor=people.supervisor, note="再次督促")
    assert SupervisionCase.objects.count() == 1
    assert list(sc.entries.values_list("kind", "text")) == [("open", "列入督办"), ("note", "再次督促")]
    assert CaseEvent.objects.filter(case_id=order.pk, action="supervise").count() == 2


def test_opening_handles_the_orders_escalation(order: WorkOrder, people: SimpleNamespace) -> None:
    assert order.due_at is not None
    escalation = Escalation.objects.create(case_id=order.pk, due_at=order.due_at, escalated_at=order.due_at)
    open_case(order, people)
    escalation.refresh_from_db()
    assert escalation.status == EscalationStatus.HANDLED and escalation.handled_by == people.supervisor
    assert CaseEvent.objects.filter(case_id=order.pk, action="escalation-handled").exists()


def test_escalation_handle(order: WorkOrder, people: SimpleNamespace) -> None:
    assert order.due_at is not None
    escalation = Escalation.objects.create(case_id=order.pk, due_at=order.due_at, escalated_at=order.due_at)
    with pytest.raises(PermissionDenied):
        services.supervision_escalation_handle(escalation_id=escalation.pk, actor=people.dispatcher)
    services.supervision_escalation_handle(escalation_id=escalation.pk, actor=people.supervisor, note="已电话督促")
    with pytest.raises(InvalidTransition):
        services.supervision_escalation_handle(escalation_id=escalation.pk, actor=people.supervisor)
