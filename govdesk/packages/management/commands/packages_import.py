from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from govdesk.common.errors import ApplicationError
from govdesk.packages.transfer import packages_import

DEMO_PACKAGES = Path(__file__).resolve().parents[2] / "data" / "demo_packages.json"


class Command(BaseCommand):
    help = (
        "Import the package catalogue (一件事) from an .xlsx workbook (sheets 一件事, 事项 and 材料, as "
        "packages_export writes) or the JSON of the shipped demo packages (the default). The matters must be "
        "imported first. Dry run unless --commit; any row error: nothing written."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", nargs="?", type=Path, help="default: the shipped demo packages")
        parser.add_argument("--commit", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"] or DEMO_PACKAGES
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"cannot read {path}: {exc}") from exc
        try:
            result = packages_import(content=content, filename=path.name, commit=options["commit"])
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        if result.errors:
            for error in result.errors:
                self.stderr.write(error)
            raise CommandError(f"{len(result.errors)} errors in {path.name}: nothing imported")
        verb = "imported" if result.committed else "dry run (add --commit to write)"
        self.stdout.write(
            f"packages: {verb}: {result.created} new, {result.changed} changed (new version), "
            f"{result.unchanged} unchanged"
        )
