from __future__ import annotations

import logging
import os
import sys
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from govdesk.applications.models import Application
from govdesk.assessment.demo import assessment_demo_compute
from govdesk.cases.services import case_deadlines_sweep
from govdesk.common import clock
from govdesk.common.errors import ApplicationError
from govdesk.demo import seed
from govdesk.demo.open311 import demo_open311_ensure
from govdesk.demo.projects import PROJECT_DAYS, PROJECTS
from govdesk.evaluations.models import Evaluation
from govdesk.packages.models import PackageApplication
from govdesk.projects.models import Project
from govdesk.projects.services import projects_sweep
from govdesk.supervision.demo import supervision_demo_seed
from govdesk.workorders.models import WorkOrder


class Command(BaseCommand):
    help = (
        "Load the demo district (units, dispatch catalogue, one account per role) and about 2,000 work orders made "
        "from real citizen messages, replayed through the services over the last 90 days, with the matter catalogue, "
        "about 150 applications, 150 package applications (一件事) and 300 ratings of the last 60 days, and 43 "
        "construction projects of the last year at every stage. Demo data only: never run this on a production "
        "database. The history is added only when there are no work orders, unless --force."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--orders", type=int, default=2000, help="how many work orders (default 2000)")
        parser.add_argument("--days", type=int, default=90, help="spread over the last N days (default 90)")
        parser.add_argument(
            "--applications", type=int, default=150, help="applications over the last 60 days (default 150)"
        )
        parser.add_argument(
            "--ratings", type=int, default=300, help="about this many ratings of closed cases (default 300)"
        )
        parser.add_argument(
            "--packages",
            type=int,
            default=150,
            help="package applications (一件事) over the last 60 days (default 150)",
        )
        parser.add_argument(
            "--projects",
            type=int,
            default=PROJECTS,
            help=f"construction projects over the last year, at every stage (default {PROJECTS})",
        )
        parser.add_argument("--seed", type=int, default=12345, help="random seed (default 12345)")
        parser.add_argument("--force", action="store_true", help="add orders even when the database has some")
        parser.add_argument(
            "--password-file",
            type=Path,
            default=None,
            help="where a generated password is kept between runs (default var/demo-password)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        # WeasyPrint logs every step of every notice PDF the applications' history issues; its warnings still show.
        pdf_log = logging.getLogger("weasyprint")
        level = pdf_log.level
        pdf_log.setLevel(logging.WARNING)
        try:
            self._handle(**options)
        finally:
            pdf_log.setLevel(level)

    def _handle(self, **options: Any) -> None:
        started = time.monotonic()
        count, days = options["orders"], options["days"]
        hall = (options["applications"], options["ratings"], options["packages"], options["projects"])
        if count < 0 or days < 1 or min(hall) < 0:
            raise CommandError(
                "--orders, --applications, --ratings, --packages and --projects must be >= 0 and --days >= 1"
            )
        existing = WorkOrder.objects.count()
        add_orders = count > 0 and (existing == 0 or options["force"])
        password_file = options["password_file"] or Path(settings.VAR_DIR) / "demo-password"
        totp_secret = os.environ.get("GOVDESK_DEMO_TOTP_SECRET", "").strip()
        try:
            if totp_secret:
                seed.demo_totp_key(totp_secret)  # refuse a bad secret before anything is written
            created = seed.demo_categories_ensure()
            if created:
                self.stdout.write(f"categories: loaded {created} from the shipped tree")
            seed.demo_district_ensure()
            rules = seed.demo_dispatch_rules_ensure()
            self.stdout.write(f"district: units and {rules} dispatch rules in place")
            password = seed.demo_password(password_file, os.environ.get("GOVDESK_DEMO_PASSWORD"))
            # On a fresh database the accounts exist before the history starts, so the audit chain stays in time order.
            # A year back when the history has construction projects (they began before the rest of it).
            span = max(days, PROJECT_DAYS) if options["projects"] else days
            with clock.at(seed.history_start(span) if add_orders and existing == 0 else clock.now()):
                accounts = seed.demo_accounts_ensure(password=password)
                # Before the history: its applications need the catalogue, and its audit events come first.
                matters = seed.demo_catalogue_ensure()
                packages = seed.demo_packages_ensure()
                project_types = seed.demo_project_types_ensure()
            if matters:
                self.stdout.write(f"matters: loaded {matters} from the shipped demo catalogue")
            if packages:
                self.stdout.write(f"packages: loaded {packages} from the shipped demo packages")
            if project_types:
                self.stdout.write(f"project types: loaded {project_types} from the shipped construction flows")
            if add_orders:
                # The service hall's history comes with a fresh one only, so the audit trail stays in time order.
                with_hall = not (
                    Application.objects.exists() or Evaluation.objects.exists() or PackageApplication.objects.exists()
                )
                result = seed.demo_orders_create(
                    count=count,
                    days=days,
                    seed=options["seed"],
                    applications=options["applications"] if with_hall else 0,
                    ratings=options["ratings"] if with_hall else 0,
                    packages=options["packages"] if with_hall else 0,
                    projects=options["projects"] if with_hall and not Project.objects.exists() else 0,
                    progress=self._progress,
                )
                self.stdout.write("")
                self.stdout.write(f"work orders: {result.orders} created, {result.steps} steps replayed")
                self.stdout.write(
                    f"applications: {result.applications} created; ratings: {result.ratings} "
                    f"({result.rectifications} rectifications)"
                )
                self.stdout.write(f"package applications: {result.packages} created")
                self.stdout.write(f"construction projects: {result.projects} registered")
                for what, n in sorted(result.failures.items()):
                    self.stdout.write(f"  skipped {n}× {what}")
                sweep = case_deadlines_sweep()
                self.stdout.write(f"deadline sweep: {sweep}")
                self.stdout.write(f"projects' clocks refreshed: {projects_sweep()}")
                self.stdout.write(f"supervision: {supervision_demo_seed()}")
                self.stdout.write(f"assessment: {assessment_demo_compute()}")
            elif count > 0:
                self.stdout.write(f"work orders: {existing} already present; none added (use --force to add more)")
                if not Application.objects.exists():
                    # Replaying them now would write audit events dated before the trail's last ones.
                    self.stdout.write("applications: none; they come with a fresh history (make clean-db)")
            with_totp = (
                seed.demo_totp_ensure(secret=totp_secret, usernames=[a.username for a in accounts])
                if totp_secret
                else []
            )
            if with_totp:
                self.stdout.write(
                    f"two-factor: GOVDESK_DEMO_TOTP_SECRET is the authenticator of {', '.join(with_totp)}"
                )
            # After the history, so the key's audit event keeps the chain in time order.
            services, with_key = demo_open311_ensure(os.environ.get("GOVDESK_DEMO_OPEN311_KEY", "").strip() or None)
            self.stdout.write(f"open311: {services} public services" + (", key 'demo' registered" if with_key else ""))
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        self._print_accounts(accounts, password)
        self.stdout.write(f"seed_demo finished in {time.monotonic() - started:.1f} s")

    def _progress(self, done: int, total: int) -> None:
        tty = sys.stdout.isatty()
        if not tty and done % 2000 and done != total:
            return
        end = "" if tty else "\n"
        self.stdout.write(f"\rreplaying history: {done}/{total} steps", ending=end)
        self.stdout.flush()

    def _print_accounts(self, accounts: list[seed.DemoAccount], password: str) -> None:
        named = [
            a for a in accounts if not a.username.startswith("handler_") or a.username in ("handler_a", "handler_b")
        ]
        others = [a.username for a in accounts if a not in named]
        self.stdout.write("")
        self.stdout.write(f"Demo accounts (password for all: {password})")
        for account in named:
            self.stdout.write(f"  {account.username:<15} {account.role:<11} {account.unit or '-'}  {account.name}")
        if others:
            self.stdout.write(f"  one handler per other unit: {', '.join(others)}")
