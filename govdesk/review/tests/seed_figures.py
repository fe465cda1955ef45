"""The seed's 2022 figures (the design's table) as Figure values, for tests that render without records."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from govdesk.review.figures import FIGURES, Figure

YEAR = 2022

# code → value, or (value, last year's value[, rank in the city, rank in the province])
SEED: dict[str, Any] = {
    "tax_fee_reduction": 89000,
    "bonds_used": 26100,
    "market_entities_net": 7036,
    "new_above_scale": 5,
    "little_giants": 1,
    "specialized_new": 2,
    "listing_reserve": 6,
    "shareholding_listed": 3,
    "consumer_vouchers": 1087,
    "voucher_spending": 30100,
    "coal_output": Decimal("1208.34"),
    "gdp": Decimal("250.2"),
    "industrial_value_added": (Decimal("106.4"), Decimal("100")),
    "retail_sales": Decimal("76.4"),
    "fixed_asset_investment": Decimal("51.4"),
    "urban_income": (41840, 39886),
    "rural_income": (17552, 16481),
    "budget_revenue": (Decimal("31.65"), Decimal("17.30"), 3, 9),
    "major_projects": 33,
    "major_projects_investment": 684300,
    "packages_in_service": 100,
    "citizen_matters": 47950,
    "construction_approvals": 43,
    "contracts_cleaned": 7229,
    "debts_resolved": 4500,
    "funds_recovered": 11400,
    "assets_recovered": 55000,
    "bridging_fund": 5210,
    "farmland_built": 10000,
    "grain_output": Decimal("2.65"),
    "pigs_stock": Decimal("5.02"),
    "pigs_slaughtered": Decimal("7.12"),
    "agri_processing_sales": Decimal("3.48"),
    "toilets_completed": 1000,
    "roads_upgraded_km": 66,
    "roads_flood_repaired": 21,
    "weak_villages_helped": 67,
    "festival_main_venues": 1,
    "festival_sub_venues": 5,
    "festival_activities": 23,
    "festival_products": 32,
    "demolition_area": Decimal("20.4"),
    "land_expropriated": Decimal("201.8"),
    "houses_inspected": 36852,
    "business_houses_appraised_rate": 1,
    "street_parks_built": 13,
    "vaccine_doses": 105,
    "nucleic_tests": Decimal("1494.7"),
    "outbreaks_handled": 4,
}


def seed_figure(code: str, year: int) -> Figure:
    entry = SEED[code]
    value, last_year, rank_city, rank_province = (
        (*entry, None, None)[:4]
        if isinstance(entry, tuple)
        else (
            entry,
            None,
            None,
            None,
        )
    )
    definition = FIGURES[code]
    return Figure(
        code=code,
        label=str(definition.label),
        year=year,
        value=value,
        measure=definition.measure,
        last_year=last_year,
        source=str(definition.source),
        rank_city=rank_city,
        rank_province=rank_province,
    )
