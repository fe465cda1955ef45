"""`python manage.py ledger_import --kind KIND FILE.xlsx [--commit] [--unit CODE]`: read a filled ledger template
and write its rows. A dry run unless --commit: it says what would be created, updated and left unchanged, and every
row error. Any error: nothing is written and the command fails."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from govdesk.common.errors import ApplicationError, ValidationFailed
from govdesk.ledgers.kinds import ledger_kind_get
from govdesk.ledgers.uploads import error_messages, ledger_import_write
from govdesk.ledgers.xlsx import ledger_workbook_read

from .ledger_export import unit_by_code


class Command(BaseCommand):
    help = (
        "Import a filled ledger template (.xlsx, as ledger_export writes it). Dry run unless --commit; any row "
        "error: nothing written."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--kind", required=True, help="the ledger's code, e.g. projects, toilets")
        parser.add_argument("file", type=Path)
        parser.add_argument("--commit", action="store_true", help="write the rows (default: a dry run)")
        parser.add_argument("--unit", help="the reporting unit (by code); the workbook may name its own")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            kind = ledger_kind_get(options["kind"])
        except ApplicationError as exc:
            raise CommandError(str(exc.message)) from exc
        unit = unit_by_code(options["unit"])
        path: Path = options["file"]
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"cannot read {path}: {exc}") from exc
        try:
            read = ledger_workbook_read(kind, data, unit=unit, progress=self._progress)
        except ApplicationError as exc:
            raise CommandError(str(exc.message)) from exc
        self.stdout.write("")
        if read.errors:
            for error in read.errors:
                self.stderr.write(str(error))
            raise CommandError(f"{len(read.errors)} errors in {path.name}: nothing imported")
        if unit is not None:
            read.unit_code = unit.code
        try:
            counts = ledger_import_write(kind, read, data, actor=None, commit=options["commit"])
        except ValidationFailed as exc:
            messages = error_messages(exc)
            for message in messages:
                self.stderr.write(message)
            raise CommandError(f"{len(messages)} errors in {path.name}: nothing imported") from exc
        verb = "imported" if options["commit"] else "dry run (add --commit to write)"
        self.stdout.write(
            f"{kind.code}: {len(read.rows)} rows: {verb}: {counts.created} created, {counts.updated} updated, "
            f"{counts.unchanged} unchanged"
        )

    def _progress(self, row: int) -> None:
        self.stdout.write(f"\r  row {row}", ending="")
        self.stdout.flush()
