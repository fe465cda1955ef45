"""Smart dispatch's after-commit work as huey tasks: its case-event subscriber only queues, the worker runs the tasks,
and a task that runs twice, late or for an order that moved on stores nothing twice and changes nothing it should not.

The test settings run tasks at once (immediate mode). The `queue` fixture turns that off for one test with an
in-memory queue, so what a request queues can be inspected and run later, as the worker would.
"""

from __future__ import annotations

import logging
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.db import OperationalError
from huey.contrib.djhuey import HUEY

from govdesk.cases.models import CaseEvent
from govdesk.dispatch import replycheck, selectors, tasks
from govdesk.dispatch import services as dispatch_services
from govdesk.dispatch.models import DispatchCorrection, DispatchSettings, DispatchSuggestion, ReplyAssessment
from govdesk.workorders import services
from govdesk.workorders.models import WorkOrder
from govdesk.workorders.states import Status
from govdesk.workorders.tests.factories import intake, make_order

from .classifier_fixture import tiny_model_file

pytestmark = pytest.mark.django_db

WAGES = {"title": "公司拖欠工资", "content": "老板拖欠工资三个月，社保也不交，劳动合同也没签。", "address": ""}
GOOD_REPLY = (
    "经核实，滨河北路与永宁路交叉口的三盏路灯因线路老化不亮。我局已安排维修人员更换线路，目前路灯已恢复正常。"
    "如有疑问请联系李工，联系电话0358-1234567。"
)


@pytest.fixture
def model_path(settings: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tiny_model_file(tmp_path_factory.getbasetemp())
    settings.GOVDESK = {**settings.GOVDESK, "DISPATCH_MODEL_PATH": str(path)}
    return path


def queued(huey: Any) -> list[tuple[str, tuple[Any, ...]]]:
    return [(task.name, tuple(task.args)) for task in huey.pending()]


def run_queued(huey: Any) -> list[str]:
    """Run what is queued, as the worker does (`huey.execute`: retries, error handling), in this thread.

    `close_db` (djhuey) closes the database connection around a task unless huey is immediate, which inside the
    test's transaction would break it; immediate mode is switched on (by attribute, keeping this storage) meanwhile.
    """
    ran: list[str] = []
    huey._immediate = True
    try:
        while (task := huey.dequeue()) is not None:
            ran.append(task.name)
            huey.execute(task)
    finally:
        huey._immediate = False
    return ran


def register(people: Any, django_capture_on_commit_callbacks: Any, category: Any, **overrides: Any) -> WorkOrder:
    with django_capture_on_commit_callbacks(execute=True):
        order = services.workorder_register(actor=people.operator, data=intake(category, **overrides))
    return order


def _auto(enabled: bool, threshold: str = "0.000") -> None:
    row = DispatchSettings.current()
    row.auto_dispatch_enabled, row.auto_dispatch_threshold = enabled, Decimal(threshold)
    row.save()


# --- immediate mode (tests, GOVDESK_TASKS_IMMEDIATE=1): the flows work as before, through the tasks -----------------


def test_immediate_mode_runs_the_task_inline_with_transient_errors_marked_for_retry(
    people: Any, categories: Any, model_path: Path, django_capture_on_commit_callbacks: Any, monkeypatch: Any
) -> None:
    assert HUEY.immediate is True
    calls: list[tuple[int, Any]] = []
    real = dispatch_services.dispatch_after_register

    def spy(order_pk: int, **kwargs: Any) -> Any:
        calls.append((order_pk, kwargs.get("reraise")))
        return real(order_pk, **kwargs)

    monkeypatch.setattr(dispatch_services, "dispatch_after_register", spy)
    order = register(people, django_capture_on_commit_callbacks, categories.wages, **WAGES)
    assert calls == [(order.pk, tasks.TRANSIENT_ERRORS)]
    assert DispatchSuggestion.objects.filter(case_id=order.pk).count() == 1


def test_tasks_retry_a_few_times_after_a_delay() -> None:
    for task in (tasks.dispatch_after_register_task, tasks.dispatch_after_dispatch_task, tasks.reply_check_task):
        assert task.retries == tasks.RETRIES == 3
        assert task.retry_delay == tasks.RETRY_DELAY_SECONDS > 0


# --- with a queue: the request only queues -------------------------------------------------------------------------


def test_registering_queues_exactly_one_task_and_does_not_run_it(
    queue: Any, people: Any, categories: Any, model_path: Path, django_capture_on_commit_callbacks: Any
) -> None:
    order = register(people, django_capture_on_commit_callbacks, categories.wages, **WAGES)
    assert queued(queue) == [("dispatch.after_register", (order.pk,))]
    assert not DispatchSuggestion.objects.filter(case_id=order.pk).exists()

    assert run_queued(queue) == ["dispatch.after_register"]
    suggestion = DispatchSuggestion.objects.get(case_id=order.pk)
    assert suggestion.categories[0]["label"] == "劳动和社会保障"
    assert queue.pending_count() == 0


def test_a_rolled_back_registration_queues_nothing(
    queue: Any, people: Any, categories: Any, model_path: Path, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(services.PermissionDenied):
        services.workorder_register(actor=people.handler_a, data=intake(categories.wages, **WAGES))
    assert callbacks == []
    assert queue.pending_count() == 0


def test_dispatching_and_replying_queue_their_tasks(
    queue: Any, people: Any, district: Any, categories: Any, django_capture_on_commit_callbacks: Any
) -> None:
    order = make_order(people, district, categories.facilities, Status.HANDLING)
    queue.flush()
    with django_capture_on_commit_callbacks(execute=True):
        services.workorder_reply(order=order, actor=people.handler_a, reply=GOOD_REPLY)
    assert queued(queue) == [("dispatch.reply_check", (order.pk,))]
    assert not ReplyAssessment.objects.filter(case_id=order.pk).exists()
    run_queued(queue)
    assert ReplyAssessment.objects.filter(case_id=order.pk).count() == 1

    fresh = make_order(people, district, categories.facilities, Status.NEW)
    queue.flush()
    with django_capture_on_commit_callbacks(execute=True):
        services.workorder_dispatch(order=fresh.number, actor=people.dispatcher, unit=district.dept_a)
    assert queued(queue) == [("dispatch.after_dispatch", (fresh.pk, people.dispatcher.pk, district.dept_a.pk))]


def test_a_queue_that_is_down_does_not_break_registration(
    queue: Any, people: Any, categories: Any, model_path: Path, monkeypatch: Any, caplog: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:  # fmt: skip
    def down(*args: Any, **kwargs: Any) -> None:
        raise ConnectionError("queue unreachable")

    monkeypatch.setattr(queue.storage, "enqueue", down)
    with caplog.at_level(logging.ERROR), django_capture_on_commit_callbacks(execute=True) as callbacks:
        order = services.workorder_register(actor=people.operator, data=intake(categories.wages, **WAGES))
    assert len(callbacks) == 1
    assert WorkOrder.objects.get(pk=order.pk).status == Status.NEW
    assert "could not queue dispatch_after_register_task" in caplog.text
    assert "queue unreachable" in caplog.text
    assert not DispatchSuggestion.objects.exists()


# --- idempotent, and tolerant of orders that moved on --------------------------------------------------------------


def test_running_the_suggestion_task_twice_stores_one_suggestion(
    queue: Any, people: Any, categories: Any, district: Any, model_path: Path, django_capture_on_commit_callbacks: Any
) -> None:
    _auto(True)
    order = register(people, django_capture_on_commit_callbacks, categories.wages, **WAGES)
    tasks.dispatch_after_register_task(order.pk)  # a duplicate, e.g. queued again after a retry
    assert queue.pending_count() == 2
    with django_capture_on_commit_callbacks(execute=True):
        assert run_queued(queue) == ["dispatch.after_register"] * 2
    assert DispatchSuggestion.objects.filter(case_id=order.pk).count() == 1
    # Auto-dispatched once, by the first run.
    assert CaseEvent.objects.filter(case_id=order.pk, action="dispatch").count() == 1
    order.refresh_from_db()
    assert order.status == Status.DISPATCHED and order.primary_unit == district.dept_b


def test_a_task_for_a_vanished_order_does_nothing(model_path: Path, caplog: Any) -> None:
    with caplog.at_level(logging.ERROR):
        tasks.dispatch_after_register_task(987654321)
        tasks.dispatch_after_dispatch_task(987654321, None, 1)
        tasks.reply_check_task(987654321)
    assert not DispatchSuggestion.objects.exists()
    assert not DispatchCorrection.objects.exists()
    assert not ReplyAssessment.objects.exists()
    assert caplog.text == ""


@pytest.mark.parametrize("status", [Status.CANCELLED, Status.MERGED, Status.CLOSED])
def test_a_task_for_an_order_closed_cancelled_or_merged_meanwhile_does_nothing(
    queue: Any, people: Any, district: Any, categories: Any, model_path: Path, status: Status
) -> None:
    order = make_order(people, district, categories.wages, status, **WAGES)
    assert WorkOrder.objects.get(pk=order.pk).status == status
    tasks.dispatch_after_register_task(order.pk)
    run_queued(queue)
    assert not DispatchSuggestion.objects.filter(case_id=order.pk).exists()


def test_an_order_dispatched_by_hand_before_the_task_runs_is_not_auto_dispatched(
    queue: Any, people: Any, categories: Any, district: Any, model_path: Path, django_capture_on_commit_callbacks: Any
) -> None:
    _auto(True)
    order = register(people, django_capture_on_commit_callbacks, categories.wages, **WAGES)
    with django_capture_on_commit_callbacks(execute=True):
        services.workorder_dispatch(order=order.number, actor=people.dispatcher, unit=district.dept_a)
    assert run_queued(queue) == ["dispatch.after_register", "dispatch.after_dispatch"]
    order.refresh_from_db()
    assert order.status == Status.DISPATCHED and order.primary_unit == district.dept_a
    assert CaseEvent.objects.filter(case_id=order.pk, action="dispatch").count() == 1
    suggestion = DispatchSuggestion.objects.get(case_id=order.pk)
    assert suggestion.auto_dispatched is False
    assert suggestion.unit == district.dept_b  # kept: the queue and later corrections compare against it


def test_running_the_correction_task_twice_stores_one_correction(
    people: Any, categories: Any, district: Any, model_path: Path, django_capture_on_commit_callbacks: Any
) -> None:
    order = register(people, django_capture_on_commit_callbacks, categories.wages, **WAGES)
    with django_capture_on_commit_callbacks(execute=True):
        services.workorder_dispatch(order=order.number, actor=people.dispatcher, unit=district.dept_a)
    tasks.dispatch_after_dispatch_task(order.pk, people.dispatcher.pk, district.dept_a.pk)
    correction = DispatchCorrection.objects.get(case_id=order.pk)
    assert (correction.suggested_unit, correction.final_unit) == (district.dept_b, district.dept_a)


def test_running_the_reply_check_twice_stores_one_assessment(
    people: Any, district: Any, categories: Any, django_capture_on_commit_callbacks: Any
) -> None:
    order = make_order(people, district, categories.facilities, Status.HANDLING)
    with django_capture_on_commit_callbacks(execute=True):
        services.workorder_reply(order=order, actor=people.handler_a, reply=GOOD_REPLY)
    tasks.reply_check_task(order.pk)
    assert ReplyAssessment.objects.filter(case_id=order.pk).count() == 1


def test_a_late_reply_check_for_a_reply_replaced_meanwhile_stores_nothing(
    people: Any, district: Any, categories: Any, monkeypatch: Any
) -> None:
    order = make_order(people, district, categories.facilities, Status.REPLIED)
    WorkOrder.objects.filter(pk=order.pk).update(reply=GOOD_REPLY)
    real_score = replycheck.core.reply_score

    def score_then_reply_changes(*args: Any, **kwargs: Any) -> Any:
        result = real_score(*args, **kwargs)
        WorkOrder.objects.filter(pk=order.pk).update(reply=GOOD_REPLY + "（补充）")
        return result

    monkeypatch.setattr(replycheck.core, "reply_score", score_then_reply_changes)
    tasks.reply_check_task(order.pk)
    assert not ReplyAssessment.objects.filter(case_id=order.pk).exists()


# --- retries: transient database errors only ------------------------------------------------------------------------


def _failing_suggest(exc: Exception) -> Any:
    def fail(**kwargs: Any) -> Any:
        raise exc

    return fail


def test_a_transient_database_error_is_retried_later(
    queue: Any, people: Any, categories: Any, model_path: Path, django_capture_on_commit_callbacks: Any,
    monkeypatch: Any,
) -> None:  # fmt: skip
    order = register(people, django_capture_on_commit_callbacks, categories.wages, **WAGES)
    monkeypatch.setattr(
        selectors, "dispatch_suggest", _failing_suggest(OperationalError("server closed the connection"))
    )
    run_queued(queue)
    retry = [task for task in queue.scheduled() if task.name == "dispatch.after_register"]
    assert len(retry) == 1
    assert retry[0].args == (order.pk,) and retry[0].retries == tasks.RETRIES - 1
    assert not DispatchSuggestion.objects.filter(case_id=order.pk).exists()


def test_any_other_error_is_logged_and_not_retried(
    queue: Any, people: Any, categories: Any, model_path: Path, django_capture_on_commit_callbacks: Any,
    monkeypatch: Any, caplog: Any,
) -> None:  # fmt: skip
    order = register(people, django_capture_on_commit_callbacks, categories.wages, **WAGES)
    monkeypatch.setattr(selectors, "dispatch_suggest", _failing_suggest(ValueError("a bug")))
    with caplog.at_level(logging.ERROR):
        run_queued(queue)
    assert queue.scheduled_count() == 0
    assert "after-register step failed" in caplog.text
    assert not DispatchSuggestion.objects.filter(case_id=order.pk).exists()
