"""Compare the statistics facts and rollups with a recomputation from the cases; exit 1 on any difference."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from govdesk.stats.services import SCHEMAS, stats_rollup_verify


class Command(BaseCommand):
    help = (
        "Check the statistics rollups against direct counts over the work orders and the applications; exit status "
        "1 on a mismatch."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--limit", type=int, default=50, help="differences printed at most (0: all)")
        parser.add_argument(
            "--kind", action="append", choices=sorted(SCHEMAS), help="only this case kind (repeatable; default: all)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        diffs = stats_rollup_verify(limit=options["limit"], kinds=options["kind"])
        for line in diffs:
            self.stdout.write(line)
        if diffs:
            raise CommandError(f"statistics rollups differ from the cases ({len(diffs)} differences shown)")
        self.stdout.write(self.style.SUCCESS("statistics rollups match the cases"))
