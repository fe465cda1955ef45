"""Build the working calendar from the shipped package plus administrator-entered years."""

from __future__ import annotations

import logging
import threading
import time as _time
from datetime import date

from chinese_calendar import constants as package_calendar
from django.conf import settings

from .core import WorkingCalendar, working_periods_parse
from .models import CalendarDay, CalendarYear

logger = logging.getLogger(__name__)

_CACHE_SECONDS = 60
_lock = threading.Lock()
_cached: tuple[float, WorkingCalendar] | None = None


def _package_overrides() -> tuple[dict[date, bool], frozenset[int]]:
    overrides: dict[date, bool] = {}
    for day in package_calendar.holidays:
        if day.weekday() < 5:
            overrides[day] = False
    for day in package_calendar.workdays:
        overrides[day] = True
    all_days = list(package_calendar.holidays) + list(package_calendar.workdays)
    years = frozenset(range(min(all_days).year, max(all_days).year + 1))
    return overrides, years


def calendar_build() -> WorkingCalendar:
    overrides, years = _package_overrides()
    admin_years = set(CalendarYear.objects.values_list("year", flat=True))
    if admin_years:
        overrides = {d: v for d, v in overrides.items() if d.year not in admin_years}
        for day, is_workday in CalendarDay.objects.values_list("date", "is_workday"):
            overrides[day] = is_workday
    return WorkingCalendar(
        overrides=overrides,
        years_with_data=years | frozenset(admin_years),
        periods=working_periods_parse(str(settings.GOVDESK["WORKING_HOURS"])),
    )


def calendar_get() -> WorkingCalendar:
    """The calendar, rebuilt at most once a minute per process (edits elsewhere show up within that minute)."""
    global _cached
    with _lock:
        if _cached is not None and _time.monotonic() - _cached[0] < _CACHE_SECONDS:
            return _cached[1]
    cal = calendar_build()
    with _lock:
        _cached = (_time.monotonic(), cal)
    return cal


def calendar_invalidate() -> None:
    global _cached
    with _lock:
        _cached = None


def calendar_years_without_data(years: list[int]) -> list[int]:
    cal = calendar_get()
    missing = [y for y in years if y not in cal.years_with_data]
    for year in missing:
        logger.warning("no holiday arrangement loaded for %s: deadlines use weekends only", year)
    return missing


def calendar_missing_years(*, today: date) -> list[int]:
    """Years a deadline set today may reach that have no official arrangement loaded.

    The current year always matters; the next one from October on, because limits of up to 15 working days plus
    extensions cross the year end, and the State Council publishes the next year's arrangement around November.
    """
    years = [today.year] + ([today.year + 1] if today.month >= 10 else [])
    cal = calendar_get()
    return [y for y in years if y not in cal.years_with_data]
