"""`manage.py monthly_report --month YYYY-MM --out DIR`: the month's report as xlsx and PDF, district-wide."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation

from govdesk.common.errors import ApplicationError
from govdesk.org.models import User
from govdesk.reports import selectors, services


class Command(BaseCommand):
    help = "Write the 12345 monthly report (xlsx and PDF) for one month into a directory."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--month", required=True, help="YYYY-MM, e.g. 2026-10")
        parser.add_argument("--out", required=True, help="directory to write into (created if missing)")
        parser.add_argument(
            "--user", default="", help="read as this account (its statistics scope) instead of the whole district"
        )
        parser.add_argument("--format", choices=("both", "xlsx", "pdf"), default="both")

    def handle(self, *args: Any, **options: Any) -> None:
        with translation.override("zh-hans"):
            self._run(options)

    def _run(self, options: dict[str, Any]) -> None:
        reader: Any = selectors.DistrictReader()
        if options["user"]:
            reader = User.objects.filter(username=options["user"], is_active=True).first()
            if reader is None:
                raise CommandError(f"No active account {options['user']!r}.")
        out = Path(options["out"])
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise CommandError(f"Cannot create {out}: {exc}") from exc
        formats = ("xlsx", "pdf") if options["format"] == "both" else (options["format"],)
        try:
            self.stdout.write(f"[1/{len(formats) + 1}] reading the statistics of {options['month']} …")
            data = selectors.monthly_report_data(user=reader, month=options["month"])
            applications = data.get("applications")
            self.stdout.write(
                f"      {data['overview'].get('total')} orders received, {len(data['hotspots'])} hotspots"
                + ("" if data["assessment"] is not None else ", no assessment ranking (module absent)")
                + (
                    f", {(applications.get('totals') or {}).get('received')} applications received"
                    if applications is not None
                    else ", no application statistics (selector absent)"
                )
                + f", {data['evaluations']['total']['total']} ratings"
            )
            for step, fmt in enumerate(formats, start=2):
                self.stdout.write(f"[{step}/{len(formats) + 1}] writing {fmt} …")
                export = services.monthly_report_file(data, fmt=fmt, actor=reader, ip_address=None)
                path = out / services.monthly_filename(data["month"], fmt)
                with path.open("wb") as target:
                    shutil.copyfileobj(export.file, target)
                export.file.close()
                self.stdout.write(f"      {path} ({path.stat().st_size:,} bytes)")
        except ApplicationError as exc:
            raise CommandError(str(exc.message)) from exc
        self.stdout.write(self.style.SUCCESS("done"))
