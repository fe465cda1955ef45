"""Importing a year's arrangement: validation, dry run, commit, and the management command."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from govdesk.calendar.models import CalendarDay, CalendarYear
from govdesk.calendar.selectors import calendar_get
from govdesk.calendar.services import calendar_year_import
from govdesk.common.errors import ValidationFailed

pytestmark = pytest.mark.django_db

YEAR_2027 = """date,is_workday,name
2027-01-01,0,元旦
2027-02-06,1,春节调休
2027-02-08,休,春节
2027-02-09,否,春节
2027-02-10,false,春节
2027-02-20,班,春节调休
"""


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """Messages are matched in English, whatever the translation catalogue says."""
    with translation.override("en"):
        yield


def test_dry_run_counts_and_writes_nothing() -> None:
    result = calendar_year_import(text=YEAR_2027, commit=False)
    assert (result.year, result.holidays, result.workdays, result.committed) == (2027, 4, 2, False)
    assert CalendarYear.objects.count() == 0 and CalendarDay.objects.count() == 0


def test_commit_writes_and_invalidates_the_cache(django_capture_on_commit_callbacks: Any) -> None:
    assert 2027 not in calendar_get().years_with_data
    with django_capture_on_commit_callbacks(execute=True):
        result = calendar_year_import(text=YEAR_2027, source="国办发明电〔2026〕X号", commit=True)
    assert result.committed
    year = CalendarYear.objects.get(year=2027)
    assert year.source == "国办发明电〔2026〕X号"
    assert dict(CalendarDay.objects.values_list("date", "is_workday")) == {
        date(2027, 1, 1): False,
        date(2027, 2, 6): True,
        date(2027, 2, 8): False,
        date(2027, 2, 9): False,
        date(2027, 2, 10): False,
        date(2027, 2, 20): True,
    }
    cal = calendar_get()
    assert 2027 in cal.years_with_data
    assert not cal.is_workday(date(2027, 1, 1)) and cal.is_workday(date(2027, 2, 6))


def test_reimport_replaces_the_year() -> None:
    calendar_year_import(text=YEAR_2027, commit=True)
    calendar_year_import(text="2027-10-01,0,国庆节\n", commit=True)
    assert list(CalendarDay.objects.values_list("date", flat=True)) == [date(2027, 10, 1)]
    assert CalendarYear.objects.count() == 1


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("2027-02-30,0,春节\n", "not a date"),
        ("2027/01/01,0,元旦\n", "not a date"),
        ("2027-01-01,maybe,元旦\n", "must be 1 or 0"),
        ("2027-01-01\n", "expected date,is_workday,name"),
        ("2027-01-01,0,元旦\n2028-01-01,0,元旦\n", "One file holds one year"),
        ("2027-01-01,0,元旦\n2027-01-01,1,元旦\n", "appears twice"),
        ("", "no days"),
        ("date,is_workday,name\n\n", "no days"),
    ],
)
def test_bad_files_are_refused_and_write_nothing(text: str, fragment: str) -> None:
    with pytest.raises(ValidationFailed) as excinfo:
        calendar_year_import(text=text, commit=True)
    assert fragment in excinfo.value.message
    assert CalendarYear.objects.count() == 0 and CalendarDay.objects.count() == 0


def test_the_line_number_is_named() -> None:
    with pytest.raises(ValidationFailed, match="Line 3"):
        calendar_year_import(text="date,is_workday,name\n2027-01-01,0,元旦\n2027-13-01,0,x\n", commit=False)


def test_command_dry_run_then_commit(tmp_path: Path, capsys: Any) -> None:
    path = tmp_path / "2027.csv"
    path.write_text("\ufeff" + YEAR_2027, encoding="utf-8")  # Excel's BOM is accepted
    call_command("calendar_import", str(path))
    assert "dry run" in capsys.readouterr().out
    assert CalendarYear.objects.count() == 0
    call_command("calendar_import", str(path), "--commit", "--source", "通知")
    out = capsys.readouterr().out
    assert "imported 2027: 4 days off, 2 make-up working days" in out
    assert CalendarYear.objects.get().source == "通知" and CalendarDay.objects.count() == 6


def test_command_errors(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="cannot read"):
        call_command("calendar_import", str(tmp_path / "missing.csv"))
    bad = tmp_path / "bad.csv"
    bad.write_text("2027-01-01,x,元旦\n", encoding="utf-8")
    with pytest.raises(CommandError, match="must be 1 or 0"):
        call_command("calendar_import", str(bad), "--commit")
    assert CalendarYear.objects.count() == 0
