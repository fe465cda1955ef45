"""Open the expiry reviews (到期复核) of the knowledge articles that stop being valid soon: run daily (cron or the
scheduler), like the deadline and supervision sweeps. Idempotent: an article with an open revision gets no second."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from govdesk.knowledge.services import EXPIRY_REVIEW_DAYS, knowledge_expiry_reviews_open


class Command(BaseCommand):
    help = "Open an expiry review for every published knowledge article valid for at most --days more days."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--days",
            type=int,
            default=EXPIRY_REVIEW_DAYS,
            help=f"review articles whose validity ends within this many days (default {EXPIRY_REVIEW_DAYS})",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        days = options["days"]
        if not 0 <= days <= 366:
            raise CommandError("--days must be 0 to 366.")
        opened = knowledge_expiry_reviews_open(days=days)
        self.stdout.write(
            f"knowledge_expiry_sweep: {opened} expiry review(s) opened (validity ending within {days} days)"
        )
