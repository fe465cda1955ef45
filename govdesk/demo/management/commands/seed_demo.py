from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from govdesk.assessment.demo import assessment_demo_compute
from govdesk.cases.services import case_deadlines_sweep
from govdesk.common import clock
from govdesk.common.errors import ApplicationError
from govdesk.demo import seed
from govdesk.demo.open311 import demo_open311_ensure
from govdesk.supervision.demo import supervision_demo_seed
from govdesk.workorders.models import WorkOrder


class Command(BaseCommand):
    help = (
        "Load the demo district (units, dispatch catalogue, one account per role) and about 2,000 work orders made "
        "from real citizen messages, replayed through the services over the last 90 days. Demo data only: never run "
        "this on a production database. Work orders are added only when there are none, unless --force."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--orders", type=int, default=2000, help="how many work orders (default 2000)")
        parser.add_argument("--days", type=int, default=90, help="spread over the last N days (default 90)")
        parser.add_argument("--seed", type=int, default=12345, help="random seed (default 12345)")
        parser.add_argument("--force", action="store_true", help="add orders even when the database has some")
        parser.add_argument(
            "--password-file",
            type=Path,
            default=None,
            help="where a generated password is kept between runs (default var/demo-password)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        count, days = options["orders"], options["days"]
        if count < 0 or days < 1:
            raise CommandError("--orders must be >= 0 and --days >= 1")
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
            with clock.at(seed.history_start(days) if add_orders and existing == 0 else clock.now()):
                accounts = seed.demo_accounts_ensure(password=password)
            if add_orders:
                result = seed.demo_orders_create(count=count, days=days, seed=options["seed"], progress=self._progress)
                self.stdout.write("")
                self.stdout.write(f"work orders: {result.orders} created, {result.steps} steps replayed")
                for what, n in sorted(result.failures.items()):
                    self.stdout.write(f"  skipped {n}× {what}")
                sweep = case_deadlines_sweep()
                self.stdout.write(f"deadline sweep: {sweep}")
                self.stdout.write(f"supervision: {supervision_demo_seed()}")
                self.stdout.write(f"assessment: {assessment_demo_compute()}")
            elif count > 0:
                self.stdout.write(f"work orders: {existing} already present; none added (use --force to add more)")
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
