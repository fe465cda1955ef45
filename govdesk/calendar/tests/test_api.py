"""API contract: GET /api/v1/calendar/deadline/ on the real holiday arrangement (DOMAIN.md §2 examples)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from rest_framework.test import APIClient

from govdesk.calendar.selectors import calendar_invalidate

pytestmark = pytest.mark.django_db

URL = "/api/v1/calendar/deadline/"


@pytest.fixture
def client(people: SimpleNamespace, api_client_for: Any) -> APIClient:
    calendar_invalidate()
    return api_client_for(people.handler_a)


@pytest.mark.parametrize(
    ("start", "days", "due_at"),
    [
        # National Day: Oct 1-7 off, Saturday Oct 10 worked.
        ("2026-09-30T10:00+08:00", 5, "2026-10-13T17:30:00+08:00"),
        # Spring Festival: Saturday Feb 14 worked, Feb 15-23 off.
        ("2026-02-13T10:00+08:00", 3, "2026-02-25T17:30:00+08:00"),
        # The same moment given in UTC.
        ("2026-09-30T02:00:00Z", 5, "2026-10-13T17:30:00+08:00"),
        # Naive: taken as Beijing time.
        ("2026-09-30T10:00:00", 5, "2026-10-13T17:30:00+08:00"),
        # Zero days: close of business the same working day.
        ("2026-09-30T10:00:00", 0, "2026-09-30T17:30:00+08:00"),
    ],
)
def test_working_days_across_real_holidays(client: APIClient, start: str, days: int, due_at: str) -> None:
    params: dict[str, Any] = {"start": start, "working_days": days}
    response = client.get(URL, params)
    assert response.status_code == 200, response.json()
    assert response.json() == {"due_at": due_at, "warnings": []}


def test_working_hours_skip_lunch_nights_and_holidays(client: APIClient) -> None:
    # 16:30 on the last working day before National Day: 1 h today, then the next working day is Thu Oct 8.
    response = client.get(URL, {"start": "2026-09-30T16:30+08:00", "working_hours": "3"})
    assert response.status_code == 200
    assert response.json()["due_at"] == "2026-10-08T11:00:00+08:00"


def test_a_plus_lost_in_the_query_string_is_put_back(client: APIClient) -> None:
    response = client.get(f"{URL}?start=2026-09-30T10:00+08:00&working_days=5")
    assert response.status_code == 200
    assert response.json()["due_at"] == "2026-10-13T17:30:00+08:00"


def test_a_year_without_holiday_data_gives_a_warning(client: APIClient) -> None:
    params: dict[str, Any] = {"start": "2027-03-01T10:00+08:00", "working_days": 5}
    response = client.get(URL, params)
    assert response.status_code == 200
    body = response.json()
    assert body["due_at"] == "2027-03-08T17:30:00+08:00"  # weekends only
    assert len(body["warnings"]) == 1
    assert "2027" in body["warnings"][0]


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"working_days": 5},
        {"start": "2026-09-30T10:00+08:00"},
        {"start": "2026-09-30T10:00+08:00", "working_days": 5, "working_hours": 2},
        {"start": "yesterday", "working_days": 5},
        {"start": "2026-13-45T10:00", "working_days": 5},
        {"start": "2026-09-30T10:00+08:00", "working_days": "abc"},
        {"start": "2026-09-30T10:00+08:00", "working_days": -1},
        {"start": "2026-09-30T10:00+08:00", "working_days": 10**9},
        {"start": "2026-09-30T10:00+08:00", "working_hours": "nan"},
        {"start": "2026-09-30T10:00+08:00", "working_hours": "-2"},
        {"start": "9999-12-30T10:00+08:00", "working_days": 30},
        {"start": "2026-09-30T10:00\x00", "working_days": 1},
    ],
)
def test_bad_parameters_are_400_with_a_message(client: APIClient, params: dict[str, Any]) -> None:
    response = client.get(URL, params)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert body["message"]


def test_needs_a_login(db: Any) -> None:
    params: dict[str, Any] = {"start": "2026-09-30T10:00+08:00", "working_days": 5}
    response = APIClient().get(URL, params)
    assert response.status_code == 401
