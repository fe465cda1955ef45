"""The shipped ledger definitions (data/indicators.json, data/programmes.json). Units by code: the units may not
exist yet (a fresh database), so a missing one leaves the source unit empty; `ledger_definitions_load` fills it in
once they do."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.db import migrations

DATA_DIR = Path(__file__).resolve().parents[1] / "data"


def load(apps: Any, schema_editor: Any) -> None:
    Indicator = apps.get_model("ledgers", "Indicator")
    Programme = apps.get_model("ledgers", "Programme")
    Unit = apps.get_model("org", "Unit")
    units = {unit.code: unit for unit in Unit.objects.all()}
    for item in json.loads((DATA_DIR / "indicators.json").read_text(encoding="utf-8")):
        fields = {name: item[name] for name in ("name", "measure", "frequency", "aggregation", "category", "order")}
        Indicator.objects.update_or_create(
            code=item["code"], defaults={**fields, "source_unit": units.get(item.get("source_unit") or "")}
        )
    for item in json.loads((DATA_DIR / "programmes.json").read_text(encoding="utf-8")):
        Programme.objects.update_or_create(
            code=item["code"],
            defaults={"name": item["name"], "kind": item["kind"], "unit": units.get(item.get("unit") or "")},
        )


class Migration(migrations.Migration):
    dependencies = [
        ("ledgers", "0001_initial"),
        ("org", "0001_initial"),
    ]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
