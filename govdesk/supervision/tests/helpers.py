"""Orders at known moments for the supervision tests, built through the real services."""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import time_machine

from govdesk.workorders.models import WorkOrder
from govdesk.workorders.states import Status
from govdesk.workorders.tests.factories import make_order

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


def order_at(
    moment: datetime, people: SimpleNamespace, district: SimpleNamespace, categories: SimpleNamespace, **kw: Any
) -> WorkOrder:
    """A consultation (2 working days) being handled by district.dept_a, registered at `moment`."""
    status = kw.pop("status", Status.HANDLING)
    with time_machine.travel(moment, tick=False):
        return make_order(people, district, categories.facilities, status, request_type="consultation", **kw)
