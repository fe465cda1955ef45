from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from govdesk.cases.services import case_deadlines_sweep


class Command(BaseCommand):
    help = "Refresh overdue and due-soon flags of open cases. Run every minute (cron, systemd timer) or with --every."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--every", type=int, default=0, help="Repeat every N seconds until stopped")

    def handle(self, *args: Any, **options: Any) -> None:
        while True:
            counts = case_deadlines_sweep()
            changed = {k: v for k, v in counts.items() if v}
            self.stdout.write(f"deadline sweep: {changed or 'no changes'}")
            if not options["every"]:
                return
            time.sleep(options["every"])
