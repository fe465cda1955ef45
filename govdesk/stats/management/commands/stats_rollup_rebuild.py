"""Recompute the statistics facts and rollups from the orders (after a restore, an import or a formula change)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from govdesk.stats.services import stats_rollup_rebuild


class Command(BaseCommand):
    help = "Rebuild the statistics facts and rollups from the work orders, in batches, in one transaction."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch", type=int, default=5000, help="orders read per batch (default 5000)")

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()

        def progress(done: int, total: int) -> None:
            self.stdout.write(f"\r{done:,}/{total:,} orders", ending="")
            self.stdout.flush()

        counts = stats_rollup_rebuild(batch=options["batch"], progress=progress)
        self.stdout.write("")
        self.stdout.write(
            self.style.SUCCESS(
                f"{counts['facts']:,} facts, {counts['rollups']:,} rollup rows, "
                f"{counts['street_rollups']:,} street rollup rows in {time.monotonic() - started:.1f} s"
            )
        )
