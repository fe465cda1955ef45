from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from govdesk.demo.selectors import demo_accounts_list


class Command(BaseCommand):
    help = (
        "List the demo accounts `seed_demo` made (they share its password: GOVDESK_DEMO_PASSWORD, else the one in "
        "var/demo-password), with role and unit, so a tester finds the handler of any unit. Reads only."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--json", action="store_true", help='a JSON list of {"username", "role", "unit"} (unit code or null)'
        )

    def handle(self, *args: Any, **options: Any) -> None:
        rows = demo_accounts_list()
        if options["json"]:
            listed = [{"username": r.username, "role": r.role, "unit": r.unit_code} for r in rows]
            self.stdout.write(json.dumps(listed, ensure_ascii=False, indent=2))
            return
        if not rows:
            self.stdout.write("No demo accounts: run `python manage.py seed_demo` first.")
            return
        width = max(len(r.username) for r in rows)
        self.stdout.write(f"{'username':<{width}}  {'role':<12}  {'unit':<10}  name")
        for r in rows:
            unit = f"{r.unit_code} {r.unit_name}" if r.unit_code else "-"
            self.stdout.write(f"{r.username:<{width}}  {r.role:<12}  {unit:<10}  {r.name}")
