from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from govdesk.catalog import services
from govdesk.common.errors import ApplicationError

DEFAULT_CATEGORIES = Path(__file__).resolve().parents[2] / "data" / "categories.csv"
IMPORTERS = {
    "categories": services.category_tree_import,
    "dispatch": services.dispatch_rules_import,
    "policies": services.time_limit_policies_import,
}


class Command(BaseCommand):
    help = (
        "Import catalogue data from CSV: categories (level1,level2,level3), dispatch (category,unit_code,by_place) "
        "or policies (name,request_type,urgency,category,sign_amount,sign_unit,finish_amount,finish_unit). "
        "Dry run unless --commit."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=sorted(IMPORTERS))
        parser.add_argument("file", nargs="?", type=Path, help="CSV file (categories default: the shipped tree)")
        parser.add_argument("--commit", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path | None = options["file"]
        if path is None:
            if options["kind"] != "categories":
                raise CommandError("give the CSV file to import")
            path = DEFAULT_CATEGORIES
        try:
            text = path.read_text(encoding="utf-8-sig")
            result = IMPORTERS[options["kind"]](text=text, commit=options["commit"])
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"cannot read {path}: {exc}") from exc
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        verb = "imported" if result.committed else "dry run (add --commit to write)"
        self.stdout.write(
            f"{options['kind']}: {verb}: {result.created} new, {result.updated} changed, {result.unchanged} unchanged"
        )
