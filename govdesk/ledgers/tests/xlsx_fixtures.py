"""Rows of every ledger kind for the xlsx, command and page tests: written through the service, as reports and
imports write them, for the year 2022 (and two units: the street reports toilets, the office imports the rest)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from govdesk.ledgers.models import (
    Indicator,
    IndicatorAggregation,
    IndicatorCategory,
    IndicatorFrequency,
    Programme,
    ProgrammeKind,
)
from govdesk.ledgers.services import ledger_rows_write

YEAR = 2022

SAMPLES: dict[str, list[dict[str, Any]]] = {
    "projects": [
        {
            "name": "交口煤业技改",
            "category": "industry",
            "owner_unit": "LS-ZJ",
            "total_investment": "12000.50",
            "annual_planned": "3000",
            "annual_completed": "0",
            "start_date": "2022-02-01",
            "completion_date": "2023-12-31",
            "status": "under_construction",
            "is_key": True,
            # Formula-like text must come back as text, never as a formula.
            "note": "=SUM(A1:A2) 不是公式",
        },
        {
            "name": "滨河公园提升",
            "category": "urban",
            "total_investment": "800",
            "annual_planned": "800",
            "annual_completed": "800",
            "start_date": "2022-03-01",
            "status": "completed",
            "completed_on": "2022-10-01",
            "is_key": False,
        },
    ],
    "indicators": [
        {"indicator": "x_gdp", "month": 0, "value": "250.2", "last_year_value": "236.5", "rank_city": 3},
        {"indicator": "x_gdp", "month": 3, "value": "60.1234", "target": "65"},
    ],
    "houses": [
        {
            "code": "141102-001-00001",
            "township": "滨河街道",
            "village": "东村",
            "address": "东村1号",
            "floors": 3,
            "is_business": True,
            "inspected_on": "2022-03-05",
            "hazard": "suspected",
            "appraisal": "appraised",
            "appraised_on": "2022-03-20",
        },
        {
            "code": "141102-001-00002",
            "township": "滨河街道",
            "village": "西村",
            "address": "西村8号",
            "floors": 2,
            "is_business": False,
            "inspected_on": "2022-03-06",
            "hazard": "none",
            "appraisal": "not_required",
        },
    ],
    "contracts": [
        {
            "month": 3,
            "township": "滨河街道",
            "village": "东村",
            "contracts_cleaned": 12,
            "debts_resolved": "3.5",
            "funds_recovered": "1.25",
            "assets_recovered": "10",
        },
        {
            "month": 3,
            "township": "滨河街道",
            "village": "西村",
            "contracts_cleaned": 7,
            "debts_resolved": "0",
            "funds_recovered": "0.75",
            "assets_recovered": "2",
        },
    ],
    "toilets": [
        {"month": 3, "township": "滨河街道", "village": "东村", "planned": 10, "completed": 4},
        {"month": 3, "township": "滨河街道", "village": "西村", "planned": 8, "completed": 8},
        {"month": 4, "township": "滨河街道", "village": "东村", "planned": 10, "completed": 6},
    ],
    "roads": [
        {
            "name": "滨河北路",
            "township": "滨河街道",
            "kind": "upgrade",
            "length_km": "3.25",
            "started_on": "2022-04-01",
            "completed_on": "2022-06-30",
            "investment": "560",
        },
        {"name": "永宁路", "kind": "flood_repair", "length_km": "0.4", "investment": "35.5"},
    ],
    "parks": [
        {
            "name": "凤山街头游园",
            "location": "凤山路口",
            "kind": "street_park",
            "area_m2": 3200,
            "completed_on": "2022-09-15",
            "investment": "120",
        },
    ],
    "programmes": [
        {"programme": "x_vouchers", "month": 1, "amount": "300", "spending_driven": "9000", "beneficiaries": 12000},
        {"programme": "x_vouchers", "month": 2, "amount": "200.5"},
    ],
}
# Written after the projects: the progress names its project; its sum becomes the project's annual_completed.
PROGRESS = [
    {
        "project": "交口煤业技改",
        "month": 3,
        "month_completed": "1000",
        "percent_complete": "20",
        "progress_note": "主体施工",
    },
    {"project": "交口煤业技改", "month": 4, "month_completed": "1500.25", "percent_complete": "35.5"},
]


@pytest.fixture
def sample_definitions(db: Any, district: SimpleNamespace) -> SimpleNamespace:
    gdp = Indicator.objects.create(
        code="x_gdp",
        name="地区生产总值（测试）",
        measure="亿元",
        frequency=IndicatorFrequency.MONTHLY,
        aggregation=IndicatorAggregation.LATEST,
        category=IndicatorCategory.ECONOMY,
    )
    vouchers = Programme.objects.create(
        code="x_vouchers", name="消费券（测试）", kind=ProgrammeKind.CONSUMER_VOUCHER, unit=district.dept_a
    )
    return SimpleNamespace(gdp=gdp, vouchers=vouchers)


@pytest.fixture
def ledger_rows_2022(sample_definitions: SimpleNamespace, district: SimpleNamespace) -> SimpleNamespace:
    """Every kind's sample rows; the toilets reported by the street, the rest imported by the office."""
    for code, rows in SAMPLES.items():
        unit = district.street if code == "toilets" else None
        ledger_rows_write(kind=code, rows=rows, actor=None, source="demo", year=YEAR, unit=unit)
    ledger_rows_write(kind="project_progress", rows=PROGRESS, actor=None, source="demo", year=YEAR)
    return SimpleNamespace(year=YEAR, **vars(sample_definitions))


ALL_KINDS = [*SAMPLES, "project_progress"]
