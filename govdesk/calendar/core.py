"""Working-day arithmetic. Pure functions over a `WorkingCalendar`; no ORM, no clock.

Legal convention (民法典 §201, §203; 行政许可法 §82): the day a period starts is not counted, and a period in days ends
when business closes on its last day; so "+N working days" is the close of the N-th working day after the start.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

DEFAULT_PERIODS: tuple[tuple[time, time], ...] = ((time(9, 0), time(12, 0)), (time(13, 30), time(17, 30)))
SHANGHAI = ZoneInfo("Asia/Shanghai")
# Guards against a calendar with no working days at all (e.g. an import that marked a whole year off).
MAX_SCAN_DAYS = 3660


class LimitUnit(StrEnum):
    MINUTES = "minutes"
    HOURS = "hours"
    WORKING_HOURS = "working_hours"
    WORKING_DAYS = "working_days"


@dataclass(frozen=True)
class WorkingCalendar:
    """Which days are working days, and the working periods of a working day.

    `overrides` says for specific dates whether they are working days (holidays: False; make-up days: True).
    Days not in it are working days from Monday to Friday. `years_with_data` lists the years whose official
    arrangement is known; for others the weekend rule is only a guess, and results carry a warning.
    """

    overrides: Mapping[date, bool] = field(default_factory=dict)
    years_with_data: frozenset[int] = frozenset()
    periods: tuple[tuple[time, time], ...] = DEFAULT_PERIODS
    tz: ZoneInfo = SHANGHAI

    def is_workday(self, day: date) -> bool:
        explicit = self.overrides.get(day)
        if explicit is not None:
            return explicit
        return day.weekday() < 5

    def missing_years(self, days: Iterable[date]) -> list[int]:
        return sorted({d.year for d in days} - self.years_with_data)

    @property
    def day_length(self) -> timedelta:
        return sum((_span(a, b) for a, b in self.periods), timedelta())

    @property
    def close_of_business(self) -> time:
        return self.periods[-1][1]


def working_periods_parse(text: str) -> tuple[tuple[time, time], ...]:
    """`"09:00-12:00,13:30-17:30"` → the working periods of a day; ordered, non-empty and not overlapping."""
    periods: list[tuple[time, time]] = []
    for part in text.split(","):
        try:
            begin, end = (time.fromisoformat(p.strip()) for p in part.split("-"))
        except ValueError:
            raise ValueError(f"working hours must look like 09:00-12:00,13:30-17:30, not {text!r}") from None
        if end <= begin or (periods and begin < periods[-1][1]):
            raise ValueError(f"working periods must be ordered and must not overlap: {text!r}")
        periods.append((begin, end))
    return tuple(periods)


def _span(a: time, b: time) -> timedelta:
    return datetime.combine(date.min, b) - datetime.combine(date.min, a)


@dataclass(frozen=True)
class Deadline:
    due_at: datetime
    # Years the computation crossed for which no official arrangement is loaded.
    years_without_data: tuple[int, ...] = ()

    @property
    def warnings(self) -> list[str]:
        return [
            f"No holiday arrangement is loaded for {year}; weekends only were used. Enter {year} in the calendar."
            for year in self.years_without_data
        ]


def _local(moment: datetime, cal: WorkingCalendar) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("deadline arithmetic needs an aware datetime")
    return moment.astimezone(cal.tz)


def deadline_add_working_days(start: datetime, days: int, cal: WorkingCalendar) -> Deadline:
    """Close of business on the `days`-th working day after the day of `start`."""
    if days < 0:
        raise ValueError("days must not be negative")
    local = _local(start, cal)
    day = local.date()
    visited = [day]
    if days == 0:
        # Zero days: the same day's close if it is a working day, else the next working day's close.
        scanned = 0
        while not cal.is_workday(day):
            day += timedelta(days=1)
            visited.append(day)
            scanned += 1
            if scanned > MAX_SCAN_DAYS:
                raise ValueError("the calendar has no working day within ten years")
    counted = 0
    scanned = 0
    while counted < days:
        day += timedelta(days=1)
        visited.append(day)
        scanned += 1
        if scanned > MAX_SCAN_DAYS:
            raise ValueError("the calendar has no working day within ten years")
        if cal.is_workday(day):
            counted += 1
    due = datetime.combine(day, cal.close_of_business, tzinfo=cal.tz)
    return Deadline(due, tuple(cal.missing_years(visited)))


def deadline_add_working_hours(start: datetime, hours: float, cal: WorkingCalendar) -> Deadline:
    """`hours` of working time counted inside the working periods of working days only."""
    if hours < 0:
        raise ValueError("hours must not be negative")
    remaining = timedelta(hours=hours)
    local = _local(start, cal)
    day = local.date()
    visited = [day]
    scanned = 0
    while True:
        if cal.is_workday(day):
            for begin, end in cal.periods:
                period_start = datetime.combine(day, begin, tzinfo=cal.tz)
                period_end = datetime.combine(day, end, tzinfo=cal.tz)
                if period_end <= local:
                    continue
                cursor = max(period_start, local)
                available = period_end - cursor
                if remaining <= available:
                    if remaining == timedelta() and cursor == period_start and period_start > local:
                        # Zero hours asked outside working time: due when work next resumes.
                        return Deadline(cursor, tuple(cal.missing_years(visited)))
                    return Deadline(cursor + remaining, tuple(cal.missing_years(visited)))
                remaining -= available
        day += timedelta(days=1)
        visited.append(day)
        scanned += 1
        if scanned > MAX_SCAN_DAYS:
            raise ValueError("the calendar has no working day within ten years")


def working_time_between(start: datetime, end: datetime, cal: WorkingCalendar) -> timedelta:
    """Working time from `start` to `end` (negative if `end` is earlier)."""
    if end < start:
        return -working_time_between(end, start, cal)
    a, b = _local(start, cal), _local(end, cal)
    total = timedelta()
    day = a.date()
    while day <= b.date():
        if cal.is_workday(day):
            for begin, stop in cal.periods:
                lo = max(datetime.combine(day, begin, tzinfo=cal.tz), a)
                hi = min(datetime.combine(day, stop, tzinfo=cal.tz), b)
                if hi > lo:
                    total += hi - lo
        day += timedelta(days=1)
    return total


def deadline_add(start: datetime, amount: float, unit: LimitUnit | str, cal: WorkingCalendar) -> Deadline:
    """A time limit in any of the policy units."""
    unit = LimitUnit(unit)
    if unit is LimitUnit.WORKING_DAYS:
        if amount != int(amount):
            raise ValueError("working days must be a whole number")
        return deadline_add_working_days(start, int(amount), cal)
    if unit is LimitUnit.WORKING_HOURS:
        return deadline_add_working_hours(start, amount, cal)
    delta = timedelta(minutes=amount) if unit is LimitUnit.MINUTES else timedelta(hours=amount)
    return Deadline(start + delta)
