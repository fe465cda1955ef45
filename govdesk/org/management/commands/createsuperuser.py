"""Replaces Django's createsuperuser: GovDesk has no superuser (等保2.0 三权分立; the database refuses one too)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = "Refused: GovDesk has no superuser. Create the three administrators with account_create instead."

    def add_arguments(self, parser: CommandParser) -> None:
        # Accept Django's options so that scripts calling it get this explanation, not an argument error.
        parser.add_argument("--username")
        parser.add_argument("--email")
        parser.add_argument("--noinput", "--no-input", action="store_false", dest="interactive")
        parser.add_argument("--database")

    def handle(self, *args: Any, **options: Any) -> None:
        raise CommandError(
            "GovDesk has no superuser: the system, security and audit administrators are separate accounts. "
            "Create them with `manage.py account_create USERNAME --role sysadmin|secadmin|auditor`."
        )
