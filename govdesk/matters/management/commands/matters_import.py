from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from govdesk.common.errors import ApplicationError
from govdesk.matters.transfer import matters_import

DEMO_CATALOGUE = Path(__file__).resolve().parents[2] / "data" / "demo_catalogue.json"


class Command(BaseCommand):
    help = (
        "Import the matter catalogue from an .xlsx workbook (sheets 事项 and 材料, as matters_export writes) or the "
        "JSON of the shipped demo catalogue (the default). Dry run unless --commit; any row error: nothing written."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", nargs="?", type=Path, help="default: the shipped demo catalogue")
        parser.add_argument("--commit", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"] or DEMO_CATALOGUE
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"cannot read {path}: {exc}") from exc
        try:
            result = matters_import(
                content=content, filename=path.name, commit=options["commit"], progress=self._progress
            )
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        if result.errors:
            for error in result.errors:
                self.stderr.write(error)
            raise CommandError(f"{len(result.errors)} errors in {path.name}: nothing imported")
        self.stdout.write("")
        verb = "imported" if result.committed else "dry run (add --commit to write)"
        self.stdout.write(
            f"matters: {verb}: {result.created} new, {result.changed} changed (new version), "
            f"{result.unchanged} unchanged"
        )

    def _progress(self, done: int, total: int) -> None:
        if done == total or done % 50 == 0:
            self.stdout.write(f"\r  {done}/{total}", ending="")
            self.stdout.flush()
