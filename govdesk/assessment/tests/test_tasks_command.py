"""The nightly task and `manage.py assessment_compute`."""

from __future__ import annotations

from datetime import date
from io import StringIO
from types import SimpleNamespace
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from govdesk.assessment import tasks
from govdesk.assessment.models import AssessmentResult
from govdesk.common import clock
from govdesk.common.errors import ApplicationError

from .conftest import NOW

pytestmark = pytest.mark.django_db


def test_the_periodic_task_computes_the_previous_and_the_current_month(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[date] = []

    def fake(month: date, rule_set: Any = None, **kwargs: Any) -> list[Any]:
        calls.append(month)
        if month == date(2026, 10, 1):
            raise ApplicationError("no rules")  # logged, the other month still computed
        return []

    monkeypatch.setattr(tasks.services, "assessment_compute", fake)
    with clock.at(NOW):
        tasks.assessment_compute_task.call_local()
    assert calls == [date(2026, 10, 1), date(2026, 11, 1)]


def test_the_periodic_task_is_scheduled_nightly() -> None:
    from datetime import datetime

    task_class: Any = tasks.assessment_compute_task.task_class()
    assert task_class.validate_datetime(datetime(2026, 11, 20, 1, 30))
    assert not task_class.validate_datetime(datetime(2026, 11, 20, 2, 30))


def test_the_command_computes_a_month_with_progress(october: SimpleNamespace) -> None:
    out = StringIO()
    with clock.at(NOW):
        call_command("assessment_compute", "--month", "2026-10", stdout=out)
    text = out.getvalue()
    assert "2026-10: 2 units with orders" in text
    assert "2 units scored, 0 ranked" in text  # the default rule set needs 10 orders
    assert AssessmentResult.objects.filter(month=date(2026, 10, 1)).count() == 2


@pytest.mark.parametrize("month", ["2026-13", "oct", "2099-01"])
def test_the_command_refuses_a_bad_month(month: str) -> None:
    with clock.at(NOW), pytest.raises(CommandError, match=r"month|YYYY-MM|月份"):
        call_command("assessment_compute", "--month", month, stdout=StringIO())
