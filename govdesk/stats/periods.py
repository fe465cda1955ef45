"""Periods (day, week from Monday, month) and the covering of a date range by the rollups' whole periods."""

from __future__ import annotations

from datetime import date, timedelta

from .models import Grain


def period_start(day: date, grain: str) -> date:
    if grain == Grain.WEEK:
        return day - timedelta(days=day.weekday())
    if grain == Grain.MONTH:
        return day.replace(day=1)
    return day


def period_next(start: date, grain: str) -> date:
    if grain == Grain.WEEK:
        return start + timedelta(days=7)
    if grain == Grain.MONTH:
        return date(start.year + (start.month == 12), start.month % 12 + 1, 1)
    return start + timedelta(days=1)


def periods_between(date_from: date, date_to: date, grain: str) -> list[date]:
    """Starts of every period of `grain` that overlaps [date_from, date_to]."""
    out = []
    start = period_start(date_from, grain)
    while start <= date_to:
        out.append(start)
        start = period_next(start, grain)
    return out


Piece = tuple[str, date, date]  # grain, first period start, last period start (inclusive)


def range_cover(date_from: date, date_to: date, grains: tuple[str, ...] = (Grain.MONTH,)) -> list[Piece]:
    """Cover [date_from, date_to] exactly by whole periods: the coarsest grains first, then days at the edges.

    A year is 12 months (or 11 and the days at unaligned edges), so a query reads a few dozen periods.
    """
    if date_from > date_to:
        return []
    grain, rest = (grains[0], grains[1:]) if grains else (Grain.DAY, ())
    if grain == Grain.DAY:
        return [(Grain.DAY, date_from, date_to)]
    first = period_start(date_from, grain)
    if first < date_from:
        first = period_next(first, grain)
    last = first
    inner: list[date] = []
    while period_next(last, grain) - timedelta(days=1) <= date_to:
        inner.append(last)
        last = period_next(last, grain)
    if not inner:
        return range_cover(date_from, date_to, rest)
    end_of_inner = period_next(inner[-1], grain) - timedelta(days=1)
    return [
        *range_cover(date_from, inner[0] - timedelta(days=1), rest),
        (grain, inner[0], inner[-1]),
        *range_cover(end_of_inner + timedelta(days=1), date_to, rest),
    ]
