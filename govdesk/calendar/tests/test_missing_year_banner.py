from __future__ import annotations

from datetime import date
from typing import Any

import pytest
import time_machine

from govdesk.calendar.models import CalendarYear
from govdesk.calendar.selectors import calendar_invalidate, calendar_missing_years
from govdesk.org.models import Role
from govdesk.org.tests.factories import UserFactory, login_verified

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_calendar() -> Any:
    calendar_invalidate()
    yield
    calendar_invalidate()


def test_next_year_matters_from_october_only() -> None:
    assert calendar_missing_years(today=date(2026, 9, 30)) == []
    assert calendar_missing_years(today=date(2026, 10, 1)) == [2027]
    assert calendar_missing_years(today=date(2027, 3, 1)) == [2027]


def test_an_entered_year_is_no_longer_missing() -> None:
    CalendarYear.objects.create(year=2027, source="国办发明电〔2026〕测试")
    calendar_invalidate()
    assert calendar_missing_years(today=date(2026, 11, 27)) == []


@time_machine.travel("2026-11-27 10:00 +0800", tick=False)
def test_admin_pages_carry_the_banner(client: Any) -> None:
    admin: Any = UserFactory(username="root", roles=[Role.SYSADMIN])
    login_verified(client, admin)
    page = client.get("/admin/").content.decode()
    assert "2027" in page and "calendar_import" in page
    CalendarYear.objects.create(year=2027)
    calendar_invalidate()
    assert "calendar_import" not in client.get("/admin/").content.decode()
