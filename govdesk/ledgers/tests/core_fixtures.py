"""Definitions and row builders of the ledgers core tests."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from govdesk.ledgers.models import (
    Indicator,
    IndicatorAggregation,
    IndicatorCategory,
    IndicatorFrequency,
    Programme,
    ProgrammeKind,
)


def make_definitions(district: SimpleNamespace) -> SimpleNamespace:
    """Definitions of our own (codes the shipped catalogue does not use), so the tests do not lean on its data."""
    monthly_sum = Indicator.objects.create(
        code="t_coal",
        name="测试煤炭产量",
        measure="万吨",
        frequency=IndicatorFrequency.MONTHLY,
        aggregation=IndicatorAggregation.SUM,
        category=IndicatorCategory.ECONOMY,
    )
    monthly_latest = Indicator.objects.create(
        code="t_gdp",
        name="测试地区生产总值",
        measure="亿元",
        frequency=IndicatorFrequency.MONTHLY,
        aggregation=IndicatorAggregation.LATEST,
        category=IndicatorCategory.ECONOMY,
    )
    vouchers = Programme.objects.create(
        code="t_vouchers", name="测试消费券", kind=ProgrammeKind.CONSUMER_VOUCHER, unit=district.dept_a
    )
    return SimpleNamespace(monthly_sum=monthly_sum, monthly_latest=monthly_latest, vouchers=vouchers)


def toilet(
    month: int | None = 3, township: str = "滨河街道", village: str = "东村", planned: Any = 10, completed: Any = 4
) -> dict[str, Any]:
    row: dict[str, Any] = {"township": township, "village": village, "planned": planned, "completed": completed}
    if month is not None:
        row["month"] = month
    return row


def project(name: str = "交口煤业", **fields: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "name": name,
        "category": "industry",
        "total_investment": Decimal("1000"),
        "annual_planned": Decimal("300"),
        "status": "under_construction",
    }
    row.update(fields)
    return row
