from __future__ import annotations

import json
from decimal import Decimal
from io import StringIO
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from django.core.management import call_command
from django.db import IntegrityError, transaction

from govdesk.ledgers.models import (
    AppendOnlyError,
    ContractCleanup,
    Indicator,
    IndicatorValue,
    LedgerRowVersion,
    MajorProject,
    MajorProjectProgress,
    Programme,
    ProgrammeDisbursement,
    RoadWork,
    SelfBuiltHouse,
    ToiletRenovation,
)

from .core_fixtures import make_definitions

pytestmark = pytest.mark.django_db


@pytest.fixture
def definitions(db: Any, district: SimpleNamespace) -> SimpleNamespace:
    return make_definitions(district)


DATA = Path(__file__).resolve().parents[1] / "data"

# The indicator codes of the design's figure table (docs: issue 14, "Review"): the catalogue holds exactly these.
FIGURE_INDICATORS = {
    "tax_fee_reduction", "bonds_used", "market_entities_net", "new_above_scale", "little_giants", "specialized_new",
    "listing_reserve", "shareholding_listed", "coal_output", "gdp", "industrial_value_added", "retail_sales",
    "fixed_asset_investment", "urban_income", "rural_income", "budget_revenue", "farmland_built", "grain_output",
    "pigs_stock", "pigs_slaughtered", "agri_processing_sales", "weak_villages_helped", "festival_main_venues",
    "festival_sub_venues", "festival_activities", "festival_products", "demolition_area", "land_expropriated",
    "vaccine_doses", "nucleic_tests", "outbreaks_handled",
}  # fmt: skip
MONTHLY_LATEST = {
    "gdp", "retail_sales", "fixed_asset_investment", "budget_revenue", "industrial_value_added", "urban_income",
    "rural_income", "pigs_stock",
}  # fmt: skip


def _duplicate_refused(model: Any, **fields: Any) -> None:
    model.objects.create(**fields)
    with pytest.raises(IntegrityError), transaction.atomic():
        model.objects.create(**fields)


def test_natural_keys_are_unique(definitions: SimpleNamespace) -> None:
    _duplicate_refused(ToiletRenovation, year=2022, month=3, township="滨河街道", village="东村", planned=1)
    _duplicate_refused(ContractCleanup, year=2022, month=3, township="滨河街道", village="东村")
    _duplicate_refused(IndicatorValue, indicator=definitions.monthly_sum, year=2022, month=0, value=1)
    _duplicate_refused(ProgrammeDisbursement, programme=definitions.vouchers, year=2022, month=1, amount=1)
    _duplicate_refused(RoadWork, year=2022, name="滨河路", kind="upgrade")
    _duplicate_refused(
        SelfBuiltHouse,
        code="141102-001-00001",
        year=2022,
        month=5,
        township="滨河街道",
        village="东村",
        address="东村1号",
        floors=2,
        inspected_on="2022-05-01",
        hazard="none",
        appraisal="not_required",
    )
    project = MajorProject.objects.create(year=2022, name="交口煤业", category="industry", status="preparing")
    _duplicate_refused(MajorProject, year=2023, name="交口煤业", category="industry", status="preparing")
    _duplicate_refused(MajorProjectProgress, project=project, year=2022, month=1)


def test_same_name_in_another_year_or_kind_is_another_row(db: Any) -> None:
    RoadWork.objects.create(year=2022, name="滨河路", kind="upgrade")
    RoadWork.objects.create(year=2022, name="滨河路", kind="flood_repair")
    RoadWork.objects.create(year=2021, name="滨河路", kind="upgrade")
    assert RoadWork.objects.count() == 3


def test_toilets_completed_never_exceeds_planned_in_the_database(db: Any) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        ToiletRenovation.objects.create(year=2022, month=3, township="滨河街道", village="东村", planned=2, completed=3)


def test_versions_are_append_only(db: Any) -> None:
    version = LedgerRowVersion.objects.create(kind="toilets", row_id=1, version=1, data={"completed": 1})
    version.note = "rewritten"
    with pytest.raises(AppendOnlyError):
        version.save()
    with pytest.raises(AppendOnlyError):
        version.delete()
    with pytest.raises(AppendOnlyError):
        LedgerRowVersion.objects.filter(pk=version.pk).update(note="x")
    with pytest.raises(AppendOnlyError):
        LedgerRowVersion.objects.all().delete()
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerRowVersion.objects.create(kind="toilets", row_id=1, version=1)
    LedgerRowVersion.objects.create(kind="toilets", row_id=1, version=2)


def test_yoy_change_is_computed(definitions: SimpleNamespace) -> None:
    value = IndicatorValue(
        indicator=definitions.monthly_latest, year=2022, month=12, value=Decimal("106.4"), last_year_value=100
    )
    assert value.yoy_change == Decimal("0.064")
    value.last_year_value = None
    assert value.yoy_change is None


def test_the_shipped_catalogue_holds_exactly_the_figure_indicators() -> None:
    indicators = json.loads((DATA / "indicators.json").read_text(encoding="utf-8"))
    codes = [item["code"] for item in indicators]
    assert len(codes) == len(set(codes))
    assert set(codes) == FIGURE_INDICATORS
    by_code = {item["code"]: item for item in indicators}
    for code, item in by_code.items():
        if code in MONTHLY_LATEST:
            assert (item["frequency"], item["aggregation"]) == ("monthly", "latest"), code
        elif code == "coal_output":
            assert (item["frequency"], item["aggregation"]) == ("monthly", "sum")
        else:
            assert (item["frequency"], item["aggregation"]) == ("annual", "sum"), code
    assert by_code["bonds_used"]["measure"] == "万元" and by_code["gdp"]["measure"] == "亿元"
    assert by_code["vaccine_doses"]["measure"] == "万剂次" and by_code["outbreaks_handled"]["measure"] == "轮"


def test_the_data_migration_loaded_the_definitions_without_units(db: Any) -> None:
    # The test database is migrated before any unit exists: every definition is there, no source unit set.
    assert set(Indicator.objects.values_list("code", flat=True)) >= FIGURE_INDICATORS
    assert set(Programme.objects.values_list("code", flat=True)) >= {"consumer_vouchers", "bridging_fund"}
    assert Indicator.objects.get(code="gdp").name == "地区生产总值"


def test_definitions_load_command_is_idempotent_and_fills_units(district: SimpleNamespace) -> None:
    Indicator.objects.filter(code="demolition_area").update(name="旧名称")
    out = StringIO()
    call_command("ledger_definitions_load", stdout=out)
    text = out.getvalue()
    assert "indicator demolition_area: name" in text
    assert Indicator.objects.get(code="demolition_area").name == "征迁拆除面积"
    # The conftest district has 住建局 (LS-ZJ): its indicator gets it; a unit the district lacks stays empty.
    assert Indicator.objects.get(code="demolition_area").source_unit == district.dept_a
    assert Indicator.objects.get(code="tax_fee_reduction").source_unit is None
    again = StringIO()
    call_command("ledger_definitions_load", stdout=again)
    assert again.getvalue().strip() == "ledger definitions: unchanged"


def test_admin_definitions_for_the_sysadmin_rows_read_only(people: SimpleNamespace, rf: Any) -> None:
    from django.contrib import admin

    from govdesk.audit.models import AuditEvent

    sysadmin = people.sysadmin
    assert sysadmin.has_perm("ledgers.change_indicator") and sysadmin.has_perm("ledgers.add_programme")
    assert sysadmin.has_perm("ledgers.view_toiletrenovation")
    assert not sysadmin.has_perm("ledgers.change_toiletrenovation")
    assert not people.supervisor.has_perm("ledgers.change_indicator")
    request = rf.get("/admin/")
    request.user = sysadmin
    for model in (ToiletRenovation, MajorProject, IndicatorValue, LedgerRowVersion):
        model_admin = admin.site._registry[model]
        assert not model_admin.has_add_permission(request)
        assert not model_admin.has_change_permission(request)
        assert not model_admin.has_delete_permission(request)
    indicator_admin = admin.site._registry[Indicator]
    assert indicator_admin.has_change_permission(request)
    indicator = Indicator.objects.get(code="gdp")
    indicator.name = "地区生产总值（GDP）"
    form = SimpleNamespace(changed_data=["name"])
    indicator_admin.save_model(request, indicator, form, change=True)
    event = AuditEvent.objects.get(action="ledger.indicator.change")
    assert event.object_id == str(indicator.pk) and "gdp: name" in event.note
