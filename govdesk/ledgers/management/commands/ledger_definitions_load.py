from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from govdesk.ledgers.services import DATA_DIR, ledger_definitions_load


class Command(BaseCommand):
    help = (
        "Load the ledger definitions (indicators, programmes) from data/indicators.json and data/programmes.json: "
        "create or update by code, source units by code (a missing unit leaves it empty). Idempotent."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--data-dir", type=Path, default=DATA_DIR, help="folder holding the two JSON files")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            done = ledger_definitions_load(data_dir=options["data_dir"])
        except (OSError, ValueError, KeyError) as exc:
            raise CommandError(f"cannot load the definitions: {exc}") from exc
        for line in done:
            self.stdout.write(line)
        self.stdout.write(
            f"ledger definitions: {len(done)} created or changed" if done else "ledger definitions: unchanged"
        )
