"""The kinds registry: each ledger's columns (the xlsx template's headers, exactly), natural key and rules.

Headers and kind labels are the ledgers' own Chinese forms (data: the templates units fill), not UI strings; the
problems found in a row are UI strings (gettext). Pure Python over cleaned rows: no queries here (the rules that need
the database, like a project's progress adding up, live in services).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import models
from django.utils.translation import gettext as _

from govdesk.common.errors import NotFound

from .models import (
    ContractCleanup,
    HouseAppraisal,
    HouseHazard,
    IndicatorValue,
    MajorProject,
    MajorProjectProgress,
    Park,
    ParkKind,
    ProgrammeDisbursement,
    ProjectCategory,
    ProjectStatus,
    RoadWork,
    RoadWorkKind,
    SelfBuiltHouse,
    ToiletRenovation,
)

ColumnType = str  # "text" | "int" | "decimal" | "date" | "bool" | "choice" | "unit" | "ref"
COLUMN_TYPES = ("text", "int", "decimal", "date", "bool", "choice", "unit", "ref")

# A row rule: (cleaned row, year, month of the batch or None) → [(field, problem)]. It may set derived fields (a
# house's month from its inspection date).
RowRule = Callable[[dict[str, Any], int, int | None], list[tuple[str, str]]]


@dataclass(frozen=True)
class Column:
    field: str
    # The xlsx header, exactly (full-width parentheses as Chinese forms write them).
    header: str
    type: ColumnType
    required: bool = False
    min: Decimal | int | None = None
    max: Decimal | int | None = None
    # For "choice": the model's TextChoices choices ((value, label), ...); a cell may hold the value or the label.
    choices: tuple[tuple[str, Any], ...] = ()
    measure: str = ""
    max_length: int | None = None
    # For "decimal": places kept; a value with more is refused (never silently rounded).
    decimal_places: int = 2
    # For "ref": what the text names: "project" (name within the year), "indicator" or "programme" (code or name).
    ref: str = ""
    # For "choice": the words the Chinese template writes for each value (data, like the headers: a sheet reads the
    # same whatever the interface language); a cell may hold the value, this word or the choice's label.
    words: tuple[tuple[str, str], ...] = ()

    def word(self, value: str) -> str:
        """The template's word for a choice value (the value itself when it has none)."""
        return dict(self.words).get(value, value)

    def __post_init__(self) -> None:
        if self.type not in COLUMN_TYPES:
            raise ValueError(f"unknown column type {self.type!r}")


@dataclass(frozen=True)
class LedgerKind:
    code: str
    label: str
    model: type[models.Model]
    columns: tuple[Column, ...]
    # The natural key: model field names (with year/month where they are part of it).
    key: tuple[str, ...]
    # Reported per month (a `month` column or a date giving the month); otherwise per year.
    monthly: bool
    # Summed in the template's 合计 row.
    total_fields: tuple[str, ...] = ()
    # Compared with the unit's previous period: a move beyond change_ratio needs the unit's note.
    change_fields: tuple[str, ...] = ()
    change_ratio: Decimal = Decimal("0.5")
    # The figure the ledger pages chart by month.
    main_field: str = ""
    rules: tuple[RowRule, ...] = field(default=())

    def column(self, name: str) -> Column:
        for column in self.columns:
            if column.field == name:
                return column
        raise KeyError(name)

    def header(self, name: str) -> str:
        """The header of a field's column; the field's name when it has no column (a derived field)."""
        try:
            return self.column(name).header
        except KeyError:
            return name

    @property
    def headers(self) -> list[str]:
        return [column.header for column in self.columns]

    @property
    def has_month_column(self) -> bool:
        return any(column.field == "month" for column in self.columns)


MONEY_MAX = Decimal("99999999999999.99")  # Decimal(16, 2)
ZERO = Decimal(0)


def _money(field_name: str, header: str, *, required: bool = False) -> Column:
    return Column(field_name, header, "decimal", required=required, min=ZERO, max=MONEY_MAX, measure="万元")


def _month(*, annual: bool = False) -> Column:
    return Column("month", "月份", "int", min=0 if annual else 1, max=12)


def _township() -> Column:
    return Column("township", "乡镇（街道）", "text", required=True, max_length=50)


def _village() -> Column:
    return Column("village", "村（社区）", "text", required=True, max_length=50)


def _choice(field_name: str, header: str, choices: type[models.TextChoices], words: dict[str, str]) -> Column:
    assert set(words) == set(choices.values), field_name  # every value has its word
    return Column(
        field_name, header, "choice", required=True, choices=tuple(choices.choices), words=tuple(words.items())
    )


# Row rules --------------------------------------------------------------------------------------------------------


def _project_rules(row: dict[str, Any], year: int, month: int | None) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    if row.get("status") == ProjectStatus.COMPLETED and row.get("completed_on") is None:
        problems.append(("completed_on", _("a completed project needs its completion date.")))
    total, completed = row.get("total_investment"), row.get("annual_completed")
    if total is not None and completed is not None and completed > total:
        problems.append(("annual_completed", _("cannot exceed the total investment.")))
    start, planned_end = row.get("start_date"), row.get("completion_date")
    if start and planned_end and planned_end < start:
        problems.append(("completion_date", _("cannot be before the start date.")))
    if start and row.get("completed_on") and row["completed_on"] < start:
        problems.append(("completed_on", _("cannot be before the start date.")))
    return problems


def _house_rules(row: dict[str, Any], year: int, month: int | None) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    inspected = row.get("inspected_on")
    if inspected is not None:
        # A house belongs to the period of its inspection.
        if inspected.year != year or (month is not None and inspected.month != month):
            period = f"{year}-{month:02d}" if month else str(year)
            problems.append(
                ("inspected_on", _("is outside the period of this ledger (%(period)s).") % {"period": period})
            )
        row["month"] = inspected.month
    if row.get("is_business") and row.get("appraisal") == HouseAppraisal.NOT_REQUIRED:
        problems.append(("appraisal", _("a house used for business always needs an appraisal.")))
    if row.get("appraisal") == HouseAppraisal.APPRAISED:
        appraised = row.get("appraised_on")
        if appraised is None:
            problems.append(("appraised_on", _("an appraised house needs its appraisal date.")))
        elif inspected is not None and appraised < inspected:
            problems.append(("appraised_on", _("cannot be before the inspection date.")))
    return problems


def _toilet_rules(row: dict[str, Any], year: int, month: int | None) -> list[tuple[str, str]]:
    planned, completed = row.get("planned"), row.get("completed")
    if planned is not None and completed is not None and completed > planned:
        return [("completed", _("cannot exceed the planned number."))]
    return []


def _road_rules(row: dict[str, Any], year: int, month: int | None) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    started, completed = row.get("started_on"), row.get("completed_on")
    if started and completed and completed < started:
        problems.append(("completed_on", _("cannot be before the start date.")))
    # The month a road was completed in the ledger's year; 0 while it is not.
    row["month"] = completed.month if completed is not None and completed.year == year else 0
    return problems


LEDGER_KINDS: dict[str, LedgerKind] = {
    kind.code: kind
    for kind in (
        LedgerKind(
            code="projects",
            label="重大项目台账",
            model=MajorProject,
            columns=(
                Column("name", "项目名称", "text", required=True, max_length=200),
                _choice(
                    "category",
                    "项目类别",
                    ProjectCategory,
                    {
                        "industry": "产业项目",
                        "infrastructure": "基础设施",
                        "social": "社会民生",
                        "rural": "乡村振兴",
                        "urban": "城市建设",
                        "other": "其他",
                    },
                ),
                Column("owner_unit", "责任单位", "unit"),
                _money("total_investment", "总投资（万元）", required=True),
                _money("annual_planned", "年度计划投资（万元）"),
                _money("annual_completed", "年度完成投资（万元）"),
                Column("start_date", "开工日期", "date"),
                Column("completion_date", "计划竣工日期", "date"),
                _choice(
                    "status",
                    "项目状态",
                    ProjectStatus,
                    {"preparing": "前期", "under_construction": "在建", "completed": "建成投产"},
                ),
                Column("completed_on", "建成投产日期", "date"),
                Column("is_key", "是否重点项目", "bool"),
                Column("note", "备注", "text", max_length=2000),
            ),
            key=("year", "name"),
            monthly=False,
            total_fields=("total_investment", "annual_planned", "annual_completed"),
            change_fields=("total_investment",),
            main_field="total_investment",
            rules=(_project_rules,),
        ),
        LedgerKind(
            code="project_progress",
            label="重大项目月度进展",
            model=MajorProjectProgress,
            columns=(
                Column("project", "项目名称", "ref", required=True, ref="project"),
                _month(),
                _money("month_completed", "当月完成投资（万元）", required=True),
                Column("percent_complete", "形象进度（%）", "decimal", min=ZERO, max=Decimal(100), measure="%"),
                Column("progress_note", "进展情况", "text", max_length=2000),
            ),
            key=("project", "month"),
            monthly=True,
            total_fields=("month_completed",),
            main_field="month_completed",
        ),
        LedgerKind(
            code="indicators",
            label="经济社会指标",
            model=IndicatorValue,
            columns=(
                Column("indicator", "指标代码", "ref", required=True, ref="indicator"),
                _month(annual=True),
                Column("value", "数值", "decimal", required=True, decimal_places=4),
                Column("target", "目标值", "decimal", decimal_places=4),
                Column("last_year_value", "上年同期", "decimal", decimal_places=4),
                Column("rank_city", "全市排名", "int", min=1, max=1000),
                Column("rank_province", "全省排名", "int", min=1, max=1000),
                Column("note", "备注", "text", max_length=2000),
            ),
            key=("indicator", "year", "month"),
            monthly=True,
            change_fields=("value",),
            main_field="value",
        ),
        LedgerKind(
            code="houses",
            label="自建房排查",
            model=SelfBuiltHouse,
            columns=(
                Column("code", "房屋编号", "text", required=True, max_length=40),
                _township(),
                _village(),
                Column("address", "地址", "text", required=True, max_length=200),
                Column("floors", "层数", "int", required=True, min=1, max=30, measure="层"),
                Column("is_business", "是否经营性", "bool"),
                Column("inspected_on", "排查日期", "date", required=True),
                _choice(
                    "hazard",
                    "隐患情况",
                    HouseHazard,
                    {"none": "无隐患", "suspected": "疑似隐患", "confirmed": "存在隐患"},
                ),
                _choice(
                    "appraisal",
                    "鉴定情况",
                    HouseAppraisal,
                    {"not_required": "无需鉴定", "pending": "待鉴定", "appraised": "已鉴定"},
                ),
                Column("appraised_on", "鉴定日期", "date"),
            ),
            key=("code",),
            monthly=True,
            main_field="code",
            rules=(_house_rules,),
        ),
        LedgerKind(
            code="contracts",
            label="农村集体经济合同清理",
            model=ContractCleanup,
            columns=(
                _month(),
                _township(),
                _village(),
                Column("contracts_cleaned", "清理合同（份）", "int", required=True, min=0, max=10**6, measure="份"),
                _money("debts_resolved", "化解债务（万元）"),
                _money("funds_recovered", "收回资金（万元）"),
                _money("assets_recovered", "收回资产（万元）"),
            ),
            key=("year", "month", "township", "village"),
            monthly=True,
            total_fields=("contracts_cleaned", "debts_resolved", "funds_recovered", "assets_recovered"),
            change_fields=("contracts_cleaned",),
            main_field="contracts_cleaned",
        ),
        LedgerKind(
            code="toilets",
            label="农村户厕改造",
            model=ToiletRenovation,
            columns=(
                _month(),
                _township(),
                _village(),
                Column("planned", "计划（座）", "int", required=True, min=0, max=10**6, measure="座"),
                Column("completed", "完成（座）", "int", required=True, min=0, max=10**6, measure="座"),
            ),
            key=("year", "month", "township", "village"),
            monthly=True,
            total_fields=("planned", "completed"),
            change_fields=("planned", "completed"),
            main_field="completed",
            rules=(_toilet_rules,),
        ),
        LedgerKind(
            code="roads",
            label="道路建设",
            model=RoadWork,
            columns=(
                Column("name", "道路名称", "text", required=True, max_length=200),
                Column("township", "乡镇（街道）", "text", max_length=50),
                _choice(
                    "kind", "建设类型", RoadWorkKind, {"upgrade": "提质改造", "flood_repair": "水毁抢修", "new": "新建"}
                ),
                Column("length_km", "里程（公里）", "decimal", min=ZERO, max=Decimal("999999.99"), measure="公里"),
                Column("started_on", "开工日期", "date"),
                Column("completed_on", "完工日期", "date"),
                _money("investment", "投资（万元）"),
            ),
            key=("year", "name", "kind"),
            monthly=False,
            total_fields=("length_km", "investment"),
            main_field="length_km",
            rules=(_road_rules,),
        ),
        LedgerKind(
            code="parks",
            label="游园绿地",
            model=Park,
            columns=(
                Column("name", "名称", "text", required=True, max_length=200),
                Column("location", "位置", "text", max_length=200),
                _choice("kind", "类型", ParkKind, {"street_park": "街头游园", "park": "公园"}),
                Column("area_m2", "面积（平方米）", "int", min=0, max=10**9, measure="平方米"),
                Column("completed_on", "建成日期", "date"),
                _money("investment", "投资（万元）"),
            ),
            key=("year", "name"),
            monthly=False,
            total_fields=("area_m2", "investment"),
            main_field="area_m2",
        ),
        LedgerKind(
            code="programmes",
            label="补贴与专项资金",
            model=ProgrammeDisbursement,
            columns=(
                Column("programme", "资金项目代码", "ref", required=True, ref="programme"),
                _month(),
                _money("amount", "发放金额（万元）", required=True),
                _money("spending_driven", "带动消费（万元）"),
                Column("beneficiaries", "受益人数", "int", min=0, max=10**9, measure="人"),
            ),
            key=("programme", "year", "month"),
            monthly=True,
            total_fields=("amount", "spending_driven", "beneficiaries"),
            change_fields=("amount",),
            main_field="amount",
        ),
    )
}


def ledger_kind_get(code: str) -> LedgerKind:
    """The kind named `code`; NotFound (404) for a code that is not a ledger."""
    try:
        return LEDGER_KINDS[code]
    except KeyError:
        raise NotFound(_("There is no ledger called %(code)s.") % {"code": code}) from None


def ledger_kind_of_model(model: type[models.Model]) -> LedgerKind:
    for kind in LEDGER_KINDS.values():
        if kind.model is model:
            return kind
    raise KeyError(model)
