"""Recompute the statistics facts and rollups from the cases (after a restore, an import or a formula change)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from govdesk.stats.services import SCHEMAS, stats_rollup_rebuild


class Command(BaseCommand):
    help = (
        "Rebuild the statistics facts and rollups from the work orders and the applications, in batches, in one "
        "transaction."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch", type=int, default=5000, help="cases read per batch (default 5000)")
        parser.add_argument(
            "--kind",
            action="append",
            choices=sorted(SCHEMAS),
            help="only this case kind (repeatable; default: every kind)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()

        def progress(done: int, total: int) -> None:
            self.stdout.write(f"\r{done:,}/{total:,} cases", ending="")
            self.stdout.flush()

        counts = stats_rollup_rebuild(batch=options["batch"], progress=progress, kinds=options["kind"])
        self.stdout.write("")
        parts = ", ".join(f"{n:,} {name.replace('_', ' ')}" for name, n in counts.items())
        self.stdout.write(self.style.SUCCESS(f"{parts} in {time.monotonic() - started:.1f} s"))
