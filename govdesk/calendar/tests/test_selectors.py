"""The calendar in use: the shipped package, overridden by years an administrator entered."""

from __future__ import annotations

import logging
from datetime import date, datetime
from typing import Any

import pytest

from govdesk.calendar.core import SHANGHAI, deadline_add_working_days
from govdesk.calendar.models import CalendarDay, CalendarYear
from govdesk.calendar.selectors import calendar_build, calendar_get, calendar_invalidate, calendar_years_without_data

pytestmark = pytest.mark.django_db


def close(y: int, m: int, d: int) -> datetime:
    return datetime(y, m, d, 17, 30, tzinfo=SHANGHAI)


def test_without_admin_years_the_package_decides() -> None:
    cal = calendar_build()
    start = datetime(2026, 9, 30, 10, tzinfo=SHANGHAI)
    assert deadline_add_working_days(start, 5, cal).due_at == close(2026, 10, 13)


def test_an_entered_year_replaces_the_package_for_that_year_only() -> None:
    year = CalendarYear.objects.create(year=2026, source="测试通知")
    # This arrangement has the National Day week off but no make-up Saturday, and no Spring Festival at all.
    for day in range(1, 8):
        d = date(2026, 10, day)
        if d.weekday() < 5:
            CalendarDay.objects.create(year=year, date=d, is_workday=False, name="国庆节")
    cal = calendar_build()
    assert not cal.is_workday(date(2026, 10, 10))  # the package's make-up Saturday is gone
    assert cal.is_workday(date(2026, 2, 16))  # the package's Spring Festival is gone
    assert not cal.is_workday(date(2026, 10, 1))
    start = datetime(2026, 9, 30, 10, tzinfo=SHANGHAI)
    assert deadline_add_working_days(start, 5, cal).due_at == close(2026, 10, 14)
    # Other years still come from the package.
    assert not cal.is_workday(date(2025, 10, 8))
    assert cal.is_workday(date(2025, 10, 11))


def test_entering_a_missing_year_removes_the_warning() -> None:
    start = datetime(2026, 12, 31, 10, tzinfo=SHANGHAI)
    assert deadline_add_working_days(start, 1, calendar_build()).years_without_data == (2027,)
    year = CalendarYear.objects.create(year=2027, source="国办发明电〔2026〕测试")
    CalendarDay.objects.create(year=year, date=date(2027, 1, 1), is_workday=False, name="元旦")
    cal = calendar_build()
    result = deadline_add_working_days(start, 1, cal)
    assert result.years_without_data == ()
    assert result.due_at == close(2027, 1, 4)  # Fri Jan 1 now off, then the weekend


def test_calendar_get_caches_until_invalidated() -> None:
    first = calendar_get()
    assert calendar_get() is first
    CalendarYear.objects.create(year=2027)
    assert 2027 not in calendar_get().years_with_data  # still the cached one
    calendar_invalidate()
    assert 2027 in calendar_get().years_with_data


def test_missing_years_are_logged(caplog: Any) -> None:
    with caplog.at_level(logging.WARNING, logger="govdesk.calendar.selectors"):
        assert calendar_years_without_data([2026, 2027]) == [2027]
    messages = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("2027" in m and "weekends only" in m for m in messages)
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="govdesk.calendar.selectors"):
        assert calendar_years_without_data([2025, 2026]) == []
    assert not caplog.records
