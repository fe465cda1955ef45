from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command

from govdesk.demo.seed import demo_district_ensure
from govdesk.matters.management.commands.matters_import import DEMO_CATALOGUE
from govdesk.matters.models import Matter, MatterVersion
from govdesk.matters.selectors import matter_search
from govdesk.matters.transfer import matters_import

pytestmark = pytest.mark.django_db


def test_demo_catalogue_loads_and_is_idempotent(capsys: Any) -> None:
    demo_district_ensure()
    call_command("matters_import", "--commit")
    assert "new" in capsys.readouterr().out
    assert Matter.objects.count() >= 200
    assert Matter.objects.values("unit").distinct().count() >= 15
    versions = MatterVersion.objects.all()
    assert all(v.promised_limit_days <= v.legal_limit_days for v in versions)
    assert versions.filter(instant=True).exists() and versions.filter(instant=False).exists()
    assert all(v.materials.exists() and v.fields for v in versions.prefetch_related("materials"))
    assert {m.name for m in matter_search("yyzz")} >= {"营业执照遗失补领"}
    again = matters_import(content=DEMO_CATALOGUE.read_bytes(), filename=DEMO_CATALOGUE.name, commit=True)
    assert again.created == again.changed == 0 and again.unchanged == Matter.objects.count()
    assert MatterVersion.objects.count() == Matter.objects.count()
