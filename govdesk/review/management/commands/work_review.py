"""`python manage.py work_review --year YYYY --out DIR`: the year's work review as work-review-YYYY.docx, .pdf and
.html in DIR (generator.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from govdesk.common.errors import ApplicationError
from govdesk.review.generator import work_review_write
from govdesk.review.rendering import TemplateError

FIRST_YEAR, LAST_YEAR = 2000, 2100


class Command(BaseCommand):
    help = "Write the year's work review (docx, pdf, html) from the records into a directory."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--year", type=int, required=True)
        parser.add_argument("--out", type=Path, required=True, help="directory to write into (created if missing)")
        parser.add_argument(
            "--base-url",
            default="",
            help="make the HTML's figure links absolute, e.g. https://govdesk.example.gov.cn (default: /review/...)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        year = options["year"]
        if not FIRST_YEAR <= year <= LAST_YEAR:
            raise CommandError(f"--year must be between {FIRST_YEAR} and {LAST_YEAR}: {year}")
        out_dir: Path = options["out"]
        if out_dir.exists() and not out_dir.is_dir():
            raise CommandError(f"--out is not a directory: {out_dir}")
        try:
            paths = work_review_write(year=year, out_dir=out_dir, base_url=options["base_url"])
        except (TemplateError, ApplicationError) as error:
            raise CommandError(str(error)) from error
        for path in paths:
            self.stdout.write(str(path))
