"""Small record fixtures for the review's tests: one function per figure code that adds the records behind it for a
year (ledger rows written straight to the ledgers' models, platform records through the existing factories) and
returns what the figure must then read."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

from govdesk.applications.models import Application
from govdesk.ledgers.models import (
    ContractCleanup,
    Indicator,
    IndicatorValue,
    MajorProject,
    Park,
    Programme,
    ProgrammeDisbursement,
    RoadWork,
    SelfBuiltHouse,
    ToiletRenovation,
)
from govdesk.packages.models import Package, PackageVersion
from govdesk.projects.tests.factories import flow_create, part_add, project_create, stage_apply
from govdesk.workorders.models import WorkOrder
from govdesk.workorders.states import Status as OrderStatus
from govdesk.workorders.tests.factories import make_order

YEAR = 2022
SHANGHAI = ZoneInfo("Asia/Shanghai")

# code → (measure, aggregation, frequency); the measures of the design's table.
INDICATORS: dict[str, tuple[str, str]] = {
    "tax_fee_reduction": ("万元", "sum"),
    "bonds_used": ("万元", "sum"),
    "market_entities_net": ("户", "sum"),
    "new_above_scale": ("户", "sum"),
    "little_giants": ("户", "sum"),
    "specialized_new": ("户", "sum"),
    "listing_reserve": ("户", "sum"),
    "shareholding_listed": ("户", "sum"),
    "coal_output": ("万吨", "sum"),
    "gdp": ("亿元", "latest"),
    "industrial_value_added": ("亿元", "latest"),
    "retail_sales": ("亿元", "latest"),
    "fixed_asset_investment": ("亿元", "latest"),
    "urban_income": ("元", "latest"),
    "rural_income": ("元", "latest"),
    "budget_revenue": ("亿元", "latest"),
    "farmland_built": ("亩", "sum"),
    "grain_output": ("万吨", "sum"),
    "pigs_stock": ("万头", "latest"),
    "pigs_slaughtered": ("万头", "sum"),
    "agri_processing_sales": ("亿元", "sum"),
    "weak_villages_helped": ("个", "sum"),
    "festival_main_venues": ("个", "sum"),
    "festival_sub_venues": ("个", "sum"),
    "festival_activities": ("项", "sum"),
    "festival_products": ("种", "sum"),
    "demolition_area": ("万平方米", "sum"),
    "land_expropriated": ("亩", "sum"),
    "vaccine_doses": ("万剂次", "sum"),
    "nucleic_tests": ("万人次", "sum"),
    "outbreaks_handled": ("轮", "sum"),
}


def indicator(code: str) -> Indicator:
    measure, aggregation = INDICATORS[code]
    found, _created = Indicator.objects.get_or_create(
        code=code,
        defaults={
            "name": code,
            "measure": measure,
            "frequency": "annual",
            "aggregation": aggregation,
            "category": "other",
        },
    )
    return found


def indicator_value(
    code: str,
    value: Decimal | int | str,
    *,
    year: int = YEAR,
    month: int = 0,
    last_year: Decimal | int | str | None = None,
    rank_city: int | None = None,
    rank_province: int | None = None,
) -> IndicatorValue:
    return IndicatorValue.objects.create(
        indicator=indicator(code),
        year=year,
        month=month,
        value=Decimal(value),
        last_year_value=None if last_year is None else Decimal(last_year),
        rank_city=rank_city,
        rank_province=rank_province,
        source="test",
    )


def programme(code: str) -> Programme:
    kind = "consumer_voucher" if code == "consumer_vouchers" else "bridging_fund"
    found, _created = Programme.objects.get_or_create(code=code, defaults={"name": code, "kind": kind})
    return found


def at(year: int, month: int = 6, day: int = 15) -> datetime:
    return datetime(year, month, day, 10, 0, tzinfo=SHANGHAI)


# --- makers: each adds records for YEAR and returns the figure's expected value ----------------------------------

Maker = Callable[[SimpleNamespace], Any]


def _indicator_maker(code: str, value: str) -> Maker:
    def make(world: SimpleNamespace) -> Decimal:
        indicator_value(code, value)
        return Decimal(value)

    return make


def _vouchers(world: SimpleNamespace) -> Decimal:
    ProgrammeDisbursement.objects.create(
        programme=programme("consumer_vouchers"), year=YEAR, month=3, amount=Decimal("400"), spending_driven=12000
    )
    ProgrammeDisbursement.objects.create(
        programme=programme("consumer_vouchers"), year=YEAR, month=9, amount=Decimal("687"), spending_driven=18100
    )
    return Decimal("1087")


def _voucher_spending(world: SimpleNamespace) -> Decimal:
    _vouchers(world)
    return Decimal("30100")


def _bridging(world: SimpleNamespace) -> Decimal:
    ProgrammeDisbursement.objects.create(programme=programme("bridging_fund"), year=YEAR, month=4, amount=5210)
    return Decimal("5210")


def _project(name: str, total: str) -> MajorProject:
    return MajorProject.objects.create(
        year=YEAR, name=name, category="industry", total_investment=Decimal(total), status="under_construction"
    )


def _major_projects(world: SimpleNamespace) -> int:
    _project("交口煤业技改", "120000")
    _project("中心养老院", "8300")
    return 2


def _major_projects_investment(world: SimpleNamespace) -> Decimal:
    _major_projects(world)
    return Decimal("128300")


def _contracts(world: SimpleNamespace) -> None:
    for month, village, cleaned, debts, funds, assets in [
        (3, "东村", 4000, 2500, 6000, 30000),
        (7, "西村", 3229, 2000, 5400, 25000),
    ]:
        ContractCleanup.objects.create(
            year=YEAR,
            month=month,
            township="信义镇",
            village=village,
            contracts_cleaned=cleaned,
            debts_resolved=Decimal(debts),
            funds_recovered=Decimal(funds),
            assets_recovered=Decimal(assets),
        )


def _contract_maker(value: Any) -> Maker:
    def make(world: SimpleNamespace) -> Any:
        _contracts(world)
        return value

    return make


def _toilets(world: SimpleNamespace) -> int:
    ToiletRenovation.objects.create(year=YEAR, month=5, township="信义镇", village="东村", planned=700, completed=600)
    ToiletRenovation.objects.create(year=YEAR, month=8, township="信义镇", village="西村", planned=400, completed=400)
    return 1000


def _roads(world: SimpleNamespace) -> None:
    RoadWork.objects.create(
        year=YEAR,
        month=9,
        name="离石至信义公路",
        kind="upgrade",
        length_km=Decimal("40.5"),
        completed_on=date(YEAR, 9, 1),
    )
    RoadWork.objects.create(
        year=YEAR,
        month=10,
        name="坪头至王营庄",
        kind="upgrade",
        length_km=Decimal("25.5"),
        completed_on=date(YEAR, 10, 1),
    )
    # Not completed in the year: not counted.
    RoadWork.objects.create(year=YEAR, month=0, name="东川快速路", kind="upgrade", length_km=Decimal("9"))
    for number in range(3):
        RoadWork.objects.create(
            year=YEAR,
            month=8,
            name=f"水毁点{number + 1}",
            kind="flood_repair",
            length_km=Decimal("0.2"),
            completed_on=date(YEAR, 8, 20),
        )


def _road_maker(value: Any) -> Maker:
    def make(world: SimpleNamespace) -> Any:
        _roads(world)
        return value

    return make


def _houses(world: SimpleNamespace) -> None:
    rows = [
        ("141102-001-00001", False, "not_required"),
        ("141102-001-00002", True, "appraised"),
        ("141102-001-00003", True, "appraised"),
    ]
    for code, business, appraisal in rows:
        SelfBuiltHouse.objects.create(
            year=YEAR,
            month=4,
            code=code,
            township="滨河街道",
            village="滨河社区",
            address="滨河北路1号",
            floors=3,
            is_business=business,
            inspected_on=date(YEAR, 4, 2),
            hazard="none",
            appraisal=appraisal,
            appraised_on=date(YEAR, 5, 2) if appraisal == "appraised" else None,
        )


def _houses_inspected(world: SimpleNamespace) -> int:
    _houses(world)
    return 3


def _houses_appraised(world: SimpleNamespace) -> Decimal:
    _houses(world)
    SelfBuiltHouse.objects.create(
        year=YEAR,
        month=6,
        code="141102-001-00004",
        township="滨河街道",
        village="滨河社区",
        address="滨河北路4号",
        floors=2,
        is_business=True,
        inspected_on=date(YEAR, 6, 2),
        hazard="suspected",
        appraisal="pending",
    )
    return Decimal(2) / Decimal(3)


def _parks(world: SimpleNamespace) -> int:
    Park.objects.create(year=YEAR, name="滨河游园", kind="street_park", area_m2=3000, completed_on=date(YEAR, 7, 1))
    Park.objects.create(year=YEAR, name="凤山公园", kind="park", area_m2=90000, completed_on=date(YEAR, 7, 1))
    Park.objects.create(year=YEAR, name="未完工游园", kind="street_park", area_m2=1000)
    return 1


def _packages(world: SimpleNamespace) -> int:
    """Two packages published before the year's end, one published after it (not counted)."""
    for code, published_at in (("PKG-A", at(YEAR - 1)), ("PKG-B", at(YEAR, 3)), ("PKG-C", at(YEAR + 1))):
        package = Package.objects.create(code=code, name=code, life_event="birth", lead_unit=world.district.dept_a)
        version = PackageVersion.objects.create(
            package=package,
            version=1,
            name=code,
            life_event="birth",
            lead_unit=world.district.dept_a,
            is_published=True,
        )
        PackageVersion.objects.filter(pk=version.pk).update(created_at=published_at)
        package.current_version = version
        package.save(update_fields=["current_version"])
    return 2


def _construction_flow(world: SimpleNamespace) -> Any:
    unit = world.district.dept_a
    return flow_create(
        "TEST-FLOW",
        "测试流程",
        total=30,
        stages=[
            ("立项用地", 10, unit, [("141102-ZJ-0101", "用地规划许可", unit), ("141102-ZJ-0102", "工程规划许可", unit)])
        ],
    )


def _construction_approvals(world: SimpleNamespace) -> int:
    flow = _construction_flow(world)
    project_create(flow, registered_at=at(YEAR, 2))
    project_create(flow, registered_at=at(YEAR, 11))
    project_create(flow, registered_at=at(YEAR + 1, 1))  # next year's
    return 2


def _citizen_matters(world: SimpleNamespace) -> int:
    """Work orders (one merged into another: not counted), an application on its own, and a package application
    whose two parts are applications too (the package counts once)."""
    people, district, categories = world.people, world.district, world.categories
    for status in (OrderStatus.NEW, OrderStatus.NEW, OrderStatus.MERGED):  # MERGED registers its master too
        make_order(people, district, categories.facilities, status)
    WorkOrder.objects.update(created_at=at(YEAR, 5))
    flow = _construction_flow(world)
    project = project_create(flow, registered_at=at(YEAR, 2))
    package_application = stage_apply(project, 1, accepted_at=at(YEAR, 3), due_at=at(YEAR, 4))
    for mv in flow.matters[1]:
        part_add(package_application, mv, accepted_at=at(YEAR, 3), due_at=at(YEAR, 4))
    mv = flow.matters[1][0]
    Application.objects.create(
        kind="application",
        number="BJREVIEW0001",
        status="handling",
        title=mv.name,
        primary_unit=mv.unit,
        created_at=at(YEAR, 6),
        updated_at=at(YEAR, 6),
        matter=mv.matter,
        matter_version=mv,
        channel="window",
        applicant_name="张三",
        form={},
    )
    return 3 + 1 + 1  # three orders (not the merged one), the lone application, the package application


MAKERS: dict[str, Maker] = {
    **{
        code: _indicator_maker(code, value)
        for code, value in {
            "tax_fee_reduction": "89000",
            "bonds_used": "26100",
            "market_entities_net": "7036",
            "new_above_scale": "5",
            "little_giants": "1",
            "specialized_new": "2",
            "listing_reserve": "6",
            "shareholding_listed": "3",
            "coal_output": "1208.34",
            "gdp": "250.2",
            "industrial_value_added": "106.4",
            "retail_sales": "76.4",
            "fixed_asset_investment": "51.4",
            "urban_income": "41840",
            "rural_income": "17552",
            "budget_revenue": "31.65",
            "farmland_built": "10000",
            "grain_output": "2.65",
            "pigs_stock": "5.02",
            "pigs_slaughtered": "7.12",
            "agri_processing_sales": "3.48",
            "weak_villages_helped": "67",
            "festival_main_venues": "1",
            "festival_sub_venues": "5",
            "festival_activities": "23",
            "festival_products": "32",
            "demolition_area": "20.4",
            "land_expropriated": "201.8",
            "vaccine_doses": "105",
            "nucleic_tests": "1494.7",
            "outbreaks_handled": "4",
        }.items()
    },
    "consumer_vouchers": _vouchers,
    "voucher_spending": _voucher_spending,
    "bridging_fund": _bridging,
    "major_projects": _major_projects,
    "major_projects_investment": _major_projects_investment,
    "packages_in_service": _packages,
    "citizen_matters": _citizen_matters,
    "construction_approvals": _construction_approvals,
    "contracts_cleaned": _contract_maker(7229),
    "debts_resolved": _contract_maker(Decimal("4500")),
    "funds_recovered": _contract_maker(Decimal("11400")),
    "assets_recovered": _contract_maker(Decimal("55000")),
    "toilets_completed": _toilets,
    "roads_upgraded_km": _road_maker(Decimal("66")),
    "roads_flood_repaired": _road_maker(3),
    "houses_inspected": _houses_inspected,
    "business_houses_appraised_rate": _houses_appraised,
    "street_parks_built": _parks,
}
