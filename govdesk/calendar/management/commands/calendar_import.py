from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from govdesk.calendar.services import calendar_year_import
from govdesk.common.errors import ApplicationError


class Command(BaseCommand):
    help = "Import one year's holiday arrangement from CSV (date,is_workday,name). Dry run unless --commit."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--source", default="", help="The notice it comes from, e.g. 国办发明电〔2026〕X号")
        parser.add_argument("--commit", action="store_true", help="Write to the database (default: only check)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            text = options["file"].read_text(encoding="utf-8-sig")
            result = calendar_year_import(text=text, source=options["source"], commit=options["commit"])
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"cannot read {options['file']}: {exc}") from exc
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        verb = "imported" if result.committed else "would import (dry run; add --commit)"
        self.stdout.write(f"{verb} {result.year}: {result.holidays} days off, {result.workdays} make-up working days")
