"""Every kind's cleaning: a good row of each kind passes; types, ranges, choices, required columns, duplicates and the
cross-field rules are refused with the row and the column named."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from django.utils import translation

from govdesk.common.errors import NotFound
from govdesk.ledgers.kinds import LEDGER_KINDS, ledger_kind_get
from govdesk.ledgers.services import ledger_rows_clean, ledger_rows_write

from .core_fixtures import make_definitions, project

pytestmark = pytest.mark.django_db

YEAR = 2022


@pytest.fixture
def definitions(db: Any, district: SimpleNamespace) -> SimpleNamespace:
    defs = make_definitions(district)
    ledger_rows_write(kind="projects", rows=[project()], actor=None, source="admin", year=YEAR)
    return defs


# One good row per kind, keyed by header (as an xlsx gives it) or by field (as a form gives it).
GOOD: dict[str, dict[str, Any]] = {
    "projects": {
        "项目名称": "晋西北产业园区",
        "项目类别": "产业项目",
        "责任单位": "LS-ZJ",
        "总投资（万元）": 5000,
        "年度计划投资（万元）": "1,200.5",
        "年度完成投资（万元）": 800.25,
        "开工日期": dt.datetime(2022, 3, 1),
        "项目状态": "completed",
        "建成投产日期": "2022/11/30",
        "是否重点项目": "是",
    },
    "project_progress": {"project": "交口煤业", "month": "5", "month_completed": "20", "percent_complete": "35.5"},
    "indicators": {"指标代码": "t_gdp", "月份": 6, "数值": "120.1234", "上年同期": "110", "全市排名": 3},
    "houses": {
        "code": "141102-001-00001",
        "township": "滨河街道",
        "village": "东村",
        "address": "东村1号",
        "floors": 3,
        "is_business": True,
        "inspected_on": "2022-05-10",
        "hazard": "suspected",
        "appraisal": "appraised",
        "appraised_on": "2022-06-01",
    },
    "contracts": {
        "month": 4,
        "township": "滨河街道",
        "village": "东村",
        "contracts_cleaned": 12,
        "debts_resolved": "3.5",
        "funds_recovered": "0",
        "assets_recovered": "",
    },
    "toilets": {"月份": 4, "乡镇（街道）": "滨河街道", "村（社区）": "东村", "计划（座）": 10, "完成（座）": 10},
    "roads": {
        "name": "滨河路",
        "kind": "upgrade",
        "length_km": "3.25",
        "started_on": "2022-04-01",
        "completed_on": "2022-09-30",
        "investment": 300,
    },
    "parks": {"name": "永宁游园", "kind": "street_park", "area_m2": 5000, "completed_on": "2022-08-01"},
    "programmes": {"资金项目代码": "测试消费券", "月份": 2, "发放金额（万元）": "100", "带动消费（万元）": "3000"},
}


def _clean(kind: str, *rows: dict[str, Any], month: int | None = None) -> Any:
    with translation.override("en"):
        return ledger_rows_clean(kind, list(rows), year=YEAR, month=month)


def _problems(result: Any) -> list[tuple[int, str]]:
    return [(error.row, error.field) for error in result.errors]


def test_every_kind_has_a_good_sample_and_unique_headers() -> None:
    assert list(LEDGER_KINDS) == [
        "projects",
        "project_progress",
        "indicators",
        "houses",
        "contracts",
        "toilets",
        "roads",
        "parks",
        "programmes",
    ]
    assert set(GOOD) == set(LEDGER_KINDS)
    for kind in LEDGER_KINDS.values():
        assert len(set(kind.headers)) == len(kind.headers), kind.code


def test_the_projects_template_has_the_contract_headers() -> None:
    headers = ledger_kind_get("projects").headers
    assert "项目名称" in headers and "总投资（万元）" in headers
    assert ledger_kind_get("project_progress").headers == [
        "项目名称",
        "月份",
        "当月完成投资（万元）",
        "形象进度（%）",
        "进展情况",
    ]


def test_unknown_kind() -> None:
    with pytest.raises(NotFound):
        ledger_kind_get("salaries")


@pytest.mark.parametrize("kind", list(GOOD))
def test_a_good_row_of_every_kind_is_clean(kind: str, definitions: SimpleNamespace) -> None:
    result = _clean(kind, GOOD[kind])
    assert result.errors == []
    [row] = result.rows
    assert row["year"] == YEAR


def test_values_are_coerced(definitions: SimpleNamespace, district: SimpleNamespace) -> None:
    [row] = _clean("projects", GOOD["projects"]).rows
    assert row["category"] == "industry" and row["status"] == "completed"
    assert row["owner_unit"] == district.dept_a
    assert row["annual_planned"] == Decimal("1200.5") and row["annual_completed"] == Decimal("800.25")
    assert row["start_date"] == dt.date(2022, 3, 1) and row["completed_on"] == dt.date(2022, 11, 30)
    assert row["is_key"] is True and row["note"] == "" and row["completion_date"] is None
    [house] = _clean("houses", GOOD["houses"]).rows
    assert house["month"] == 5  # the inspection's month
    [road] = _clean("roads", GOOD["roads"]).rows
    assert road["month"] == 9
    [indicator] = _clean("indicators", GOOD["indicators"]).rows
    assert indicator["indicator"] == definitions.monthly_latest and indicator["value"] == Decimal("120.1234")
    [programme] = _clean("programmes", GOOD["programmes"]).rows  # named by its name instead of its code
    assert programme["programme"] == definitions.vouchers
    [contract] = _clean("contracts", GOOD["contracts"]).rows
    assert contract["assets_recovered"] == 0


@pytest.mark.parametrize(
    ("kind", "column", "value", "problem"),
    [
        ("toilets", "计划（座）", "十", "enter a whole number."),
        ("toilets", "计划（座）", 2.5, "enter a whole number."),
        ("toilets", "计划（座）", True, "enter a whole number."),
        ("toilets", "完成（座）", -1, "cannot be less than 0."),
        ("projects", "总投资（万元）", "many", "enter a number."),
        ("projects", "总投资（万元）", "1.234", "keep at most 2 decimal places."),
        ("projects", "总投资（万元）", "-5", "cannot be less than 0."),
        ("projects", "开工日期", "March 2022", "enter a date like 2022-03-15."),
        ("projects", "是否重点项目", "maybe", "enter 是 or 否."),
        ("projects", "项目类别", "mining", "choose one of"),
        ("projects", "责任单位", "LS-NOPE", "there is no unit"),
        ("projects", "项目名称", "x" * 201, "at most 200 characters."),
        ("houses", "floors", 31, "cannot be more than 30."),
        ("houses", "floors", 0, "cannot be less than 1."),
        ("indicators", "数值", "1.23456", "keep at most 4 decimal places."),
        ("indicators", "指标代码", "no_such", "there is no indicator"),
        ("indicators", "月份", 13, "enter a month from 0 to 12."),
        ("programmes", "资金项目代码", "no_such", "there is no programme"),
        ("project_progress", "project", "不存在的项目", "there is no major project"),
        ("project_progress", "percent_complete", "101", "cannot be more than 100."),
    ],
)
def test_bad_values_are_refused_naming_the_column(
    kind: str, column: str, value: Any, problem: str, definitions: SimpleNamespace
) -> None:
    ledger = ledger_kind_get(kind)
    field = next(c.field for c in ledger.columns if column in (c.header, c.field))
    result = _clean(kind, GOOD[kind], {**GOOD[kind], column: value})
    assert _problems(result) == [(2, field)]
    error = result.errors[0]
    assert error.problem.startswith(problem)
    assert error.header == ledger.column(field).header
    assert error.message.startswith(f"Row 2, “{error.header}”:")


@pytest.mark.parametrize("kind", list(GOOD))
def test_required_columns(kind: str, definitions: SimpleNamespace) -> None:
    ledger = ledger_kind_get(kind)
    required = [c for c in ledger.columns if c.required]
    assert required, kind
    for column in required:
        row = {k: v for k, v in GOOD[kind].items() if k not in (column.field, column.header)}
        result = _clean(kind, row)
        assert (1, column.field) in _problems(result), (kind, column.field)
        blank = _clean(kind, {**row, column.header: "   "})
        assert (1, column.field) in _problems(blank), (kind, column.field)


def test_month_comes_from_the_template_period(definitions: SimpleNamespace) -> None:
    row = {k: v for k, v in GOOD["toilets"].items() if k != "月份"}
    assert _problems(_clean("toilets", row)) == [(1, "month")]  # no period and no month: required
    assert _clean("toilets", row, month=7).rows[0]["month"] == 7
    assert _problems(_clean("toilets", GOOD["toilets"], month=7)) == [(1, "month")]  # a row of April in July
    # An indicator without a month is its annual value.
    annual = {k: v for k, v in GOOD["indicators"].items() if k != "月份"}
    assert _clean("indicators", annual).rows[0]["month"] == 0


def test_duplicates_within_the_batch(definitions: SimpleNamespace) -> None:
    result = _clean("toilets", GOOD["toilets"], {**GOOD["toilets"], "村（社区）": "西村"}, GOOD["toilets"])
    assert _problems(result) == [(3, "township")]
    assert "repeats row 1" in result.errors[0].problem
    result = _clean("roads", GOOD["roads"], {**GOOD["roads"], "kind": "flood_repair"}, GOOD["roads"])
    assert _problems(result) == [(3, "name")]
    result = _clean("project_progress", GOOD["project_progress"], GOOD["project_progress"])
    assert _problems(result) == [(2, "project")]


def test_completed_project_needs_completed_on(definitions: SimpleNamespace) -> None:
    row = {**GOOD["projects"], "建成投产日期": None}
    assert _problems(_clean("projects", row)) == [(1, "completed_on")]
    assert _clean("projects", {**row, "项目状态": "在建"}).errors == []


def test_project_annual_completed_not_above_total(definitions: SimpleNamespace) -> None:
    row = {**GOOD["projects"], "年度完成投资（万元）": 5000.01}
    assert _problems(_clean("projects", row)) == [(1, "annual_completed")]


def test_toilets_completed_not_above_planned(definitions: SimpleNamespace) -> None:
    assert _problems(_clean("toilets", {**GOOD["toilets"], "完成（座）": 11})) == [(1, "completed")]


def test_business_house_is_never_without_appraisal(definitions: SimpleNamespace) -> None:
    row = {**GOOD["houses"], "appraisal": "not_required", "appraised_on": None}
    assert _problems(_clean("houses", row)) == [(1, "appraisal")]
    assert _clean("houses", {**row, "is_business": "否"}).errors == []


def test_appraised_house_needs_a_date_not_before_inspection(definitions: SimpleNamespace) -> None:
    assert _problems(_clean("houses", {**GOOD["houses"], "appraised_on": None})) == [(1, "appraised_on")]
    assert _problems(_clean("houses", {**GOOD["houses"], "appraised_on": "2022-05-09"})) == [(1, "appraised_on")]


def test_house_inspected_outside_the_period(definitions: SimpleNamespace) -> None:
    assert _problems(_clean("houses", {**GOOD["houses"], "inspected_on": "2021-12-31"})) == [(1, "inspected_on")]
    assert _problems(_clean("houses", GOOD["houses"], month=6)) == [(1, "inspected_on")]
    assert _clean("houses", GOOD["houses"], month=5).errors == []


def test_road_completed_before_started(definitions: SimpleNamespace) -> None:
    assert _problems(_clean("roads", {**GOOD["roads"], "completed_on": "2022-03-01"})) == [(1, "completed_on")]
    # Completed in another year: counted in no month of this one.
    assert _clean("roads", {**GOOD["roads"], "completed_on": "2023-01-05"}).rows[0]["month"] == 0


def test_choice_by_chinese_label(definitions: SimpleNamespace) -> None:
    with translation.override("zh-hans"):
        label = str(dict(ledger_kind_get("parks").column("kind").choices)["street_park"])
    [row] = _clean("parks", {**GOOD["parks"], "kind": label}).rows
    assert row["kind"] == "street_park"
