"""`manage.py open311_key create NAME` (prints the key once), `list`, `revoke NAME`."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from govdesk.common.errors import ApplicationError
from govdesk.open311.selectors import api_key_list
from govdesk.open311.services import api_key_create, api_key_revoke
from govdesk.org.models import Unit


class Command(BaseCommand):
    help = "Manage Open311 API keys: create NAME [--unit CODE] (prints the key once), list, revoke NAME."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="create a key and print it (it is not stored, only its hash)")
        create.add_argument("name")
        create.add_argument("--unit", default="", help="code of the unit that owns the key")
        sub.add_parser("list", help="list keys (name, prefix, state, last use)")
        revoke = sub.add_parser("revoke", help="stop accepting a key")
        revoke.add_argument("name")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["action"] == "create":
                unit = None
                if options["unit"]:
                    unit = Unit.objects.filter(code=options["unit"]).first()
                    if unit is None:
                        raise CommandError(f"no unit with code {options['unit']}")
                key, raw = api_key_create(name=options["name"], owner_unit=unit)
                self.stderr.write(f"created Open311 key {key.name!r} (prefix {key.prefix}); it is shown only once:")
                self.stdout.write(raw)
            elif options["action"] == "revoke":
                key = api_key_revoke(name=options["name"])
                self.stdout.write(f"revoked {key.name} ({key.prefix}…)")
            else:
                for key in api_key_list():
                    state = "active" if key.is_active else "revoked"
                    used = key.last_used_at.isoformat(timespec="seconds") if key.last_used_at else "never"
                    owner = key.owner_unit.code if key.owner_unit else "-"
                    self.stdout.write(f"{key.name}\t{key.prefix}…\t{state}\t{owner}\tlast used {used}")
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
