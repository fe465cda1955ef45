"""Every (status, action) pair of the transition table, driven through the real services, plus the named guards."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
import time_machine

from govdesk.audit.models import AuditEvent
from govdesk.calendar.core import SHANGHAI
from govdesk.calendar.selectors import calendar_invalidate
from govdesk.cases.models import CaseEvent, CaseUnit, ExtensionRequest
from govdesk.common.errors import InvalidTransition, ValidationFailed
from govdesk.org.models import Role
from govdesk.org.tests.factories import UserFactory
from govdesk.workorders import services
from govdesk.workorders.models import WorkOrder, WorkOrderReturn
from govdesk.workorders.permissions import workorder_can_view
from govdesk.workorders.states import PUBLIC_ACTIONS, TRANSITIONS, Action, Status, transition_for
from govdesk.workorders.tests.factories import intake, make_order, with_pending_extension

pytestmark = pytest.mark.django_db

ALL_PAIRS = [(s, a) for s in Status for a in Action]


@pytest.fixture(autouse=True)
def _fresh_calendar() -> Any:
    calendar_invalidate()
    yield
    calendar_invalidate()


@pytest.fixture
def omni(district: SimpleNamespace) -> Any:
    """Every centre and unit role, in dept_a: passes every role and visibility check, so only the status decides."""
    roles = [Role.OPERATOR, Role.DISPATCHER, Role.SUPERVISOR, Role.HANDLER, Role.UNIT_ADMIN]
    return UserFactory(username="omni", roles=roles, unit=district.dept_a)


def master_of(child: WorkOrder) -> WorkOrder:
    master = WorkOrder.objects.get(pk=child.pk).master
    assert master is not None
    return master


def snapshot(order: WorkOrder) -> tuple[Any, ...]:
    fresh = WorkOrder.objects.get(pk=order.pk)
    return (
        fresh.status,
        fresh.primary_unit_id,
        fresh.due_at,
        fresh.sign_due_at,
        fresh.reopen_count,
        fresh.urge_count,
        fresh.return_count,
        CaseEvent.objects.count(),
        AuditEvent.objects.count(),
        CaseUnit.objects.count(),
        ExtensionRequest.objects.count(),
        WorkOrderReturn.objects.count(),
        WorkOrder.objects.filter(master=fresh).count(),
    )


def action_kwargs(action: Action, district: SimpleNamespace, master: WorkOrder | None) -> dict[str, Any]:
    """Valid input for each action's service."""
    return {
        Action.DISPATCH: {"unit": district.dept_a},
        Action.SIGN: {},
        Action.RETURN: {"reason": "该事项属区人社局职责", "legal_basis": "《区人社局三定方案》第三条"},
        Action.REVIEW_RETURN: {"approve": True, "unit": district.dept_b},
        Action.REQUEST_EXTENSION: {"working_days": 3, "reason": "需协调多部门"},
        Action.REVIEW_EXTENSION: {"approve": True, "note": "同意延期"},
        Action.REPLY: {"reply": "经核实已修复，联系人李工 0358-1234567"},
        Action.VISIT: {"resolved": True, "satisfaction": "satisfied"},
        Action.REOPEN: {"reason": "市民再次来电反映未修复"},
        Action.MERGE: {"master": master},
        Action.URGE: {"note": "请尽快办理"},
        Action.SUPERVISE: {"note": "督办：三日内报告进展"},
        Action.NOTE: {"note": "已联系市民"},
        Action.ANSWER: {"answer": "根据知识库答复：办理时间为工作日9点至17点。"},
        Action.CANCEL: {"reason": "市民撤回诉求"},
    }[action]


def permitted_actor(action: Action, status: Status, people: SimpleNamespace) -> Any:
    """A person the table names for this row (independent of permissions.py)."""
    return {
        Action.DISPATCH: people.dispatcher,
        Action.SIGN: people.handler_a,
        Action.RETURN: people.handler_a,
        Action.REVIEW_RETURN: people.dispatcher,
        Action.REQUEST_EXTENSION: people.handler_a,
        Action.REVIEW_EXTENSION: people.supervisor,
        Action.REPLY: people.handler_a,
        Action.VISIT: people.operator,
        Action.REOPEN: people.dispatcher,
        Action.MERGE: people.operator,
        Action.URGE: people.supervisor,
        Action.SUPERVISE: people.supervisor,
        Action.NOTE: people.handler_a,
        Action.ANSWER: people.operator,
        Action.CANCEL: people.operator if status is Status.NEW else people.dispatcher,
    }[action]


def order_for(status: Status, action: Action, people: Any, district: Any, categories: Any) -> WorkOrder:
    """An order in `status` that also meets the row's guards (consultation for answer, pending extension...)."""
    overrides: dict[str, Any] = {}
    if action is Action.ANSWER:
        overrides["request_type"] = "consultation"
    order = make_order(people, district, categories.facilities, status, **overrides)
    if action is Action.REVIEW_EXTENSION and status is Status.HANDLING:
        order = with_pending_extension(order, people.handler_a)
    return order


@pytest.mark.parametrize(("status", "action"), ALL_PAIRS, ids=[f"{s.value}-{a.value}" for s, a in ALL_PAIRS])
def test_every_status_action_pair(
    status: Status, action: Action, people: Any, district: Any, categories: Any, omni: Any
) -> None:
    row = TRANSITIONS.get((status, action))
    if action is Action.CLOSE_WITH_MASTER:
        # The platform's own transition: no person can call it; closing a master exercises it (below).
        assert action not in PUBLIC_ACTIONS and action not in services.ACTION_SERVICES
        assert (row is not None) == (status is Status.MERGED)
        return
    service: Callable[..., WorkOrder] = services.ACTION_SERVICES[action]
    order = order_for(status, action, people, district, categories)
    master = services.workorder_register(actor=people.operator, data=intake(categories.facilities))
    kwargs = action_kwargs(action, district, master)
    before = snapshot(order)
    events_before = CaseEvent.objects.filter(case=order).count()
    audit_before = AuditEvent.objects.count()

    if row is None:
        with pytest.raises(InvalidTransition) as excinfo:
            service(order=order.number, actor=omni, **kwargs)
        assert excinfo.value.status_code == 409
        assert snapshot(order) == before
        return

    actor = permitted_actor(action, status, people)
    result = service(order=order.number, actor=actor, **kwargs)
    after = WorkOrder.objects.get(pk=order.pk)
    assert result.status == after.status
    assert after.status in row.targets
    event = CaseEvent.objects.filter(case=order).order_by("-id").first()
    assert CaseEvent.objects.filter(case=order).count() > events_before
    assert event is not None
    own_events = CaseEvent.objects.filter(case=order, action=action.value).order_by("-id")
    assert own_events.exists()
    mine = own_events.first()
    assert mine is not None
    assert (mine.from_status, mine.to_status) == (status.value, after.status)
    assert mine.actor_id == actor.pk
    audit = AuditEvent.objects.filter(id__gt=0).order_by("-id")
    assert audit.count() > audit_before
    trail = (
        AuditEvent.objects.filter(action=f"workorder.{action.value}", object_id=order.number).order_by("-id").first()
    )
    assert trail is not None
    assert (trail.from_state, trail.to_state, trail.actor_id) == (status.value, after.status, actor.pk)


def test_the_table_names_only_real_statuses_and_actions() -> None:
    for (status, action), row in TRANSITIONS.items():
        assert row.source is status and row.action is action
        assert row.targets and all(isinstance(t, Status) for t in row.targets)
        assert transition_for(status.value, action.value) is row
    assert transition_for("nonsense", "sign") is None
    assert transition_for("new", "nonsense") is None


def test_close_with_master_is_recorded_on_the_child(people: Any, district: Any, categories: Any) -> None:
    child = make_order(people, district, categories.facilities, Status.MERGED)
    master = master_of(child)
    services.workorder_dispatch(order=master, actor=people.dispatcher, unit=district.dept_a)
    services.workorder_sign(order=master.number, actor=people.handler_a)
    services.workorder_reply(order=master.number, actor=people.handler_a, reply="已修复")
    services.workorder_visit(order=master.number, actor=people.operator, resolved=True, satisfaction="satisfied")
    child.refresh_from_db()
    assert child.status == Status.CLOSED and not child.is_open and child.closed_at is not None
    last = CaseEvent.objects.filter(case=child).order_by("-id").first()
    assert last is not None
    assert (last.action, last.from_status, last.to_status) == ("close-with-master", "merged", "closed")
    assert AuditEvent.objects.filter(action="workorder.close-with-master", object_id=child.number).count() == 1


# --- guards --------------------------------------------------------------------------------------------------------


def test_return_after_the_sign_for_limit_is_refused(people: Any, district: Any, categories: Any) -> None:
    with time_machine.travel(datetime(2026, 3, 2, 11, 0, tzinfo=SHANGHAI), tick=False) as traveller:
        order = make_order(people, district, categories.facilities, Status.DISPATCHED)
        assert order.sign_due_at == datetime(2026, 3, 2, 14, 30, tzinfo=SHANGHAI)  # 1 h before lunch, 1 h after
        before = snapshot(order)
        traveller.move_to(datetime(2026, 3, 2, 14, 31, tzinfo=SHANGHAI))
        with pytest.raises(InvalidTransition):
            services.workorder_return(order=order, actor=people.handler_a, reason="不属本单位", legal_basis="三定方案")
        assert snapshot(order) == before
        # Signing is still possible.
        assert services.workorder_sign(order=order, actor=people.handler_a).status == Status.HANDLING


def test_return_within_the_limit_is_accepted(people: Any, district: Any, categories: Any) -> None:
    with time_machine.travel(datetime(2026, 3, 2, 11, 0, tzinfo=SHANGHAI), tick=False) as traveller:
        order = make_order(people, district, categories.facilities, Status.DISPATCHED)
        traveller.move_to(datetime(2026, 3, 2, 14, 30, tzinfo=SHANGHAI))  # the limit itself is still in time
        order = services.workorder_return(
            order=order, actor=people.handler_a, reason="不属本单位", legal_basis="三定方案"
        )
    assert order.status == Status.RETURNED and order.return_count == 1
    ret = WorkOrderReturn.objects.get(order=order)
    assert (ret.unit_id, ret.status, ret.legal_basis) == (district.dept_a.pk, "pending", "三定方案")


def test_extension_while_one_is_pending_is_refused(people: Any, district: Any, categories: Any) -> None:
    order = with_pending_extension(
        make_order(people, district, categories.facilities, Status.HANDLING), people.handler_a
    )
    before = snapshot(order)
    with pytest.raises(InvalidTransition):
        services.workorder_request_extension(order=order, actor=people.handler_a, working_days=2, reason="再延")
    assert snapshot(order) == before


def test_extension_after_the_deadline_is_refused(people: Any, district: Any, categories: Any) -> None:
    with time_machine.travel(datetime(2026, 3, 2, 10, 0, tzinfo=SHANGHAI), tick=False) as traveller:
        order = make_order(people, district, categories.facilities, Status.HANDLING)  # complaint: 15 working days
        assert order.due_at is not None
        traveller.move_to(order.due_at + timedelta(seconds=1))
        before = snapshot(order)
        with pytest.raises(InvalidTransition):
            services.workorder_request_extension(order=order, actor=people.handler_a, working_days=2, reason="来不及")
        assert snapshot(order) == before


def test_review_extension_without_a_pending_request_is_refused(people: Any, district: Any, categories: Any) -> None:
    order = make_order(people, district, categories.facilities, Status.HANDLING)
    before = snapshot(order)
    with pytest.raises(InvalidTransition):
        services.workorder_review_extension(order=order, actor=people.dispatcher, approve=True)
    assert snapshot(order) == before


def test_rejected_extension_keeps_the_deadline(people: Any, district: Any, categories: Any) -> None:
    order = with_pending_extension(
        make_order(people, district, categories.facilities, Status.HANDLING), people.handler_a
    )
    due = order.due_at
    order = services.workorder_review_extension(order=order, actor=people.dispatcher, approve=False, note="理由不足")
    assert order.due_at == due
    assert ExtensionRequest.objects.get(case=order).status == "rejected"
    # A new request is possible once the first is decided.
    services.workorder_request_extension(order=order, actor=people.handler_a, working_days=2, reason="补充理由")


@pytest.mark.parametrize("type_code", ["help", "complaint", "report", "suggestion", "praise"])
def test_direct_answer_only_for_consultations(type_code: str, people: Any, district: Any, categories: Any) -> None:
    order = make_order(people, district, categories.facilities, Status.NEW, request_type=type_code)
    before = snapshot(order)
    with pytest.raises(InvalidTransition):
        services.workorder_answer(order=order, actor=people.operator, answer="答复")
    assert snapshot(order) == before


def test_merge_into_itself_is_bad_input(people: Any, district: Any, categories: Any) -> None:
    order = make_order(people, district, categories.facilities, Status.NEW)
    before = snapshot(order)
    with pytest.raises(ValidationFailed) as excinfo:
        services.workorder_merge(order=order, actor=people.operator, master=order.number)
    assert excinfo.value.status_code == 400 and "master" in excinfo.value.fields
    assert snapshot(order) == before


def test_merge_into_an_unknown_number_is_bad_input(people: Any, district: Any, categories: Any) -> None:
    order = make_order(people, district, categories.facilities, Status.NEW)
    with pytest.raises(ValidationFailed):
        services.workorder_merge(order=order, actor=people.operator, master="20990101000001")
    assert WorkOrder.objects.get(pk=order.pk).status == Status.NEW


@pytest.mark.parametrize("master_status", [Status.CLOSED, Status.MERGED, Status.CANCELLED])
def test_merge_into_a_finished_or_merged_master_is_refused(
    master_status: Status, people: Any, district: Any, categories: Any
) -> None:
    master = make_order(people, district, categories.facilities, master_status)
    order = make_order(people, district, categories.facilities, Status.NEW)
    before = snapshot(order)
    with pytest.raises(InvalidTransition):
        services.workorder_merge(order=order, actor=people.operator, master=master)
    assert snapshot(order) == before


def test_a_master_with_children_cannot_be_merged(people: Any, district: Any, categories: Any) -> None:
    child = make_order(people, district, categories.facilities, Status.MERGED)
    master = master_of(child)
    other = make_order(people, district, categories.facilities, Status.NEW)
    before = snapshot(master)
    with pytest.raises(InvalidTransition):
        services.workorder_merge(order=master, actor=people.operator, master=other)
    assert snapshot(master) == before


def test_merge_records_the_child_on_the_master(people: Any, district: Any, categories: Any) -> None:
    master = make_order(people, district, categories.facilities, Status.HANDLING)
    child = make_order(people, district, categories.facilities, Status.NEW)
    services.workorder_merge(order=child, actor=people.dispatcher, master=master, note="同一路灯")
    child.refresh_from_db()
    assert child.status == Status.MERGED and child.master_id == master.pk and child.is_open
    event = CaseEvent.objects.filter(case=master).order_by("-id").first()
    assert event is not None
    assert (event.action, event.data, event.from_status, event.to_status) == (
        "merge-child",
        {"child": child.number},
        "handling",
        "handling",
    )


def test_cancel_with_merged_children_is_refused(people: Any, district: Any, categories: Any) -> None:
    child = make_order(people, district, categories.facilities, Status.MERGED)
    master = master_of(child)
    before = snapshot(master)
    with pytest.raises(InvalidTransition):
        services.workorder_cancel(order=master, actor=people.operator, reason="撤回")
    assert snapshot(master) == before


@pytest.mark.parametrize(
    ("resolved", "satisfaction"), [(False, "satisfied"), (True, "unsatisfied"), (False, "unsatisfied")]
)
def test_unresolved_or_unsatisfied_visit_reopens_to_the_unit(
    resolved: bool, satisfaction: str, people: Any, district: Any, categories: Any
) -> None:
    order = make_order(people, district, categories.facilities, Status.REPLIED)
    order = services.workorder_visit(order=order, actor=people.operator, resolved=resolved, satisfaction=satisfaction)
    fresh = WorkOrder.objects.get(pk=order.pk)
    assert fresh.status == Status.HANDLING and fresh.is_open
    assert fresh.reopen_count == 1
    assert fresh.primary_unit_id == district.dept_a.pk
    assert fresh.visit_resolved is resolved and fresh.visit_satisfaction == satisfaction
    event = CaseEvent.objects.filter(case=order).order_by("-id").first()
    assert event is not None and event.data["reopened"] is True
    # The same unit can reply again.
    services.workorder_reply(order=order, actor=people.handler_a, reply="重新处理完毕")


def test_basically_satisfied_and_resolved_closes(people: Any, district: Any, categories: Any) -> None:
    order = make_order(people, district, categories.facilities, Status.REPLIED)
    order = services.workorder_visit(order=order, actor=people.operator, resolved=True, satisfaction="basically")
    assert order.status == Status.CLOSED and order.reopen_count == 0 and order.closed_at is not None


def test_closing_a_master_by_visit_closes_every_child(people: Any, district: Any, categories: Any) -> None:
    master = make_order(people, district, categories.facilities, Status.REPLIED)
    children = [make_order(people, district, categories.facilities, Status.NEW) for _ in range(2)]
    for child in children:
        services.workorder_merge(order=child, actor=people.operator, master=master)
    services.workorder_visit(order=master, actor=people.operator, resolved=True, satisfaction="satisfied")
    for child in children:
        child.refresh_from_db()
        assert child.status == Status.CLOSED and not child.is_open
        last = CaseEvent.objects.filter(case=child).order_by("-id").first()
        assert last is not None and last.action == "close-with-master"
        assert master.number in last.note and last.data == {"master": master.number}


def test_answering_a_consultation_master_closes_its_children(people: Any, district: Any, categories: Any) -> None:
    master = make_order(people, district, categories.facilities, Status.NEW, request_type="consultation")
    child = make_order(people, district, categories.facilities, Status.NEW, request_type="consultation")
    services.workorder_merge(order=child, actor=people.operator, master=master)
    services.workorder_answer(order=master, actor=people.operator, answer="按知识库答复")
    child.refresh_from_db()
    assert child.status == Status.CLOSED and not child.is_open


def test_reopen_of_a_direct_answer_goes_back_to_dispatch(people: Any, district: Any, categories: Any) -> None:
    order = make_order(people, district, categories.facilities, Status.NEW, request_type="consultation")
    services.workorder_answer(order=order, actor=people.operator, answer="按知识库答复")
    reopened = services.workorder_reopen(order=order, actor=people.dispatcher, reason="市民表示未解决")
    assert reopened.status == Status.NEW and reopened.reopen_count == 1 and reopened.closed_at is None
    assert reopened.primary_unit_id is None


def test_reopen_of_a_handled_order_goes_back_to_its_unit(people: Any, district: Any, categories: Any) -> None:
    order = make_order(people, district, categories.facilities, Status.CLOSED)
    reopened = services.workorder_reopen(order=order, actor=people.dispatcher, reason="再次来电")
    assert reopened.status == Status.HANDLING and reopened.primary_unit_id == district.dept_a.pk
    assert reopened.visit_resolved is None and reopened.visit_satisfaction == ""


def test_a_closed_merged_child_reopens_only_with_its_master(people: Any, district: Any, categories: Any) -> None:
    child = make_order(people, district, categories.facilities, Status.MERGED)
    master = master_of(child)
    services.workorder_dispatch(order=master, actor=people.dispatcher, unit=district.dept_a)
    services.workorder_sign(order=master, actor=people.handler_a)
    services.workorder_reply(order=master, actor=people.handler_a, reply="已修复")
    services.workorder_visit(order=master, actor=people.operator, resolved=True, satisfaction="satisfied")
    before = snapshot(child)
    with pytest.raises(InvalidTransition):
        services.workorder_reopen(order=child, actor=people.dispatcher, reason="再次来电")
    assert snapshot(child) == before


def test_review_return_approve_needs_a_different_unit(people: Any, district: Any, categories: Any) -> None:
    order = make_order(people, district, categories.facilities, Status.RETURNED)
    before = snapshot(order)
    with pytest.raises(ValidationFailed) as excinfo:
        services.workorder_review_return(order=order, actor=people.dispatcher, approve=True, unit=district.dept_a)
    assert "unit" in excinfo.value.fields
    assert snapshot(order) == before
    assert WorkOrderReturn.objects.get(order=order).status == "pending"


def test_review_return_approve_redispatches_with_a_fresh_deadline(people: Any, district: Any, categories: Any) -> None:
    with time_machine.travel(datetime(2026, 3, 2, 10, 0, tzinfo=SHANGHAI), tick=False) as traveller:
        order = make_order(people, district, categories.facilities, Status.RETURNED)
        assert order.due_at == datetime(2026, 3, 23, 17, 30, tzinfo=SHANGHAI)  # 15 working days from Mon 2 March
        traveller.move_to(datetime(2026, 3, 4, 16, 0, tzinfo=SHANGHAI))  # Wednesday
        order = services.workorder_review_return(
            order=order, actor=people.dispatcher, approve=True, unit=district.dept_b, note="改派人社局"
        )
    fresh = WorkOrder.objects.get(pk=order.pk)
    assert fresh.status == Status.DISPATCHED and fresh.primary_unit_id == district.dept_b.pk
    assert fresh.sign_due_at == datetime(2026, 3, 5, 9, 30, tzinfo=SHANGHAI)  # 1.5 h Wed + 0.5 h Thu
    assert fresh.due_at == datetime(2026, 3, 25, 17, 30, tzinfo=SHANGHAI)  # 15 working days from Wed 4 March
    assert fresh.signed_at is None
    assert WorkOrderReturn.objects.get(order=order).status == "approved"
    active = set(CaseUnit.objects.filter(case=order, is_active=True).values_list("unit_id", flat=True))
    assert active == {district.dept_b.pk}
    assert not workorder_can_view(people.handler_a, fresh)
    assert workorder_can_view(people.handler_b, fresh)
    services.workorder_sign(order=order, actor=people.handler_b)


def test_review_return_reject_sends_it_back_to_the_same_unit(people: Any, district: Any, categories: Any) -> None:
    with time_machine.travel(datetime(2026, 3, 2, 10, 0, tzinfo=SHANGHAI), tick=False) as traveller:
        order = make_order(people, district, categories.facilities, Status.RETURNED)
        due = order.due_at
        traveller.move_to(datetime(2026, 3, 3, 9, 0, tzinfo=SHANGHAI))
        order = services.workorder_review_return(
            order=order, actor=people.dispatcher, approve=False, note="属你单位职责"
        )
    fresh = WorkOrder.objects.get(pk=order.pk)
    assert fresh.status == Status.DISPATCHED and fresh.primary_unit_id == district.dept_a.pk
    assert fresh.due_at == due  # the completion clock keeps running
    assert fresh.sign_due_at == datetime(2026, 3, 3, 11, 0, tzinfo=SHANGHAI)
    assert WorkOrderReturn.objects.get(order=order).status == "rejected"
    services.workorder_sign(order=order, actor=people.handler_a)


def test_urge_counts(people: Any, district: Any, categories: Any) -> None:
    order = make_order(people, district, categories.facilities, Status.DISPATCHED)
    services.workorder_urge(order=order, actor=people.supervisor, note="请尽快签收")
    services.workorder_urge(order=order, actor=people.dispatcher)
    assert WorkOrder.objects.get(pk=order.pk).urge_count == 2
