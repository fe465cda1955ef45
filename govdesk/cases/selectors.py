"""Case reads shared by the apps: what "overdue" and "due soon" mean at a given moment."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Q

from govdesk.calendar.core import deadline_add_working_hours
from govdesk.calendar.selectors import calendar_get


def due_soon_limit(now: datetime) -> datetime:
    """Deadlines before this moment (and not yet passed) are due soon: less than one working day of working time
    is left (DOMAIN.md §2). Exactly one day left (e.g. all of a weekend before a Monday deadline) is not soon."""
    cal = calendar_get()
    return deadline_add_working_hours(now, cal.day_length / timedelta(hours=1), cal).due_at


def overdue_q(now: datetime) -> Q:
    """Open cases whose completion deadline has passed, exactly at `now` (the sweep's flag may lag by a run)."""
    return Q(is_open=True, due_at__lt=now)


def due_soon_q(now: datetime) -> Q:
    return Q(is_open=True, due_at__gte=now, due_at__lt=due_soon_limit(now))
