from __future__ import annotations

import getpass
import os
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from govdesk.common.errors import ApplicationError
from govdesk.org.models import Role, Unit
from govdesk.org.services import user_create


class Command(BaseCommand):
    help = (
        "Create an account with roles, e.g. the first security administrator of a new deployment. "
        "The password is asked for, or read from GOVDESK_NEW_PASSWORD."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--role", action="append", required=True, choices=Role.values, dest="roles")
        parser.add_argument("--unit", help="unit code")
        parser.add_argument("--name", default="", help="display name")

    def handle(self, *args: Any, **options: Any) -> None:
        unit = None
        if options["unit"]:
            unit = Unit.objects.filter(code=options["unit"]).first()
            if unit is None:
                raise CommandError(f"no unit with code {options['unit']}")
        password = os.environ.get("GOVDESK_NEW_PASSWORD") or getpass.getpass("Password: ")
        try:
            user = user_create(
                username=options["username"],
                password=password,
                roles=options["roles"],
                unit=unit,
                display_name=options["name"],
            )
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"created {user.username} with roles {', '.join(sorted(user.roles))}")
