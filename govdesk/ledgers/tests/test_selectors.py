from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest

from govdesk.common.errors import NotFound
from govdesk.ledgers.models import ToiletRenovation
from govdesk.ledgers.selectors import (
    indicator_year_value,
    ledger_row_get,
    ledger_row_versions,
    ledger_rows,
    yoy_change,
)
from govdesk.ledgers.services import ledger_row_void, ledger_rows_write

from .core_fixtures import make_definitions, toilet

pytestmark = pytest.mark.django_db


@pytest.fixture
def definitions(db: Any, district: SimpleNamespace) -> SimpleNamespace:
    return make_definitions(district)


@pytest.fixture
def toilets(district: SimpleNamespace, people: SimpleNamespace) -> SimpleNamespace:
    def write(unit: Any, village: str, month: int = 3) -> Any:
        ledger_rows_write(
            kind="toilets",
            rows=[toilet(month=month, village=village)],
            actor=None,
            source="demo",
            year=2022,
            month=month,
            unit=unit,
        )
        return ToiletRenovation.objects.get(village=village, month=month)

    return SimpleNamespace(
        street=write(district.street, "东村"),
        community=write(district.community, "滨河社区"),
        department=write(district.dept_a, "西村"),
        office=write(None, "北村"),
        april=write(district.street, "东村", month=4),
    )


def _villages(queryset: Any) -> set[str]:
    return {row.village for row in queryset}


def test_the_office_and_leaders_read_every_row(people: SimpleNamespace, toilets: SimpleNamespace) -> None:
    everything = {"东村", "滨河社区", "西村", "北村"}
    for viewer in (people.supervisor, people.leader, people.sysadmin):
        assert _villages(ledger_rows("toilets", year=2022, viewer=viewer)) == everything
    assert _villages(ledger_rows("toilets", year=2022)) == everything  # internal reads


def test_a_units_user_reads_only_their_units_rows(people: SimpleNamespace, toilets: SimpleNamespace) -> None:
    assert _villages(ledger_rows("toilets", year=2022, viewer=people.street_handler)) == {"东村"}
    assert _villages(ledger_rows("toilets", year=2022, viewer=people.handler_a)) == {"西村"}
    # A unit administrator answers for the units below it.
    assert _villages(ledger_rows("toilets", year=2022, viewer=people.street_admin)) == {"东村", "滨河社区"}
    for outsider in (people.citizen, people.operator, people.auditor):
        assert not ledger_rows("toilets", year=2022, viewer=outsider).exists()


def test_rows_by_period_and_unit(district: SimpleNamespace, toilets: SimpleNamespace) -> None:
    assert ledger_rows("toilets", year=2022, month=3).count() == 4
    assert list(ledger_rows("toilets", year=2022, month=4)) == [toilets.april]
    assert ledger_rows("toilets", year=2021).count() == 0
    assert _villages(ledger_rows("toilets", unit=district.street, month=3)) == {"东村"}


def test_void_rows_are_left_out_of_lists_but_reachable(people: SimpleNamespace, toilets: SimpleNamespace) -> None:
    ledger_row_void(kind="toilets", row_id=toilets.office.pk, actor=people.supervisor, reason="重复")
    assert "北村" not in _villages(ledger_rows("toilets", year=2022))
    assert ledger_row_get("toilets", toilets.office.pk, people.supervisor).is_void
    assert [v.version for v in ledger_row_versions("toilets", toilets.office.pk)] == [1, 2]


def test_row_get_is_not_found_outside_the_viewers_reach(people: SimpleNamespace, toilets: SimpleNamespace) -> None:
    assert ledger_row_get("toilets", toilets.street.pk, people.street_handler) == toilets.street
    assert ledger_row_get("toilets", str(toilets.department.pk), people.leader) == toilets.department
    for viewer, row in (
        (people.street_handler, toilets.department),
        (people.handler_b, toilets.street),
        (people.street_handler, toilets.office),
        (people.citizen, toilets.street),
    ):
        with pytest.raises(NotFound):
            ledger_row_get("toilets", row.pk, viewer)
    with pytest.raises(NotFound):
        ledger_row_get("toilets", "abc", people.supervisor)
    with pytest.raises(NotFound):
        ledger_row_get("toilets", toilets.street.pk + 1000, people.supervisor)


def _indicator(code: str, rows: list[dict[str, Any]], year: int = 2022) -> None:
    ledger_rows_write(
        kind="indicators",
        rows=[{"indicator": code, **row} for row in rows],
        actor=None,
        source="demo",
        year=year,
    )


def test_indicator_sum_adds_the_months(definitions: SimpleNamespace) -> None:
    _indicator(
        "t_coal",
        [
            {"month": 1, "value": "100.5", "last_year_value": "90"},
            {"month": 2, "value": "99.5", "last_year_value": "110", "rank_city": 2},
        ],
    )
    figure = indicator_year_value("t_coal", 2022)
    assert figure is not None
    assert figure.value == Decimal("200.0") and figure.last_year_value == Decimal("200")
    assert figure.month == 2 and figure.rank_city == 2 and figure.measure == "万吨"
    assert len(figure.row_ids) == 2
    assert figure.yoy_change == Decimal(0)


def test_indicator_sum_without_every_months_last_year_has_no_yoy(definitions: SimpleNamespace) -> None:
    _indicator("t_coal", [{"month": 1, "value": "1", "last_year_value": "1"}, {"month": 2, "value": "1"}])
    figure = indicator_year_value("t_coal", 2022)
    assert figure is not None and figure.last_year_value is None and figure.yoy_change is None


def test_indicator_latest_takes_the_latest_month(definitions: SimpleNamespace) -> None:
    _indicator(
        "t_gdp",
        [
            {"month": 11, "value": "230", "last_year_value": "215"},
            {"month": 12, "value": "250.2", "last_year_value": "240", "rank_city": 3, "rank_province": 9},
            {"month": 6, "value": "120"},
        ],
    )
    figure = indicator_year_value("t_gdp", 2022)
    assert figure is not None
    assert figure.value == Decimal("250.2") and figure.month == 12
    assert (figure.rank_city, figure.rank_province) == (3, 9)
    assert figure.yoy_change == Decimal("250.2") / Decimal("240") - 1
    assert len(figure.row_ids) == 1


@pytest.mark.parametrize("code", ["t_coal", "t_gdp"])
def test_indicator_annual_row_wins(code: str, definitions: SimpleNamespace) -> None:
    _indicator(
        code,
        [
            {"month": 1, "value": "10"},
            {"month": 2, "value": "20"},
            {"month": 0, "value": "106.4", "last_year_value": "100"},
        ],
    )
    figure = indicator_year_value(code, 2022)
    assert figure is not None
    assert figure.value == Decimal("106.4") and figure.month == 0
    assert figure.yoy_change == Decimal("0.064")


def test_indicator_without_values_or_unknown(definitions: SimpleNamespace, people: SimpleNamespace) -> None:
    _indicator("t_gdp", [{"month": 12, "value": "1"}], year=2021)
    assert indicator_year_value("t_gdp", 2022) is None
    assert indicator_year_value("no_such_code", 2022) is None
    # A void value stops counting.
    _indicator("t_coal", [{"month": 1, "value": "5"}, {"month": 2, "value": "7"}])
    figure = indicator_year_value("t_coal", 2022)
    assert figure is not None
    ledger_row_void(kind="indicators", row_id=figure.row_ids[0], actor=people.supervisor, reason="错报")
    figure = indicator_year_value("t_coal", 2022)
    assert figure is not None and figure.value == Decimal("7")


def test_yoy_change() -> None:
    assert yoy_change(Decimal("31.65"), Decimal("17.30")).quantize(Decimal("0.001")) == Decimal("0.829")  # type: ignore[union-attr]
    assert yoy_change(Decimal(1), Decimal(0)) is None
    assert yoy_change(None, Decimal(1)) is None
