"""Reporting fixtures: a monthly toilets (农村户厕改造) task issued by the office to the street, at a known moment."""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from govdesk.reporting.models import Report, ReportingTask
from govdesk.reporting.services import reporting_task_issue

SHANGHAI = ZoneInfo("Asia/Shanghai")
# Issued Mon 2026-09-21 10:00 with 5 working days (Fri 09-25 is the Mid-Autumn Festival): due Tue 09-29 17:30.
ISSUED = datetime(2026, 9, 21, 10, 0, tzinfo=SHANGHAI)


def toilet_row(village: str = "滨河社区", planned: Any = "10", completed: Any = "4") -> dict[str, Any]:
    return {"township": "滨河街道", "village": village, "planned": planned, "completed": completed}


def issue(
    actor: Any, *, units: Any, kind: str = "toilets", year: int = 2026, month: Any = 9, days: int = 5
) -> ReportingTask:
    with time_machine.travel(ISSUED, tick=False):
        return reporting_task_issue(
            actor=actor, data={"kind": kind, "year": year, "month": month, "units": units, "deadline_days": days}
        )


@pytest.fixture
def task(people: SimpleNamespace, district: SimpleNamespace) -> ReportingTask:
    return issue(people.supervisor, units=[district.street.code])


@pytest.fixture
def report(task: ReportingTask) -> Report:
    return Report.objects.get(task=task)
