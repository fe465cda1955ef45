"""`ledger_export` and `ledger_import`: the round trip of every kind (an unchanged export imports as 0 created,
0 updated), the dry run writing nothing, an edited export updating exactly the edited row with a new version, errors
failing the command with nothing written, and bad arguments refused as CommandErrors."""

from __future__ import annotations

import io
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation
from openpyxl import load_workbook

from govdesk.audit.models import AuditEvent
from govdesk.ledgers.kinds import ledger_kind_get
from govdesk.ledgers.models import LedgerRowVersion, ToiletRenovation
from govdesk.ledgers.selectors import ledger_rows

from .xlsx_fixtures import ALL_KINDS, YEAR

pytestmark = pytest.mark.django_db


def run(*args: Any) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    with translation.override("en"):
        call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def export(tmp_path: Path, kind: str, *extra: str) -> Path:
    target = tmp_path / f"{kind}.xlsx"
    run("ledger_export", "--kind", kind, "--year", str(YEAR), "--out", str(target), *extra)
    return target


@pytest.mark.parametrize("kind", ALL_KINDS)
def test_round_trip_of_every_kind_is_unchanged(ledger_rows_2022: SimpleNamespace, tmp_path: Path, kind: str) -> None:
    count = ledger_rows(kind, year=YEAR).count()
    assert count >= 1
    path = export(tmp_path, kind)
    versions = LedgerRowVersion.objects.count()
    events = AuditEvent.objects.count()

    out, err = run("ledger_import", "--kind", kind, str(path))
    assert f"{count} rows: dry run" in out
    assert f"0 created, 0 updated, {count} unchanged" in out
    out, err = run("ledger_import", "--kind", kind, str(path), "--commit")
    assert f"{count} rows: imported: 0 created, 0 updated, {count} unchanged" in out
    assert err == ""
    # Nothing was written: no version, no audit event.
    assert LedgerRowVersion.objects.count() == versions
    assert AuditEvent.objects.count() == events


def test_projects_header_has_the_contract_columns(ledger_rows_2022: SimpleNamespace, tmp_path: Path) -> None:
    sheet = load_workbook(export(tmp_path, "projects"))["重大项目台账"]
    headers = [cell.value for cell in sheet[2]]
    assert "项目名称" in headers
    assert "总投资（万元）" in headers


def test_month_and_unit_filters_of_the_export(ledger_rows_2022: SimpleNamespace, district: Any, tmp_path: Path) -> None:
    path = export(tmp_path, "toilets", "--month", "4", "--unit", district.street.code)
    book = load_workbook(path)
    sheet = book["农村户厕改造"]
    villages = [row[2] for row in sheet.iter_rows(min_row=3, values_only=True) if row[0] != "合计"]
    assert villages == ["东村"]  # only April's row
    meta = dict(book["_govdesk"].iter_rows(values_only=True))
    assert meta["month"] == 4 and meta["unit"] == district.street.code
    out, _err = run("ledger_import", "--kind", "toilets", str(path), "--commit")
    assert "0 created, 0 updated, 1 unchanged" in out


def _edit(path: Path, sheet: str, row: int, column: int, value: Any) -> None:
    book = load_workbook(path)
    book[sheet].cell(row=row, column=column, value=value)
    book.save(path)


def test_dry_run_writes_nothing_and_commit_updates_the_edited_row(
    ledger_rows_2022: SimpleNamespace, tmp_path: Path
) -> None:
    path = export(tmp_path, "toilets")
    book = load_workbook(path)
    sheet = book["农村户厕改造"]
    assert [c.value for c in sheet[2]] == ["月份", "乡镇（街道）", "村（社区）", "计划（座）", "完成（座）"]
    # Row 3 is March 东村 (4 of 10 done): 5 done now; a new village appended; the 合计 row fixed to match.
    assert [c.value for c in sheet[3]] == [3, "滨河街道", "东村", 10, 4]
    total_row = sheet.max_row
    assert sheet.cell(total_row, 1).value == "合计"
    sheet.cell(3, 5, 5)
    sheet.insert_rows(total_row)
    for column, value in enumerate([4, "滨河街道", "南村", 3, 1], start=1):
        sheet.cell(total_row, column, value)
    sheet.cell(total_row + 1, 4, 31)
    sheet.cell(total_row + 1, 5, 20)
    book.save(path)
    march_east = ToiletRenovation.objects.get(month=3, village="东村")

    out, _err = run("ledger_import", "--kind", "toilets", str(path))
    assert "4 rows: dry run (add --commit to write): 1 created, 1 updated, 2 unchanged" in out
    march_east.refresh_from_db()
    assert (march_east.completed, march_east.version) == (4, 1)
    assert not ToiletRenovation.objects.filter(village="南村").exists()

    out, _err = run("ledger_import", "--kind", "toilets", str(path), "--commit")
    assert "imported: 1 created, 1 updated, 2 unchanged" in out
    march_east.refresh_from_db()
    assert (march_east.completed, march_east.version) == (5, 2)
    assert march_east.source.startswith("import:")
    assert LedgerRowVersion.objects.filter(kind="toilets", row_id=march_east.pk, version=2).exists()
    added = ToiletRenovation.objects.get(village="南村")
    assert (added.year, added.month, added.planned, added.completed, added.version) == (YEAR, 4, 3, 1, 1)


def test_errors_fail_the_command_and_write_nothing(ledger_rows_2022: SimpleNamespace, tmp_path: Path) -> None:
    path = export(tmp_path, "toilets")
    _edit(path, "农村户厕改造", 3, 5, "12万")  # a word in a number column
    _edit(path, "农村户厕改造", 4, 4, "x")
    before = list(ToiletRenovation.objects.values_list("pk", "completed", "version"))
    with pytest.raises(CommandError, match=r"2 errors in toilets\.xlsx: nothing imported"):
        run("ledger_import", "--kind", "toilets", str(path), "--commit")
    err = io.StringIO()
    with translation.override("en"), pytest.raises(CommandError):
        call_command("ledger_import", "--kind", "toilets", str(path), "--commit", stdout=io.StringIO(), stderr=err)
    assert 'Sheet "农村户厕改造", row 3, column "完成（座）"' in err.getvalue()
    assert 'Sheet "农村户厕改造", row 4, column "计划（座）"' in err.getvalue()
    assert list(ToiletRenovation.objects.values_list("pk", "completed", "version")) == before


def test_service_refusal_fails_the_command(ledger_rows_2022: SimpleNamespace, tmp_path: Path) -> None:
    """A rule only the service knows (completed above planned) still names the sheet row and column."""
    path = export(tmp_path, "toilets")
    _edit(path, "农村户厕改造", 3, 5, 11)
    _edit(path, "农村户厕改造", 6, 5, 25)  # keep the 合计 row right: 11 + 8 + 6
    err = io.StringIO()
    with translation.override("en"), pytest.raises(CommandError, match="nothing imported"):
        call_command("ledger_import", "--kind", "toilets", str(path), "--commit", stdout=io.StringIO(), stderr=err)
    assert 'Sheet "农村户厕改造", row 3, column "完成（座）"' in err.getvalue()
    assert ToiletRenovation.objects.get(month=3, village="东村").completed == 4


def test_import_of_a_file_into_an_empty_ledger_creates(sample_definitions: Any, tmp_path: Path) -> None:
    from govdesk.ledgers.xlsx import ledger_workbook

    kind = ledger_kind_get("toilets")
    path = tmp_path / "new.xlsx"
    rows = [{"month": 5, "township": "滨河街道", "village": "北村", "planned": 2, "completed": 1}]
    path.write_bytes(ledger_workbook(kind, year=2023, month=5, rows=rows))
    out, _err = run("ledger_import", "--kind", "toilets", str(path), "--commit")
    assert "1 rows: imported: 1 created, 0 updated, 0 unchanged" in out
    created = ToiletRenovation.objects.get()
    assert (created.year, created.month, created.completed, created.reporting_unit) == (2023, 5, 1, None)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["ledger_export", "--kind", "nope", "--year", "2022", "--out", "x.xlsx"], "nope"),
        (["ledger_export", "--kind", "toilets", "--year", "2022", "--out", "x.xlsx", "--month", "13"], "not a month"),
        (["ledger_export", "--kind", "toilets", "--year", "2022", "--out", "x.xlsx", "--unit", "NOPE"], "NOPE"),
        (["ledger_import", "--kind", "toilets", "missing.xlsx"], "cannot read"),
        (["ledger_import", "--kind", "nope", "missing.xlsx"], "nope"),
    ],
)
def test_bad_arguments(db: Any, tmp_path: Path, args: list[str], message: str, monkeypatch: Any) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(CommandError, match=message):
        run(*args)


def test_a_file_that_is_no_workbook(db: Any, tmp_path: Path) -> None:
    path = tmp_path / "fake.xlsx"
    path.write_bytes(b"not a zip")
    with pytest.raises(CommandError, match="not an Excel workbook"):
        run("ledger_import", "--kind", "toilets", str(path))


def test_progress_is_shown_for_large_files(sample_definitions: Any, tmp_path: Path) -> None:
    from govdesk.ledgers.xlsx import ledger_workbook

    kind = ledger_kind_get("toilets")
    rows = [
        {"month": 1, "township": "滨河街道", "village": f"村{n}", "planned": 1, "completed": 1} for n in range(1200)
    ]
    path = tmp_path / "big.xlsx"
    path.write_bytes(ledger_workbook(kind, year=2022, month=1, rows=rows))
    out, _err = run("ledger_import", "--kind", "toilets", str(path))
    assert "row 1000" in out
    assert "1200 rows: dry run (add --commit to write): 1200 created, 0 updated, 0 unchanged" in out
    assert not ToiletRenovation.objects.exists()
