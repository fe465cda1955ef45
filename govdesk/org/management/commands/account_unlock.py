"""Lift a login lockout from the command line, as the admin's unlock action does (audited)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from govdesk.org.services import login_unlock


class Command(BaseCommand):
    help = "Lift the login lockout of an account (from every address, or from --address only)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--address", help="only the lock from this client address")

    def handle(self, *args: Any, **options: Any) -> None:
        count = login_unlock(username=options["username"], address=options["address"])
        self.stdout.write(f"unlocked {options['username']}: {count} lockout records removed")
