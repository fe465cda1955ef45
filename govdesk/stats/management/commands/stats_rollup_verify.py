"""Compare the statistics facts and rollups with a recomputation from the orders; exit 1 on any difference."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from govdesk.stats.services import stats_rollup_verify


class Command(BaseCommand):
    help = "Check the statistics rollups against direct counts over the work orders; exit status 1 on a mismatch."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--limit", type=int, default=50, help="differences printed at most (0: all)")

    def handle(self, *args: Any, **options: Any) -> None:
        diffs = stats_rollup_verify(limit=options["limit"])
        for line in diffs:
            self.stdout.write(line)
        if diffs:
            raise CommandError(f"statistics rollups differ from the orders ({len(diffs)} differences shown)")
        self.stdout.write(self.style.SUCCESS("statistics rollups match the orders"))
