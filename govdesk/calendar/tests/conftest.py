from __future__ import annotations

from collections.abc import Iterator

import pytest

from govdesk.calendar.core import WorkingCalendar
from govdesk.calendar.selectors import _package_overrides, calendar_invalidate


@pytest.fixture(autouse=True)
def _no_cached_calendar() -> Iterator[None]:
    """calendar_get() caches per process; a test that enters a year must not leak it into the next test."""
    calendar_invalidate()
    yield
    calendar_invalidate()


@pytest.fixture(scope="session")
def cal() -> WorkingCalendar:
    """The shipped package's calendar (chinese_calendar), without the database."""
    overrides, years = _package_overrides()
    return WorkingCalendar(overrides=overrides, years_with_data=years)
