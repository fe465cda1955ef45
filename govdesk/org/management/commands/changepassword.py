"""Replaces Django's changepassword: the new password goes through the account service (rules, audit trail, API
tokens revoked)."""

from __future__ import annotations

import getpass
import os
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from govdesk.common.errors import ApplicationError
from govdesk.org.models import User
from govdesk.org.services import user_password_set


class Command(BaseCommand):
    help = "Set an account's password. It is asked for twice, or read from GOVDESK_NEW_PASSWORD."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--database")  # accepted for Django's signature; the default database is used

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"no account named {options['username']}")
        password = os.environ.get("GOVDESK_NEW_PASSWORD")
        if not password:
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Password (again): "):
                raise CommandError("the passwords do not match")
        try:
            user_password_set(user=user, password=password, acting_user=None)
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"password changed for {user.username}")
