"""The deadline sweep as a periodic huey task (every minute in `run_huey`); the sweep itself is tested in
workorders/tests/test_deadlines.py."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from huey.contrib.djhuey import HUEY

from govdesk.cases import tasks
from govdesk.cases.models import Case
from govdesk.common import clock
from govdesk.workorders.states import Status
from govdesk.workorders.tests.factories import make_order

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_the_sweep_is_a_periodic_task_run_every_minute() -> None:
    task_class = tasks.cases_deadline_sweep_task.task_class
    assert task_class.__name__ == "cases.deadline_sweep"
    assert task_class in HUEY._registry._periodic_tasks
    moments = [datetime(2026, 3, 2, 9, 0), datetime(2026, 3, 2, 9, 1), datetime(2026, 3, 7, 23, 59)]
    assert all(task_class().validate_datetime(moment) for moment in moments)


def test_the_task_calls_the_sweep(monkeypatch: Any) -> None:
    calls: list[dict[str, Any]] = []

    def sweep(**kwargs: Any) -> dict[str, int]:
        calls.append(kwargs)
        return {"overdue_set": 1}

    monkeypatch.setattr(tasks, "case_deadlines_sweep", sweep)
    tasks.cases_deadline_sweep_task()  # queued and, in the tests' immediate mode, run at once
    assert calls == [{}]


def test_the_task_sets_the_flags_of_an_overdue_order(people: Any, district: Any, categories: Any) -> None:
    order = make_order(people, district, categories.facilities, Status.HANDLING)
    Case.objects.filter(pk=order.pk).update(due_at=clock.now() - timedelta(hours=1))
    tasks.cases_deadline_sweep_task()
    assert Case.objects.get(pk=order.pk).is_overdue is True


def test_a_sweep_still_running_is_not_overlapped(monkeypatch: Any) -> None:
    calls: list[int] = []

    def sweep() -> dict[str, int]:
        calls.append(1)
        return {}

    monkeypatch.setattr(tasks, "case_deadlines_sweep", sweep)
    with HUEY.lock_task("cases.deadline_sweep"):
        tasks.cases_deadline_sweep_task()
    assert calls == []
    tasks.cases_deadline_sweep_task()
    assert calls == [1]
