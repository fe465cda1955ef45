from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from govdesk.projects.flows import project_types_export, project_types_export_json


class Command(BaseCommand):
    help = (
        "Write every construction project type and its stages to an .xlsx workbook (or, for a .json name, the JSON of "
        "the demo data) that projects_import reads back."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        self.stdout.write("project types: exporting…")
        content = project_types_export_json() if path.suffix.lower() == ".json" else project_types_export()
        try:
            path.write_bytes(content)
        except OSError as exc:
            raise CommandError(f"cannot write {path}: {exc}") from exc
        self.stdout.write(f"project types: exported to {path}")
