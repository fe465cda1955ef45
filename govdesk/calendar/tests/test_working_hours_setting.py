from __future__ import annotations

from datetime import datetime, time
from typing import Any

import pytest

from govdesk.calendar.core import SHANGHAI, deadline_add_working_hours, working_periods_parse
from govdesk.calendar.selectors import calendar_build


def test_default_periods_parse() -> None:
    assert working_periods_parse("09:00-12:00,13:30-17:30") == ((time(9), time(12)), (time(13, 30), time(17, 30)))


@pytest.mark.parametrize("text", ["9-12", "12:00-09:00", "09:00-12:00,11:00-17:00", "", "09:00-12:00;13:30-17:30"])
def test_bad_periods_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="working"):
        working_periods_parse(text)


@pytest.mark.django_db
def test_a_deployment_sets_its_own_hours(settings: Any) -> None:
    settings.GOVDESK = {**settings.GOVDESK, "WORKING_HOURS": "08:30-12:00,14:30-18:00"}
    cal = calendar_build()
    # Thursday 2026-11-26 17:00 + 2 working hours: 1 h until 18:00, then 08:30 + 1 h on Friday.
    due = deadline_add_working_hours(datetime(2026, 11, 26, 17, 0, tzinfo=SHANGHAI), 2, cal).due_at
    assert due == datetime(2026, 11, 27, 9, 30, tzinfo=SHANGHAI)
    assert cal.close_of_business == time(18, 0)
