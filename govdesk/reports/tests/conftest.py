"""Helpers for the export tests: a logged-in GET, and the workbook of a response."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from openpyxl import load_workbook
from openpyxl.workbook import Workbook

SHANGHAI = ZoneInfo("Asia/Shanghai")
# Orders are made at this moment (a Monday, working hours) so dates and periods are fixed.
MOMENT = datetime(2026, 10, 12, 10, 0, tzinfo=SHANGHAI)


@pytest.fixture
def get_as() -> Callable[..., Any]:
    def get(user: Any, url: str, **params: Any) -> Any:
        client = Client()
        if user is not None:
            client.force_login(user)
        return client.get(url, params)

    return get


def workbook_of(response: Any) -> Workbook:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return load_workbook(io.BytesIO(body))


def body_of(response: Any) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else bytes(response.content)
