"""Working-day arithmetic over the real 2025/2026 arrangements (State Council notices, via chinese_calendar)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest

from govdesk.calendar.core import (
    SHANGHAI,
    LimitUnit,
    WorkingCalendar,
    deadline_add,
    deadline_add_working_days,
    deadline_add_working_hours,
    working_time_between,
)


def at(y: int, m: int, d: int, hh: int = 10, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=SHANGHAI)


def close(y: int, m: int, d: int) -> datetime:
    return at(y, m, d, 17, 30)


def test_the_package_knows_2025_and_2026(cal: WorkingCalendar) -> None:
    assert {2025, 2026} <= cal.years_with_data
    assert 2027 not in cal.years_with_data
    assert cal.day_length == timedelta(hours=7)
    assert cal.close_of_business == time(17, 30)


@pytest.mark.parametrize(
    ("day", "is_workday"),
    [
        (date(2026, 10, 1), False),  # National Day
        (date(2026, 10, 8), True),
        (date(2026, 10, 10), True),  # Saturday make-up day
        (date(2026, 10, 11), False),  # ordinary Sunday
        (date(2026, 2, 14), True),  # Saturday make-up day before the Spring Festival
        (date(2026, 2, 23), False),  # Monday, still Spring Festival
        (date(2025, 1, 26), True),  # Sunday make-up day
        (date(2025, 10, 8), False),  # Wednesday, National Day + Mid-Autumn 2025
        (date(2025, 10, 11), True),  # Saturday make-up day
        (date(2026, 3, 4), True),  # an ordinary Wednesday
    ],
)
def test_is_workday(cal: WorkingCalendar, day: date, is_workday: bool) -> None:
    assert cal.is_workday(day) is is_workday


@pytest.mark.parametrize(
    ("start", "days", "due"),
    [
        # DOMAIN.md §2: Oct 1–7 off, Sat Oct 10 is a working day.
        (at(2026, 9, 30), 5, close(2026, 10, 13)),
        # DOMAIN.md §2: Sat Feb 14 is a working day, Feb 15–23 off.
        (at(2026, 2, 13), 3, close(2026, 2, 25)),
        (at(2026, 2, 13), 1, close(2026, 2, 14)),
        (at(2026, 2, 13), 2, close(2026, 2, 24)),
        # Spring Festival 2025: Jan 28 – Feb 4 off; Sun Jan 26 and Sat Feb 8 are working days.
        (at(2025, 1, 24), 1, close(2025, 1, 26)),
        (at(2025, 1, 24), 3, close(2025, 2, 5)),
        (at(2025, 1, 24), 6, close(2025, 2, 8)),
        (at(2025, 1, 24), 7, close(2025, 2, 10)),
        # National Day 2025: Oct 1–8 off; Sun Sep 28 and Sat Oct 11 are working days.
        (at(2025, 9, 26), 1, close(2025, 9, 28)),
        (at(2025, 9, 26), 4, close(2025, 10, 9)),
        (at(2025, 9, 26), 6, close(2025, 10, 11)),
        # Labour Day 2026: May 1–5 off; Sat May 9 is a working day.
        (at(2026, 4, 30), 1, close(2026, 5, 6)),
        (at(2026, 4, 30), 4, close(2026, 5, 9)),
        # Qingming 2026: Mon Apr 6 off.
        (at(2026, 4, 3), 1, close(2026, 4, 7)),
        # Mid-Autumn 2026: Sun Sep 20 is a working day, Fri Sep 25 off.
        (at(2026, 9, 18), 1, close(2026, 9, 20)),
        (at(2026, 9, 24), 1, close(2026, 9, 28)),
        # Consultations (2 days) and complaints (15 days) over an ordinary March.
        (at(2026, 3, 2), 2, close(2026, 3, 4)),
        (at(2026, 3, 2), 15, close(2026, 3, 23)),
        # The start's time of day does not matter: the start day is never counted.
        (at(2026, 3, 2, 23, 59), 1, close(2026, 3, 3)),
        (at(2026, 3, 2, 0, 0), 1, close(2026, 3, 3)),
    ],
)
def test_working_days(cal: WorkingCalendar, start: datetime, days: int, due: datetime) -> None:
    result = deadline_add_working_days(start, days, cal)
    assert result.due_at == due
    assert result.years_without_data == ()
    assert result.warnings == []


@pytest.mark.parametrize(
    ("start", "days", "due"),
    [
        (at(2026, 10, 3, 12), 1, close(2026, 10, 8)),  # Saturday inside the National Day holiday
        (at(2026, 10, 1), 2, close(2026, 10, 9)),  # a holiday Thursday
        (at(2026, 3, 8), 1, close(2026, 3, 9)),  # an ordinary Sunday
        (at(2026, 3, 7), 1, close(2026, 3, 9)),  # an ordinary Saturday
        (at(2026, 10, 10), 1, close(2026, 10, 12)),  # a make-up Saturday counts as a working day start
    ],
)
def test_starting_on_a_day_off(cal: WorkingCalendar, start: datetime, days: int, due: datetime) -> None:
    assert deadline_add_working_days(start, days, cal).due_at == due


@pytest.mark.parametrize(
    ("start", "due"),
    [
        (at(2026, 3, 4), close(2026, 3, 4)),  # a working day: the same day's close
        (at(2026, 3, 4, 20, 0), close(2026, 3, 4)),  # evening: still that day's close
        (at(2026, 10, 1), close(2026, 10, 8)),  # a holiday: the next working day's close
        (at(2026, 10, 10), close(2026, 10, 10)),  # a make-up Saturday is a working day
        (at(2026, 3, 7), close(2026, 3, 9)),  # Saturday → Monday
    ],
)
def test_zero_working_days(cal: WorkingCalendar, start: datetime, due: datetime) -> None:
    assert deadline_add_working_days(start, 0, cal).due_at == due


def test_an_aware_start_in_another_zone_is_read_in_shanghai(cal: WorkingCalendar) -> None:
    # 2026-09-30 02:00 UTC is 10:00 in Shanghai: the DOMAIN.md example again.
    utc_start = datetime.fromisoformat("2026-09-30T02:00:00+00:00")
    assert deadline_add_working_days(utc_start, 5, cal).due_at == close(2026, 10, 13)
    # 2026-10-09 17:00 UTC is already Saturday 10 October (a make-up working day) in Shanghai: the start day is the
    # 10th, so +1 is Monday the 12th (read in UTC it would be the 10th).
    late = datetime.fromisoformat("2026-10-09T17:00:00+00:00")
    assert deadline_add_working_days(late, 1, cal).due_at == close(2026, 10, 12)
    with pytest.raises(ValueError, match="aware"):
        deadline_add_working_days(datetime(2026, 9, 30, 10, 0), 1, cal)


def test_negative_or_fractional_days_are_refused(cal: WorkingCalendar) -> None:
    with pytest.raises(ValueError, match="negative"):
        deadline_add_working_days(at(2026, 3, 2), -1, cal)
    with pytest.raises(ValueError, match="negative"):
        deadline_add_working_hours(at(2026, 3, 2), -0.5, cal)
    with pytest.raises(ValueError, match="whole"):
        deadline_add(at(2026, 3, 2), 1.5, LimitUnit.WORKING_DAYS, cal)


def test_a_calendar_without_working_days_does_not_loop_forever() -> None:
    never = WorkingCalendar(overrides={date(2026, 1, 1) + timedelta(days=i): False for i in range(4000)})
    with pytest.raises(ValueError, match="no working day"):
        deadline_add_working_days(at(2026, 1, 1), 1, never)
    with pytest.raises(ValueError, match="no working day"):
        deadline_add_working_hours(at(2026, 1, 1), 1, never)


@pytest.mark.parametrize(
    ("start", "hours", "due"),
    [
        (at(2026, 3, 2, 11, 30), 1, at(2026, 3, 2, 14, 0)),  # across lunch: 0.5 h before, 0.5 h after
        (at(2026, 3, 2, 11, 0), 2, at(2026, 3, 2, 14, 30)),  # the sign-for limit dispatched at 11:00
        (at(2026, 3, 2, 10, 0), 2, at(2026, 3, 2, 12, 0)),  # exactly to the lunch break
        (at(2026, 3, 2, 12, 30), 1, at(2026, 3, 2, 14, 30)),  # from inside the lunch break
        (at(2026, 3, 2, 17, 0), 2, at(2026, 3, 3, 10, 30)),  # across the evening and night
        (at(2026, 3, 2, 20, 0), 1, at(2026, 3, 3, 10, 0)),  # from the evening
        (at(2026, 3, 3, 7, 0), 1, at(2026, 3, 3, 10, 0)),  # before work starts
        (at(2026, 3, 6, 16, 30), 2, at(2026, 3, 9, 10, 0)),  # Friday afternoon → Monday
        (at(2026, 3, 7, 10, 0), 1, at(2026, 3, 9, 10, 0)),  # Saturday
        (at(2026, 9, 30, 17, 0), 2, at(2026, 10, 8, 10, 30)),  # across the National Day holiday
        (at(2026, 10, 9, 17, 0), 1, at(2026, 10, 10, 9, 30)),  # into a make-up Saturday
        (at(2026, 3, 2, 9, 0), 7, at(2026, 3, 2, 17, 30)),  # one whole working day
        (at(2026, 3, 2, 9, 0), 7.5, at(2026, 3, 3, 9, 30)),
        (at(2026, 3, 2, 10, 0), 0.5, at(2026, 3, 2, 10, 30)),
        (at(2026, 3, 2, 12, 30), 0, at(2026, 3, 2, 13, 30)),  # zero hours at lunch: when work resumes
        (at(2026, 3, 2, 10, 0), 0, at(2026, 3, 2, 10, 0)),  # zero hours in working time: now
    ],
)
def test_working_hours(cal: WorkingCalendar, start: datetime, hours: float, due: datetime) -> None:
    result = deadline_add_working_hours(start, hours, cal)
    assert result.due_at == due
    if hours:
        assert working_time_between(start, result.due_at, cal) == timedelta(hours=hours)


@pytest.mark.parametrize(
    ("amount", "unit", "due"),
    [
        (30, LimitUnit.MINUTES, at(2026, 10, 1, 10, 30)),  # natural minutes, even on a holiday
        (24, LimitUnit.HOURS, at(2026, 10, 2, 10, 0)),  # natural hours
        (2, LimitUnit.WORKING_HOURS, at(2026, 10, 8, 11, 0)),
        (1, LimitUnit.WORKING_DAYS, close(2026, 10, 8)),
    ],
)
def test_deadline_add_in_every_unit(cal: WorkingCalendar, amount: float, unit: LimitUnit, due: datetime) -> None:
    assert deadline_add(at(2026, 10, 1), amount, unit, cal).due_at == due
    assert deadline_add(at(2026, 10, 1), amount, unit.value, cal).due_at == due


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (at(2026, 3, 2, 10, 0), at(2026, 3, 2, 14, 0), timedelta(hours=2, minutes=30)),  # lunch excluded
        (at(2026, 3, 6, 16, 0), at(2026, 3, 9, 10, 0), timedelta(hours=2, minutes=30)),  # weekend excluded
        (at(2026, 9, 30, 9, 0), at(2026, 10, 8, 9, 0), timedelta(hours=7)),  # the whole holiday excluded
        (at(2026, 10, 9, 17, 0), at(2026, 10, 10, 10, 0), timedelta(hours=1, minutes=30)),  # make-up Saturday counts
        (at(2026, 3, 2, 18, 0), at(2026, 3, 3, 8, 0), timedelta()),  # night
        (at(2026, 3, 2, 14, 0), at(2026, 3, 2, 10, 0), -timedelta(hours=2, minutes=30)),  # reversed
        (at(2026, 3, 2, 10, 0), at(2026, 3, 2, 10, 0), timedelta()),
    ],
)
def test_working_time_between(cal: WorkingCalendar, start: datetime, end: datetime, expected: timedelta) -> None:
    assert working_time_between(start, end, cal) == expected


def test_a_year_without_data_falls_back_to_weekends_and_says_so(cal: WorkingCalendar) -> None:
    # 2027-01-01 is a Friday; without the State Council's notice it is computed as an ordinary working day.
    result = deadline_add_working_days(at(2026, 12, 31), 1, cal)
    assert result.due_at == close(2027, 1, 1)
    assert result.years_without_data == (2027,)
    assert len(result.warnings) == 1
    assert "2027" in result.warnings[0] and "weekends only" in result.warnings[0]
    # Weekends still are off in the fallback: Fri 2027-01-08 + 1 → Mon 2027-01-11.
    assert deadline_add_working_days(at(2027, 1, 8), 1, cal).due_at == close(2027, 1, 11)
    hours = deadline_add_working_hours(at(2027, 1, 8, 17, 0), 1, cal)
    assert hours.due_at == at(2027, 1, 11, 9, 30)
    assert hours.years_without_data == (2027,)


def test_a_year_with_data_carries_no_warning(cal: WorkingCalendar) -> None:
    assert deadline_add_working_days(at(2026, 12, 1), 5, cal).warnings == []
    assert deadline_add_working_hours(at(2026, 12, 1), 5, cal).years_without_data == ()
