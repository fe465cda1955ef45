from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from govdesk.common.errors import ApplicationError
from govdesk.projects.flows import project_types_import

DEMO_PROJECT_TYPES = Path(__file__).resolve().parents[2] / "data" / "project_types.json"


class Command(BaseCommand):
    help = (
        "Import the construction project types and their flows (stages as packages, limits, 告知承诺 and joint "
        "acceptance matters) from an .xlsx workbook (sheets 项目类型 and 阶段, as projects_export writes) or the JSON "
        "of the shipped demo types (the default). The packages must be imported first. Dry run unless --commit "
        "(--dry-run says so explicitly); any row error: nothing written."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", nargs="?", type=Path, help="default: the shipped demo project types")
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument("--commit", action="store_true", help="write the changes")
        mode.add_argument("--dry-run", action="store_true", help="check only (the default)")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"] or DEMO_PROJECT_TYPES
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"cannot read {path}: {exc}") from exc
        try:
            result = project_types_import(
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
            f"project types: {verb}: {result.created} new, {result.changed} changed, {result.unchanged} unchanged"
        )

    def _progress(self, done: int, total: int) -> None:
        self.stdout.write(f"\r  {done}/{total}", ending="")
        self.stdout.flush()
