"""The catch-up sweep: the suggestion or reply check whose task never ran (the process died between the commit and the
enqueue, or the task worker died with tasks taken) is queued again, once, and only for orders that still want it.

Orders made here inside the test's transaction never run their on-commit hooks: their tasks were never queued, as
after such a crash. `now` is passed a few minutes ahead instead of ageing the orders.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from govdesk.common import clock
from govdesk.dispatch import selectors, tasks
from govdesk.dispatch.models import DispatchSuggestion, ReplyAssessment
from govdesk.dispatch.services import dispatch_catch_up
from govdesk.workorders import services
from govdesk.workorders.models import WorkOrder
from govdesk.workorders.states import Status
from govdesk.workorders.tests.factories import make_order

from .classifier_fixture import tiny_model_file
from .test_tasks import GOOD_REPLY, WAGES, queued, run_queued

pytestmark = pytest.mark.django_db

LATER = timedelta(minutes=5)


@pytest.fixture
def model_path(settings: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tiny_model_file(tmp_path_factory.getbasetemp())
    settings.GOVDESK = {**settings.GOVDESK, "DISPATCH_MODEL_PATH": str(path)}
    selectors.dispatch_model_forget()
    return path


def new_order(people: Any, district: Any, categories: Any, status: Status = Status.NEW) -> WorkOrder:
    return make_order(people, district, categories.wages, status, **WAGES)


def test_an_order_whose_task_never_ran_gets_its_suggestion_after_the_sweep(
    queue: Any, people: Any, district: Any, categories: Any, model_path: Path
) -> None:
    order = new_order(people, district, categories)
    assert queued(queue) == []  # the crash: committed, never queued

    assert dispatch_catch_up(clock.now() + LATER) == 1
    assert queued(queue) == [("dispatch.after_register", (order.pk,))]
    assert run_queued(queue) == ["dispatch.after_register"]
    suggestion = DispatchSuggestion.objects.get(case_id=order.pk)
    assert suggestion.categories[0]["label"] == "劳动和社会保障"


def test_a_young_order_is_left_to_its_own_task(
    queue: Any, people: Any, district: Any, categories: Any, model_path: Path
) -> None:
    new_order(people, district, categories)
    assert dispatch_catch_up(clock.now() + timedelta(seconds=60)) == 0
    assert dispatch_catch_up(clock.now() + LATER, older_than_seconds=600) == 0
    assert queued(queue) == []


def test_an_order_older_than_the_window_is_left_alone(
    queue: Any, people: Any, district: Any, categories: Any, model_path: Path
) -> None:
    new_order(people, district, categories)
    assert dispatch_catch_up(clock.now() + timedelta(hours=25)) == 0
    assert dispatch_catch_up(clock.now() + timedelta(hours=3), window_hours=2) == 0
    assert queued(queue) == []


def test_an_order_with_a_suggestion_is_not_queued_again(
    queue: Any, people: Any, district: Any, categories: Any, model_path: Path
) -> None:
    order = new_order(people, district, categories)
    tasks.dispatch_after_register_task(order.pk)
    run_queued(queue)
    assert DispatchSuggestion.objects.filter(case_id=order.pk).count() == 1

    assert dispatch_catch_up(clock.now() + LATER) == 0
    assert queued(queue) == []


def test_an_order_whose_task_still_waits_in_the_queue_is_not_queued_twice(
    queue: Any, people: Any, district: Any, categories: Any, model_path: Path
) -> None:
    order = new_order(people, district, categories)
    assert dispatch_catch_up(clock.now() + LATER) == 1
    # A minute later the worker is still behind: the same order is not queued a second time.
    assert dispatch_catch_up(clock.now() + LATER + timedelta(minutes=1)) == 0
    assert queued(queue) == [("dispatch.after_register", (order.pk,))]


@pytest.mark.parametrize("status", [Status.CLOSED, Status.CANCELLED])
def test_closed_and_cancelled_orders_are_skipped(
    queue: Any, people: Any, district: Any, categories: Any, model_path: Path, status: Status
) -> None:
    order = new_order(people, district, categories, status)
    # A closed order was replied: only its reply check may be due, never a suggestion.
    dispatch_catch_up(clock.now() + LATER)
    assert ("dispatch.after_register", (order.pk,)) not in queued(queue)


def test_a_merged_order_is_skipped(queue: Any, people: Any, district: Any, categories: Any, model_path: Path) -> None:
    order = new_order(people, district, categories)
    WorkOrder.objects.filter(pk=order.pk).update(status=Status.MERGED)
    assert dispatch_catch_up(clock.now() + LATER) == 0


def test_without_a_model_the_sweep_queues_nothing(
    queue: Any, people: Any, district: Any, categories: Any, settings: Any, tmp_path: Path
) -> None:
    settings.GOVDESK = {**settings.GOVDESK, "DISPATCH_MODEL_PATH": str(tmp_path / "absent.joblib")}
    selectors.dispatch_model_forget()
    new_order(people, district, categories)
    assert dispatch_catch_up(clock.now() + LATER) == 0
    assert queued(queue) == []


def test_a_reply_never_checked_is_checked_after_the_sweep_and_only_once(
    queue: Any, people: Any, district: Any, categories: Any, model_path: Path
) -> None:
    order = make_order(people, district, categories.facilities, Status.HANDLING)
    DispatchSuggestion.objects.filter(case_id=order.pk).delete()
    tasks.dispatch_after_register_task(order.pk)  # the suggestion is not what this test is about
    services.workorder_reply(order=order, actor=people.handler_a, reply=GOOD_REPLY)
    run_queued(queue)
    assert not ReplyAssessment.objects.filter(case_id=order.pk).exists()

    assert dispatch_catch_up(clock.now() + LATER) == 1
    assert queued(queue) == [("dispatch.reply_check", (order.pk,))]
    run_queued(queue)
    assert ReplyAssessment.objects.filter(case_id=order.pk).count() == 1
    assert dispatch_catch_up(clock.now() + LATER) == 0


def test_the_sweep_runs_every_minute_one_at_a_time(
    people: Any, district: Any, categories: Any, model_path: Path, monkeypatch: Any
) -> None:
    from huey.api import PeriodicTask
    from huey.contrib.djhuey import HUEY
    from huey.exceptions import TaskLockedException

    task_class = tasks.dispatch_catch_up_task.task_class
    assert task_class.__name__ == "dispatch.catch_up"
    assert issubclass(task_class, PeriodicTask)
    assert all(task_class().validate_datetime(datetime(2026, 3, 2, 10, minute)) for minute in range(60))

    calls: list[Any] = []
    monkeypatch.setattr("govdesk.dispatch.services.dispatch_catch_up", lambda: calls.append(1))
    tasks.dispatch_catch_up_task.call_local()
    assert calls == [1]
    # While one sweep runs (it holds the lock), another does not start.
    with HUEY.lock_task("dispatch.catch_up"), pytest.raises(TaskLockedException):
        tasks.dispatch_catch_up_task.call_local()
    assert calls == [1]
