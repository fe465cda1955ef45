from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from govdesk.supervision.services import supervision_sweep


class Command(BaseCommand):
    help = (
        "Urge due-soon and overdue orders and escalate long-overdue ones, by the supervision settings. "
        "Idempotent: run it every few minutes (cron, systemd timer) or with --every."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--every", type=int, default=0, help="Repeat every N seconds until stopped")

    def handle(self, *args: Any, **options: Any) -> None:
        while True:
            result = supervision_sweep()
            counts = {k: v for k, v in result.counts().items() if v}
            self.stdout.write(f"supervision sweep: {counts or 'nothing to do'}")
            for label, numbers in (
                ("urged (due soon)", result.urged_due_soon),
                ("urged (overdue)", result.urged_overdue),
                ("escalated", result.escalated),
            ):
                if numbers:
                    self.stdout.write(f"  {label}: {', '.join(numbers)}")
            if not options["every"]:
                return
            time.sleep(options["every"])
