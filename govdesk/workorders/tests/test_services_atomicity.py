"""A crash in the middle of a service leaves nothing half-written: no order, no timeline, no audit, no number used."""

from __future__ import annotations

from typing import Any

import pytest

from govdesk.audit.models import AuditEvent
from govdesk.audit.services import audit_chain_verify
from govdesk.cases.models import Attachment, Case, CaseEvent, CaseUnit
from govdesk.common.models import Counter
from govdesk.workorders import services
from govdesk.workorders.models import WorkOrder, WorkOrderReturn
from govdesk.workorders.states import Status
from govdesk.workorders.tests.factories import intake, make_order

pytestmark = pytest.mark.django_db


class Crash(RuntimeError):
    pass


def crash(*args: Any, **kwargs: Any) -> Any:
    raise Crash("power cut")


def crash_on_call(n: int, real: Any) -> Any:
    """Behave like `real` for n-1 calls, then crash."""
    calls = {"n": 0}

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] >= n:
            raise Crash(f"crash on call {calls['n']}")
        return real(*args, **kwargs)

    return wrapper


def totals() -> tuple[int, ...]:
    return (
        WorkOrder.objects.count(),
        Case.objects.count(),
        CaseEvent.objects.count(),
        AuditEvent.objects.count(),
        CaseUnit.objects.count(),
        WorkOrderReturn.objects.count(),
        Attachment.objects.count(),
    )


def counter_value() -> int | None:
    return Counter.objects.filter(key__startswith="workorder:").values_list("value", flat=True).first()


@pytest.mark.parametrize(
    "target", ["govdesk.cases.services.audit_append", "govdesk.workorders.services.case_event_record"]
)
def test_a_crash_mid_register_writes_nothing(target: str, people: Any, categories: Any, monkeypatch: Any) -> None:
    first = services.workorder_register(actor=people.operator, data=intake(categories.facilities))
    before, counter = totals(), counter_value()
    assert counter == 1
    with monkeypatch.context() as patch:
        patch.setattr(target, crash)
        with pytest.raises(Crash):
            services.workorder_register(actor=people.operator, data=intake(categories.facilities))
    assert totals() == before
    assert counter_value() == counter  # the day's sequence did not advance
    second = services.workorder_register(actor=people.operator, data=intake(categories.facilities))
    assert int(second.number[-6:]) == int(first.number[-6:]) + 1
    assert audit_chain_verify().ok


def test_a_crash_while_storing_attachments_writes_nothing(people: Any, categories: Any, monkeypatch: Any) -> None:
    from govdesk.cases.attachments import CheckedFile

    files = [CheckedFile("a.pdf", "application/pdf", b"%PDF-1.4\n%%EOF\n")]
    monkeypatch.setattr("govdesk.workorders.services.case_attachments_add", crash)
    with pytest.raises(Crash):
        services.workorder_register(actor=people.operator, data=intake(categories.facilities), files=files)
    assert totals() == (0, 0, 0, 0, 0, 0, 0)
    assert not counter_value()


@pytest.mark.parametrize(
    "target", ["govdesk.cases.services.audit_append", "govdesk.workorders.services.case_event_record"]
)
def test_a_crash_mid_dispatch_leaves_the_order_new(
    target: str, people: Any, district: Any, categories: Any, monkeypatch: Any
) -> None:
    order = make_order(people, district, categories.facilities, Status.NEW)
    before = totals()
    with monkeypatch.context() as patch:
        patch.setattr(target, crash)
        with pytest.raises(Crash):
            services.workorder_dispatch(
                order=order, actor=people.dispatcher, unit=district.dept_a, co_units=[district.street]
            )
    fresh = WorkOrder.objects.get(pk=order.pk)
    assert (fresh.status, fresh.primary_unit_id, fresh.sign_due_at, fresh.dispatched_at) == (
        Status.NEW,
        None,
        None,
        None,
    )
    assert totals() == before
    assert not CaseUnit.objects.filter(case=order).exists()
    # The same dispatch works afterwards.
    services.workorder_dispatch(order=order, actor=people.dispatcher, unit=district.dept_a)
    assert WorkOrder.objects.get(pk=order.pk).status == Status.DISPATCHED
    assert audit_chain_verify().ok


def test_a_crash_in_an_approved_return_keeps_the_old_assignment(
    people: Any, district: Any, categories: Any, monkeypatch: Any
) -> None:
    order = make_order(people, district, categories.facilities, Status.RETURNED)
    before = totals()
    monkeypatch.setattr("govdesk.workorders.services.case_event_record", crash)
    with pytest.raises(Crash):
        services.workorder_review_return(order=order, actor=people.dispatcher, approve=True, unit=district.dept_b)
    fresh = WorkOrder.objects.get(pk=order.pk)
    assert (fresh.status, fresh.primary_unit_id) == (Status.RETURNED, district.dept_a.pk)
    assert list(CaseUnit.objects.filter(case=order, is_active=True).values_list("unit_id", flat=True)) == [
        district.dept_a.pk
    ]
    assert WorkOrderReturn.objects.get(order=order).status == "pending"
    assert totals() == before


def test_a_crash_while_closing_children_reopens_nothing(
    people: Any, district: Any, categories: Any, monkeypatch: Any
) -> None:
    master = make_order(people, district, categories.facilities, Status.REPLIED)
    children = [make_order(people, district, categories.facilities, Status.NEW) for _ in range(2)]
    for child in children:
        services.workorder_merge(order=child, actor=people.operator, master=master)
    before = totals()
    # Call 1 records the master's visit, call 2 closes the first child, call 3 (the second child) crashes.
    monkeypatch.setattr("govdesk.workorders.services.case_event_record", crash_on_call(3, services.case_event_record))
    with pytest.raises(Crash):
        services.workorder_visit(order=master, actor=people.operator, resolved=True, satisfaction="satisfied")
    assert WorkOrder.objects.get(pk=master.pk).status == Status.REPLIED
    assert [WorkOrder.objects.get(pk=c.pk).status for c in children] == [Status.MERGED, Status.MERGED]
    assert totals() == before
