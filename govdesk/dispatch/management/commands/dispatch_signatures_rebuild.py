"""Store the duplicate signatures of open orders (after deploying duplicates, or after SIGNATURE_VERSION changed),
and delete the signatures that can no longer match (closed orders, orders older than the window)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from govdesk.dispatch.duplicates import duplicate_signatures_prune, duplicate_signatures_rebuild
from govdesk.dispatch.models import DispatchSettings


class Command(BaseCommand):
    help = "Rebuild the duplicate signatures of open orders within the duplicate window and prune stale ones."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=None, help="only orders of the last DAYS (default: the window)")

    def handle(self, *args: Any, **options: Any) -> None:
        days = options["days"] or DispatchSettings.current().duplicate_window_days
        signed = duplicate_signatures_rebuild(days=days)
        pruned = duplicate_signatures_prune(older_than_days=days)
        self.stdout.write(f"signed {signed} open orders; deleted {pruned} stale signatures")
