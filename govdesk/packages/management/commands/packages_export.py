from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from govdesk.packages.transfer import packages_export, packages_export_json


class Command(BaseCommand):
    help = (
        "Write the current version of every package (一件事) to an .xlsx workbook (or, for a .json name, the JSON of "
        "the demo data) that packages_import reads back."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        content = packages_export_json() if path.suffix.lower() == ".json" else packages_export()
        try:
            path.write_bytes(content)
        except OSError as exc:
            raise CommandError(f"cannot write {path}: {exc}") from exc
        self.stdout.write(f"packages: exported to {path}")
