"""Every figure is a function of its records: parametrized over the registry, each figure reads what its records
say, changes when they change, and counts nothing of another year or a void row."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.utils import translation

from govdesk.ledgers.models import ContractCleanup, IndicatorValue, ToiletRenovation
from govdesk.review.figures import FIGURES, UnknownFigure, figure_get, figures_for_year, packages_in_service
from govdesk.review.numbers import decimal_text

from .records import MAKERS, YEAR, at, indicator_value

pytestmark = pytest.mark.django_db


def test_every_code_of_the_design_has_a_figure_and_a_test() -> None:
    assert set(MAKERS) == set(FIGURES)
    assert len(FIGURES) == 49


@pytest.mark.parametrize("code", list(FIGURES))
def test_each_figure_changes_when_its_records_change(code: str, world: SimpleNamespace) -> None:
    before = figure_get(code, YEAR)
    expected = MAKERS[code](world)
    after = figure_get(code, YEAR)
    assert after.value != before.value
    assert after.value == expected
    # Nothing of another year is counted (a package published the year before served that year too).
    assert figure_get(code, YEAR - 1).value in ((1,) if code == "packages_in_service" else (None, 0))
    # The drill-down names the records it stands on.
    assert after.records().count() > 0 or after.counts()


def test_a_void_ledger_row_no_longer_counts(world: SimpleNamespace) -> None:
    MAKERS["toilets_completed"](world)
    ToiletRenovation.objects.filter(village="东村").update(is_void=True)
    assert figure_get("toilets_completed", YEAR).value == 400


def test_a_change_of_a_row_moves_the_sum(world: SimpleNamespace) -> None:
    MAKERS["contracts_cleaned"](world)
    ContractCleanup.objects.filter(village="东村").update(contracts_cleaned=4001)
    assert figure_get("contracts_cleaned", YEAR).value == 7230


def test_an_indicator_brings_last_year_ranks_and_change() -> None:
    indicator_value("budget_revenue", "31.65", month=12, last_year="17.30", rank_city=3, rank_province=9)
    figure = figure_get("budget_revenue", YEAR)
    assert figure.value == Decimal("31.65")
    assert figure.last_year == Decimal("17.30")
    assert (figure.rank_city, figure.rank_province) == (3, 9)
    assert figure.measure == "亿元"
    assert figure.yoy is not None and decimal_text(figure.yoy * 100, places=1) == "82.9"


def test_without_a_reported_same_period_last_year_is_last_years_value() -> None:
    indicator_value("gdp", "230.1", year=YEAR - 1)
    indicator_value("gdp", "250.2")
    figure = figure_get("gdp", YEAR)
    assert figure.last_year == Decimal("230.1")


def test_a_monthly_cumulative_indicator_takes_its_latest_month() -> None:
    for month, value in ((3, "60.1"), (6, "120.5"), (12, "250.2")):
        indicator_value("gdp", value, month=month)
    figure = figure_get("gdp", YEAR)
    assert figure.value == Decimal("250.2")
    rows = list(figure.records())
    assert len(rows) == 1 and rows[0].url == f"/ledgers/indicators/{IndicatorValue.objects.get(month=12).pk}/"


def test_ledger_figures_drill_down_to_the_ledger_rows(world: SimpleNamespace) -> None:
    MAKERS["toilets_completed"](world)
    records = list(figure_get("toilets_completed", YEAR).records())
    pks = sorted(ToiletRenovation.objects.values_list("pk", flat=True))
    assert sorted(int(r.url.rstrip("/").rsplit("/", 1)[1]) for r in records) == pks
    assert all(r.url.startswith("/ledgers/toilets/") for r in records)
    assert {r.amount for r in records} == {"600座", "400座"}


def test_citizen_matters_counts_per_kind(world: SimpleNamespace) -> None:
    MAKERS["citizen_matters"](world)
    with translation.override("en"):
        counts = {c.label: c.count for c in figure_get("citizen_matters", YEAR).counts()}
    assert counts == {"Hotline work orders": 3, "Applications (not part of a package)": 1, "Package applications": 1}


def test_a_package_withdrawn_before_the_year_is_not_in_service(world: SimpleNamespace) -> None:
    from govdesk.audit.services import audit_append
    from govdesk.packages.models import Package

    MAKERS["packages_in_service"](world)
    Package.objects.filter(code__in=["PKG-A", "PKG-B"]).update(is_active=False)
    assert packages_in_service(YEAR).count() == 0
    # PKG-B withdrawn during the year (its audit event): it served part of the year.
    from govdesk.audit.models import AuditEvent

    event = audit_append(action="package.deactivate", object_type="package", object_id="PKG-B")
    AuditEvent.objects.filter(pk=event.pk).update(occurred_at=at(YEAR, 10))
    assert list(packages_in_service(YEAR).values_list("code", flat=True)) == ["PKG-B"]
    assert list(packages_in_service(YEAR + 1).values_list("code", flat=True)) == ["PKG-C"]


def test_an_unknown_code_is_refused() -> None:
    with pytest.raises(UnknownFigure):
        figure_get("no_such_figure", YEAR)


def test_figures_for_year_keeps_the_registry_order() -> None:
    assert list(figures_for_year(YEAR, ["gdp", "tax_fee_reduction"])) == ["tax_fee_reduction", "gdp"]


def test_the_shipped_indicator_catalogue_has_the_measures_the_review_writes() -> None:
    """The report writes an indicator with its catalogue measure (户, 万吨, 亿元 ...): the shipped catalogue must
    hold every indicator figure with the measure of the design's table."""
    import json
    from pathlib import Path

    import govdesk.ledgers

    path = Path(govdesk.ledgers.__file__).parent / "data" / "indicators.json"
    if not path.exists():
        pytest.skip("the ledgers' indicator catalogue is not shipped yet")
    data = json.loads(path.read_text(encoding="utf-8"))
    entries = data if isinstance(data, list) else data.get("indicators", [])
    shipped = {entry["code"]: entry["measure"] for entry in entries}
    wanted = {code: FIGURES[code].measure for code in FIGURES if FIGURES[code].source == FIGURES["gdp"].source}
    assert {code: shipped.get(code) for code in wanted} == wanted
