"""Deadlines set by the services from the time-limit policy and the calendar, and the periodic sweep's flags."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
import time_machine

from govdesk.calendar.core import SHANGHAI
from govdesk.calendar.selectors import calendar_invalidate
from govdesk.cases.services import case_deadlines_sweep
from govdesk.catalog.models import RequestType, TimeLimitPolicy
from govdesk.workorders import services
from govdesk.workorders.models import WorkOrder
from govdesk.workorders.states import Status
from govdesk.workorders.tests.factories import intake, make_order, with_pending_extension

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_calendar() -> Iterator[None]:
    calendar_invalidate()
    yield
    calendar_invalidate()


def at(y: int, m: int, d: int, hh: int = 10, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=SHANGHAI)


def close(y: int, m: int, d: int) -> datetime:
    return at(y, m, d, 17, 30)


def flags(order: WorkOrder) -> tuple[bool, bool, bool]:
    fresh = WorkOrder.objects.get(pk=order.pk)
    return fresh.is_overdue, fresh.is_due_soon, fresh.is_sign_overdue


def test_sign_for_limit_is_two_working_hours_from_dispatch(people: Any, district: Any, categories: Any) -> None:
    with time_machine.travel(at(2026, 3, 2, 9, 30), tick=False) as traveller:
        order = services.workorder_register(actor=people.operator, data=intake(categories.facilities))
        assert order.sign_due_at is None  # nobody has to sign before dispatch
        traveller.move_to(at(2026, 3, 2, 11, 0))
        services.workorder_dispatch(order=order, actor=people.dispatcher, unit=district.dept_a)
    fresh = WorkOrder.objects.get(pk=order.pk)
    assert fresh.sign_due_at == at(2026, 3, 2, 14, 30)  # one hour before lunch, one after
    assert fresh.dispatched_at == at(2026, 3, 2, 11, 0)
    assert fresh.due_at == close(2026, 3, 23)  # completion counts from registration, not dispatch


def test_sign_for_limit_dispatched_before_a_holiday(people: Any, district: Any, categories: Any) -> None:
    with time_machine.travel(at(2026, 9, 30, 17, 0), tick=False):
        order = make_order(people, district, categories.facilities, Status.DISPATCHED)
    assert order.sign_due_at == at(2026, 10, 8, 10, 30)


@pytest.mark.parametrize(
    ("type_code", "due"),
    [
        ("consultation", close(2026, 3, 4)),
        ("help", close(2026, 3, 16)),
        ("suggestion", close(2026, 3, 16)),
        ("praise", close(2026, 3, 16)),
        ("complaint", close(2026, 3, 23)),
        ("report", close(2026, 3, 23)),
    ],
)
def test_completion_limit_per_type(type_code: str, due: datetime, people: Any, categories: Any) -> None:
    with time_machine.travel(at(2026, 3, 2), tick=False):
        order = services.workorder_register(
            actor=people.operator, data=intake(categories.facilities, request_type=type_code)
        )
    assert order.due_at == due


@pytest.mark.parametrize(
    ("type_code", "due"),
    [
        ("consultation", close(2026, 10, 9)),  # Oct 1–7 off
        ("help", close(2026, 10, 20)),  # Sat Oct 10 counts
        ("complaint", close(2026, 10, 27)),
    ],
)
def test_completion_limit_across_national_day(type_code: str, due: datetime, people: Any, categories: Any) -> None:
    with time_machine.travel(at(2026, 9, 30), tick=False):
        order = services.workorder_register(
            actor=people.operator, data=intake(categories.facilities, request_type=type_code)
        )
    assert order.due_at == due


def test_urgent_orders_sign_in_30_minutes_and_finish_in_24_hours(people: Any, district: Any, categories: Any) -> None:
    # Natural minutes and hours: a Saturday evening counts.
    with time_machine.travel(at(2026, 3, 7, 20, 0), tick=False) as traveller:
        order = services.workorder_register(actor=people.operator, data=intake(categories.facilities, urgency="urgent"))
        assert order.due_at == at(2026, 3, 8, 20, 0)
        traveller.move_to(at(2026, 3, 7, 20, 5))
        services.workorder_dispatch(order=order, actor=people.dispatcher, unit=district.dept_a)
    assert WorkOrder.objects.get(pk=order.pk).sign_due_at == at(2026, 3, 7, 20, 35)


def test_a_category_policy_beats_the_type_default_and_urgency_beats_both(
    people: Any, district: Any, categories: Any
) -> None:
    TimeLimitPolicy.objects.create(
        name="市政设施：5个工作日",
        category=categories.branch,
        sign_amount=1,
        sign_unit="working_hours",
        finish_amount=5,
        finish_unit="working_days",
    )
    TimeLimitPolicy.objects.create(
        name="投诉·市政设施：3个工作日",
        category=categories.facilities,
        request_type=RequestType.objects.get(code="complaint"),
        sign_amount=1,
        sign_unit="working_hours",
        finish_amount=3,
        finish_unit="working_days",
    )
    with time_machine.travel(at(2026, 3, 2), tick=False):
        deepest = services.workorder_register(actor=people.operator, data=intake(categories.facilities))
        branch = services.workorder_register(actor=people.operator, data=intake(categories.greening))
        elsewhere = services.workorder_register(actor=people.operator, data=intake(categories.housing))
        urgent = services.workorder_register(
            actor=people.operator, data=intake(categories.facilities, urgency="urgent")
        )
        services.workorder_dispatch(order=branch, actor=people.dispatcher, unit=district.dept_a)
    assert deepest.due_at == close(2026, 3, 5)  # the level-3 category policy (3 days)
    assert branch.due_at == close(2026, 3, 9)  # the level-2 category policy (5 days)
    assert WorkOrder.objects.get(pk=branch.pk).sign_due_at == at(2026, 3, 2, 11, 0)  # its 1 working hour
    assert elsewhere.due_at == close(2026, 3, 23)  # the complaint default (15 days)
    assert urgent.due_at == at(2026, 3, 3, 10, 0)  # urgent: 24 hours


def test_an_inactive_policy_is_ignored(people: Any, categories: Any) -> None:
    TimeLimitPolicy.objects.create(
        name="停用",
        category=categories.facilities,
        sign_amount=1,
        sign_unit="working_hours",
        finish_amount=1,
        finish_unit="working_days",
        is_active=False,
    )
    with time_machine.travel(at(2026, 3, 2), tick=False):
        order = services.workorder_register(actor=people.operator, data=intake(categories.facilities))
    assert order.due_at == close(2026, 3, 23)


def test_approved_extension_adds_working_days_to_the_deadline(people: Any, district: Any, categories: Any) -> None:
    with time_machine.travel(at(2026, 9, 14), tick=False) as traveller:
        order = make_order(people, district, categories.facilities, Status.HANDLING, request_type="consultation")
        assert order.due_at == close(2026, 9, 16)
        traveller.move_to(at(2026, 9, 15))
        order = with_pending_extension(order, people.handler_a, working_days=5)
        order = services.workorder_review_extension(order=order, actor=people.supervisor, approve=True, note="同意")
    # Thu 17, Fri 18, Sun 20 (make-up), Mon 21, Tue 22.
    assert WorkOrder.objects.get(pk=order.pk).due_at == close(2026, 9, 22)
    extension = order.extensions.get()
    assert (extension.previous_due_at, extension.new_due_at) == (close(2026, 9, 16), close(2026, 9, 22))


def test_a_reopened_order_gets_a_fresh_completion_limit(people: Any, district: Any, categories: Any) -> None:
    with time_machine.travel(at(2026, 3, 2), tick=False) as traveller:
        order = make_order(people, district, categories.facilities, Status.REPLIED, request_type="consultation")
        traveller.move_to(at(2026, 3, 4, 16, 0))
        services.workorder_visit(order=order, actor=people.operator, resolved=False, satisfaction="unsatisfied")
    assert WorkOrder.objects.get(pk=order.pk).due_at == close(2026, 3, 6)


def test_a_deadline_in_a_year_without_data_is_logged(people: Any, categories: Any, caplog: Any) -> None:
    with (
        time_machine.travel(at(2026, 12, 28), tick=False),
        caplog.at_level(logging.WARNING, logger="govdesk.calendar.selectors"),
    ):
        order = services.workorder_register(actor=people.operator, data=intake(categories.facilities))
    # Weekends only in 2027, New Year's Day counted as a working day: Dec 29–31, Jan 1, 4–8, 11–15, 18 (the 15th).
    assert order.due_at == close(2027, 1, 18)
    assert any("2027" in r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)


# --- the sweep -----------------------------------------------------------------------------------------------------


def test_sweep_sets_and_clears_the_flags(people: Any, district: Any, categories: Any) -> None:
    with time_machine.travel(at(2026, 3, 2), tick=False) as traveller:
        order = make_order(people, district, categories.facilities, Status.DISPATCHED, request_type="consultation")
        assert (order.sign_due_at, order.due_at) == (at(2026, 3, 2, 12, 0), close(2026, 3, 4))
        traveller.move_to(at(2026, 3, 2, 11, 59))
        case_deadlines_sweep()
        assert flags(order) == (False, False, False)

        traveller.move_to(at(2026, 3, 2, 12, 1))
        counts = case_deadlines_sweep()
        assert counts["sign_overdue_set"] == 1
        assert flags(order) == (False, False, True)

        traveller.move_to(at(2026, 3, 2, 14, 0))
        services.workorder_sign(order=order, actor=people.handler_a)
        case_deadlines_sweep()
        assert flags(order) == (False, False, False)

        traveller.move_to(at(2026, 3, 3, 17, 0))  # 7.5 working hours left
        case_deadlines_sweep()
        assert flags(order) == (False, False, False)

        traveller.move_to(at(2026, 3, 4, 10, 0))  # 6 working hours left
        counts = case_deadlines_sweep()
        assert counts["due_soon_set"] == 1
        assert flags(order) == (False, True, False)

        traveller.move_to(at(2026, 3, 4, 17, 31))
        counts = case_deadlines_sweep()
        assert (counts["overdue_set"], counts["due_soon_cleared"]) == (1, 1)
        assert flags(order) == (True, False, False)

        # An approved extension moves the deadline; the next sweep clears the overdue flag.
        order.due_at = close(2026, 3, 20)
        order.save(update_fields=["due_at"])
        case_deadlines_sweep()
        assert flags(order) == (False, False, False)


@pytest.mark.parametrize(
    ("now", "due_soon"),
    [
        (at(2026, 3, 3, 17, 29), False),  # 7 h 1 min left
        (at(2026, 3, 3, 17, 30), False),  # exactly one working day left is not "less than one"
        (at(2026, 3, 3, 20, 0), False),  # the evening before: still a whole working day ahead
        (at(2026, 3, 4, 9, 1), True),  # 6 h 59 min left
        (at(2026, 3, 4, 17, 30), True),  # the deadline itself
    ],
)
def test_due_soon_means_less_than_one_working_day(
    now: datetime, due_soon: bool, people: Any, district: Any, categories: Any
) -> None:
    with time_machine.travel(at(2026, 3, 2), tick=False):
        order = make_order(people, district, categories.facilities, Status.HANDLING, request_type="consultation")
    with time_machine.travel(now, tick=False):
        case_deadlines_sweep()
    assert flags(order)[1] is due_soon


def test_due_soon_over_a_weekend(people: Any, district: Any, categories: Any) -> None:
    # Registered Thu 5 March: due Mon 9 March 17:30. On Friday evening a whole working day (Monday) is left.
    with time_machine.travel(at(2026, 3, 5), tick=False):
        order = make_order(people, district, categories.facilities, Status.HANDLING, request_type="consultation")
    assert order.due_at == close(2026, 3, 9)
    with time_machine.travel(at(2026, 3, 7, 12, 0), tick=False):
        case_deadlines_sweep()
    assert flags(order) == (False, False, False)
    with time_machine.travel(at(2026, 3, 9, 9, 30), tick=False):
        case_deadlines_sweep()
    assert flags(order) == (False, True, False)


def test_sweep_is_idempotent(people: Any, district: Any, categories: Any) -> None:
    with time_machine.travel(at(2026, 3, 2), tick=False):
        late = make_order(people, district, categories.facilities, Status.DISPATCHED, request_type="consultation")
        soon = make_order(people, district, categories.facilities, Status.HANDLING, request_type="help")
        fine = make_order(people, district, categories.facilities, Status.HANDLING)
    with time_machine.travel(at(2026, 3, 16, 10, 0), tick=False):
        first = case_deadlines_sweep()
        state = [flags(o) for o in (late, soon, fine)]
        second = case_deadlines_sweep()
    assert state == [(True, False, True), (False, True, False), (False, False, False)]
    assert sum(first.values()) == 3
    assert set(second.values()) == {0}
    assert [flags(o) for o in (late, soon, fine)] == state


def test_closed_orders_carry_no_flags(people: Any, district: Any, categories: Any) -> None:
    with time_machine.travel(at(2026, 3, 2), tick=False) as traveller:
        order = make_order(people, district, categories.facilities, Status.REPLIED, request_type="consultation")
        cancelled = make_order(people, district, categories.facilities, Status.DISPATCHED, request_type="consultation")
        traveller.move_to(at(2026, 3, 5, 10, 0))
        case_deadlines_sweep()
        assert flags(order)[0] and flags(cancelled)[0]
        services.workorder_visit(order=order, actor=people.operator, resolved=True, satisfaction="satisfied")
        services.workorder_cancel(order=cancelled, actor=people.dispatcher, reason="撤回")
        assert flags(order) == flags(cancelled) == (False, False, False)
        case_deadlines_sweep()
        assert flags(order) == flags(cancelled) == (False, False, False)
        # Even flags written behind the services' back are cleared by the next sweep.
        WorkOrder.objects.filter(pk=order.pk).update(is_overdue=True, is_due_soon=True, is_sign_overdue=True)
        case_deadlines_sweep()
        assert flags(order) == (False, False, False)
    assert not WorkOrder.objects.get(pk=order.pk).is_open


def test_a_new_order_has_no_sign_overdue(people: Any, categories: Any) -> None:
    with time_machine.travel(at(2026, 3, 2), tick=False):
        order = services.workorder_register(actor=people.operator, data=intake(categories.facilities))
    with time_machine.travel(at(2026, 3, 2) + timedelta(days=1), tick=False):
        case_deadlines_sweep()
    assert flags(order) == (False, False, False)
