from __future__ import annotations

import logging
import os
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from govdesk.common.errors import ApplicationError
from govdesk.demo import seed
from govdesk.demo.review_year.year import YEAR, audit_summary, review_year_seed


class Command(BaseCommand):
    help = (
        f"Build the demo district's year {YEAR} so that `work_review --year {YEAR}` reproduces the figures of the "
        "district's own review of that year: its construction projects, work orders, applications and package "
        "applications (in bulk), the packages in service, and the ledgers with their monthly rows; then rebuild the "
        "statistics. Adds the district, accounts and catalogues first when missing (as seed_demo). Each part is added "
        "once: a second run adds nothing. Demo data only: never run this on a production database."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--password-file",
            type=Path,
            default=None,
            help="where a generated password is kept between runs (default var/demo-password)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        # WeasyPrint logs every step of every notice PDF the projects' stages issue; its warnings still show.
        pdf_log = logging.getLogger("weasyprint")
        level = pdf_log.level
        pdf_log.setLevel(logging.WARNING)
        try:
            self._handle(**options)
        finally:
            pdf_log.setLevel(level)

    def _say(self, text: str) -> None:
        self.stdout.write(f"[{time.monotonic() - self.started:6.1f} s] {text}")
        self.stdout.flush()

    def _handle(self, **options: Any) -> None:
        self.started = time.monotonic()
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
        self._say(f"seed_review_demo: the year {YEAR} (load average {load:.2f}, {os.cpu_count()} CPUs)")
        password_file = options["password_file"] or Path(settings.VAR_DIR) / "demo-password"
        try:
            password = seed.demo_password(password_file, os.environ.get("GOVDESK_DEMO_PASSWORD"))
            result = review_year_seed(password=password, say=self._say)
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        if result.added.get("work orders"):
            self._say("statistics: rebuilding from the cases")
            call_command("stats_rollup_rebuild", stdout=self.stdout)
        audit_summary(result)
        for what, n in result.added.items():
            self._say(f"added: {what} {n:,}")
        for what, n in result.present.items():
            self._say(f"already present: {what} {n:,}")
        for what, n in sorted(result.failures.items()):
            self._say(f"skipped {n}× {what}")
        self._say(f"seed_review_demo finished in {time.monotonic() - self.started:.1f} s")
