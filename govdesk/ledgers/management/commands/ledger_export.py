"""`python manage.py ledger_export --kind KIND --year YYYY --out FILE.xlsx [--month M] [--unit CODE]`: a ledger's rows
of a period as its xlsx template (what `ledger_import` reads back)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from govdesk.common.errors import ApplicationError
from govdesk.ledgers.kinds import ledger_kind_get
from govdesk.ledgers.selectors import ledger_rows
from govdesk.ledgers.xlsx import ledger_workbook
from govdesk.org.models import Unit


def unit_by_code(code: str | None) -> Unit | None:
    if not code:
        return None
    unit = Unit.objects.filter(code=code).first()
    if unit is None:
        raise CommandError(f"unknown unit code {code!r}")
    return unit


class Command(BaseCommand):
    help = (
        "Write a ledger's rows of a year (or month, or one unit's) as the ledger's xlsx template, the workbook "
        "ledger_import reads back."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--kind", required=True, help="the ledger's code, e.g. projects, toilets")
        parser.add_argument("--year", required=True, type=int)
        parser.add_argument("--out", required=True, type=Path, help="the .xlsx file to write")
        parser.add_argument("--month", type=int, help="only this month (1-12) of a monthly ledger")
        parser.add_argument("--unit", help="only the rows this unit (by code) reported")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            kind = ledger_kind_get(options["kind"])
        except ApplicationError as exc:
            raise CommandError(str(exc.message)) from exc
        year, month = options["year"], options["month"]
        if not 1900 <= year <= 2999:
            raise CommandError(f"--year {year} is not a year")
        if month is not None and not 1 <= month <= 12:
            raise CommandError(f"--month {month} is not a month (1-12)")
        unit = unit_by_code(options["unit"])
        out: Path = options["out"]
        rows = list(ledger_rows(kind.code, year=year, month=month, unit=unit))
        data = ledger_workbook(kind, year=year, month=month, unit=unit, rows=rows)
        try:
            out.write_bytes(data)
        except OSError as exc:
            raise CommandError(f"cannot write {out}: {exc}") from exc
        self.stdout.write(f"{kind.code}: {len(rows)} rows written to {out}")
