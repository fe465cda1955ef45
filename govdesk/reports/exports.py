"""Workbooks: the order and application lists, the statistics overviews and the monthly report. Pure writers over
data already read."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from openpyxl import Workbook

from . import labels
from .xlsx import DATETIME_FORMAT, PERCENT_FORMAT, Column, SheetWriter, new_workbook, write_table

ORDER_COLUMNS = [
    Column(header, width, DATETIME_FORMAT if header.endswith(("时间", "期限")) else None)
    for header, width in labels.ORDER_HEADERS
]


def orders_workbook(rows: Iterable[Sequence[Any]]) -> tuple[Workbook, int]:
    wb = new_workbook()
    sheet = SheetWriter(wb, "工单", ORDER_COLUMNS)
    sheet.extend(rows)
    sheet.close()
    return wb, sheet.rows


APPLICATION_COLUMNS = [
    Column(header, width, DATETIME_FORMAT if header.endswith(("时间", "期限")) else None)
    for header, width in labels.APPLICATION_HEADERS
]


def applications_workbook(rows: Iterable[Sequence[Any]]) -> tuple[Workbook, int]:
    """办件台账: one row per application."""
    wb = new_workbook()
    sheet = SheetWriter(wb, labels.APPLICATIONS_SHEET, APPLICATION_COLUMNS)
    sheet.extend(rows)
    sheet.close()
    return wb, sheet.rows


CHANGE_FORMAT = "+0.0%;-0.0%;0.0%"
POINTS_FORMAT = "+0.0;-0.0;0.0"


def _points(difference: float | None) -> float | None:
    """A difference of two rates (0.02) in percentage points (2.0)."""
    return None if difference is None else round(difference * 100, 4)


def _col(header: str, width: float = 12, number_format: str | None = None) -> Column:
    return Column(header, width, number_format)


def _pct(header: str) -> Column:
    return Column(header, 11, PERCENT_FORMAT)


def _rate_label(overview: dict[str, Any], key: str) -> str:
    """The report's fixed Chinese name of a rate; the statistics' own label for a key the report does not know."""
    if key in labels.RATE_LABELS:
        return labels.RATE_LABELS[key]
    for row in overview.get("rate_definitions", []):
        if row.get("key") == key:
            return str(row.get("label") or labels.RATE_LABELS.get(key, key))
    return labels.RATE_LABELS.get(key, key)


def _formula(overview: dict[str, Any], key: str) -> str:
    for row in overview.get("rate_definitions", []):
        if row.get("key") == key:
            return str(row.get("formula") or "")
    return ""


def _rate_keys(overview: dict[str, Any]) -> list[str]:
    keys = [k for k in labels.RATE_KEYS if k in overview.get("rates", {})]
    return keys + [k for k in overview.get("rates", {}) if k not in keys]


def _filters_rows(overview: dict[str, Any]) -> list[list[Any]]:
    f = overview.get("filters", {})
    names = [
        ("date_from", "开始日期"),
        ("date_to", "结束日期"),
        ("unit", "单位"),
        ("category", "分类"),
        ("type", "类型"),
        ("channel", "渠道"),
    ]
    rows: list[list[Any]] = []
    for key, label in names:
        value = f.get(key)
        if key in ("date_from", "date_to") and isinstance(value, str):
            value = date.fromisoformat(value)
        rows.append([label, value if value not in (None, "") else "全部"])
    return rows


def _breakdown(wb: Workbook, title: str, key_header: str, rows: list[dict[str, Any]]) -> None:
    write_table(
        wb,
        title,
        [_col("代码", 16), _col(key_header, 30), _col("工单数", 10)],
        ([row.get("key"), row.get("label"), row.get("total")] for row in rows),
    )


def stats_sheets(wb: Workbook, overview: dict[str, Any], *, generated_at: datetime) -> None:
    """Every table of the overview, one sheet each, in the order the dashboard shows them."""
    keys = _rate_keys(overview)
    previous = overview.get("previous") or {}
    change = overview.get("change") or {}
    summary = [
        *_filters_rows(overview),
        ["受理量", overview.get("total")],
        ["上期受理量", previous.get("total")],
        ["受理量环比变化", change.get("total")],
        ["统计粒度", {"day": "日", "week": "周", "month": "月"}.get(overview.get("granularity", ""), "")],
        ["生成时间", generated_at],
    ]
    sheet = SheetWriter(wb, "概览", [_col("项目", 18), _col("值", 24)])
    for label, value in summary:
        sheet.append([label, value], [None, PERCENT_FORMAT if label == "受理量环比变化" else None])
    sheet.close()

    parts = overview.get("rate_parts", {})
    previous_rates = previous.get("rates", {})
    write_table(
        wb,
        "比率",
        [
            _col("指标", 14),
            _pct("本期"),
            _col("分子", 10),
            _col("分母", 10),
            _pct("上期"),
            _col("变化（百分点）", 14, POINTS_FORMAT),
            _col("计算公式", 60),
        ],
        (
            [
                _rate_label(overview, key),
                overview["rates"].get(key),
                (parts.get(key) or {}).get("numerator"),
                (parts.get(key) or {}).get("denominator"),
                previous_rates.get(key),
                _points((change.get("rates") or {}).get(key)),
                _formula(overview, key),
            ]
            for key in keys
        ),
    )
    write_table(
        wb,
        "趋势",
        [_col("周期起始", 12), _col("标签", 10), _col("受理量", 10), _col("办结量", 10)],
        (
            [date.fromisoformat(str(row["period"])[:10]), row.get("label"), row.get("total"), row.get("closed")]
            for row in overview.get("series", [])
        ),
    )
    _breakdown(wb, "按渠道", "渠道", overview.get("by_channel", []))
    _breakdown(wb, "按类型", "类型", overview.get("by_type", []))
    _breakdown(wb, "按分类", "分类", overview.get("by_category", []))
    write_table(
        wb,
        "按单位",
        [_col("单位代码", 14), _col("单位", 24), _col("工单数", 10)] + [_pct(_rate_label(overview, k)) for k in keys],
        (
            [row.get("key"), row.get("label"), row.get("total")] + [(row.get("rates") or {}).get(k) for k in keys]
            for row in overview.get("by_unit", [])
        ),
    )
    _breakdown(wb, "按街道", "街道", overview.get("by_street", []))
    _breakdown(wb, "按状态", "状态", overview.get("by_status", []))
    for title, block in (("超期工单", "overdue"), ("即将超期", "due_soon")):
        write_table(
            wb,
            title,
            [_col("编号", 18), _col("标题", 36), _col("主办单位", 20), _col("办结期限", 17, DATETIME_FORMAT)],
            (
                [
                    item.get("number"),
                    item.get("title"),
                    item.get("unit_name") or item.get("unit"),
                    _as_datetime(item.get("due_at")),
                ]
                for item in (overview.get(block) or {}).get("items", [])
            ),
        )


def _as_datetime(value: Any) -> Any:
    if isinstance(value, str) and value:
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
    return value


def stats_workbook(overview: dict[str, Any], *, generated_at: datetime) -> Workbook:
    wb = new_workbook()
    stats_sheets(wb, overview, generated_at=generated_at)
    return wb


def monthly_workbook(data: dict[str, Any]) -> Workbook:
    """The monthly report: headline figures first, then the statistics tables, assessment and hotspots."""
    overview = data["overview"]
    wb = new_workbook()
    keys = _rate_keys(overview)
    change = overview.get("change") or {}
    previous = overview.get("previous") or {}
    headline = SheetWriter(
        wb, "月度要点", [_col("指标", 18), _col("本月", 14), _col("上月", 14), _col("变化（比率为百分点）", 22)]
    )
    headline.append(["报告月份", data["month_label"], None, None])
    headline_pct = [None, PERCENT_FORMAT, PERCENT_FORMAT, POINTS_FORMAT]
    headline.append(
        ["受理量", overview.get("total"), previous.get("total"), change.get("total")], [None, None, None, CHANGE_FORMAT]
    )
    headline.append(["办结量", data.get("closed"), None, None])
    for key in keys:
        rate_change = _points((change.get("rates") or {}).get(key))
        headline.append(
            [
                _rate_label(overview, key),
                overview["rates"].get(key),
                (previous.get("rates") or {}).get(key),
                rate_change,
            ],
            headline_pct,
        )
    applications = data.get("applications")
    if applications is not None:
        app_totals = applications.get("totals") or {}
        headline.append(["办件收件量", app_totals.get("received"), None, None])
        headline.append(["办件办结量", app_totals.get("decided"), None, None])
        on_time = (applications.get("rates") or {}).get("on_time")
        headline.append(["办件按时办结率", on_time, None, None], headline_pct)
    package_totals = (data.get("packages") or {}).get("totals")
    if package_totals is not None:
        headline.append(["一件事收件量", package_totals.get("received"), None, None])
        headline.append(["一件事按时办结率", package_totals.get("on_time_rate"), None, None], headline_pct)
        headline.append(["一件事平均节省工作日", package_totals.get("avg_saved_days"), None, None])
    project_totals = (data.get("projects") or {}).get("totals")
    if project_totals is not None:
        headline.append(["工程建设项目办结数", project_totals.get("projects_completed"), None, None])
        headline.append(["工程建设项目平均审批用时（工作日）", project_totals.get("avg_project_days"), None, None])
    ratings = (data.get("evaluations") or {}).get("total")
    if ratings is not None:
        headline.append(["好差评有效评价", ratings.get("total"), None, None])
        headline.append(["好差评满意率", ratings.get("satisfaction_rate"), None, None], headline_pct)
        headline.append(["差评数", ratings.get("bad"), None, None])
        headline.append(["整改按时率", ratings.get("on_time_rate"), None, None], headline_pct)
    headline.append(["生成时间", data["generated_at"], None, None])
    headline.append(["数据截至", data["cut_off"], None, None])
    headline.close()
    stats_sheets(wb, overview, generated_at=data["generated_at"])
    if data.get("assessment") is not None:
        write_table(
            wb,
            "考核排名",
            [_col("名次", 8), _col("单位代码", 14), _col("单位", 24), _col("得分", 10, "0.00"), _col("上月名次", 10)],
            (
                [row.get("rank"), row.get("unit"), row.get("unit_name"), row.get("score"), row.get("previous_rank")]
                for row in data["assessment"]
            ),
        )
    if data.get("applications") is not None:
        application_sheets(wb, data["applications"])
    if data.get("packages") is not None:
        package_sheets(wb, data["packages"])
    if data.get("projects") is not None:
        project_sheets(wb, data["projects"])
    if data.get("evaluations") is not None:
        evaluation_sheets(wb, data["evaluations"])
    write_table(
        wb,
        "热点问题",
        [_col("关键词", 30), _col("地点", 16), _col("本月件数", 10), _col("上月件数", 10), _col("示例工单", 50)],
        (
            [
                "、".join(h.get("keywords", [])),
                h.get("place"),
                h.get("size"),
                h.get("previous_size"),
                "；".join(f"{e['number']} {e['title']}" for e in h.get("examples", [])),
            ]
            for h in data.get("hotspots", [])
        ),
    )
    return wb


def _application_rate_label(overview: dict[str, Any], key: str) -> str:
    if key in labels.APPLICATION_RATE_LABELS:
        return labels.APPLICATION_RATE_LABELS[key]
    for row in overview.get("rate_definitions", []):
        if row.get("key") == key:
            return str(row.get("label") or key)
    return key


def _application_breakdown(wb: Workbook, title: str, code_header: str, name_header: str, rows: list[Any]) -> None:
    write_table(
        wb,
        title,
        [
            _col(code_header, 22),
            _col(name_header, 28),
            _col("收件量", 10),
            _col("受理量", 10),
            _col("办结量", 10),
            _col("按时办结量", 10),
            _pct("按时办结率"),
            _col("在办", 8),
        ],
        (
            [
                row.get("code"),
                row.get("name"),
                row.get("received"),
                row.get("accepted"),
                row.get("decided"),
                row.get("decided_on_time"),
                (row.get("rates") or {}).get("on_time"),
                row.get("open"),
            ]
            for row in rows
        ),
    )


def application_sheets(wb: Workbook, overview: dict[str, Any]) -> None:
    """政务服务办件: the figures and rates, per unit, matter and channel, and the time in each step, one sheet each."""
    totals = overview.get("totals") or {}
    parts = overview.get("rate_parts") or {}
    columns = [_col("指标", 16), _col("值", 12), _col("分子", 10), _col("分母", 10), _col("计算公式", 60)]
    sheet = SheetWriter(wb, "办件概览", columns)
    for key, label in labels.APPLICATION_TOTAL_LABELS:
        sheet.append([label, totals.get(key), None, None, None])
    formulas = {row.get("key"): row.get("formula") for row in overview.get("rate_definitions", [])}
    for key, value in (overview.get("rates") or {}).items():
        part = parts.get(key) or {}
        sheet.append(
            [
                _application_rate_label(overview, key),
                value,
                part.get("numerator"),
                part.get("denominator"),
                labels.APPLICATION_RATE_FORMULAS.get(key) or formulas.get(key),
            ],
            [None, PERCENT_FORMAT, None, None, None],
        )
    sheet.close()
    _application_breakdown(wb, "办件按单位", "单位代码", "单位", overview.get("by_unit") or [])
    _application_breakdown(wb, "办件按事项", "事项编码", "事项名称", overview.get("by_matter") or [])
    _application_breakdown(wb, "办件按渠道", "渠道代码", "渠道", overview.get("by_channel") or [])
    steps = overview.get("step_times") or {}
    overall = steps.get("overall") or {}
    write_table(
        wb,
        "办件环节用时",
        [_col("环节", 14), _col("平均用时（小时）", 16, "0.0"), _col("件数", 10)],
        (
            [
                labels.APPLICATION_STEP_LABELS.get(step["key"], step.get("label")),
                (overall.get(step["key"]) or {}).get("hours"),
                (overall.get(step["key"]) or {}).get("count"),
            ]
            for step in steps.get("steps", [])
        ),
    )


def application_stats_workbook(overview: dict[str, Any], *, generated_at: datetime) -> Workbook:
    """The statistics' application overview (kind=application) as xlsx: the filters, then the section's sheets."""
    wb = new_workbook()
    f = overview.get("filters") or {}
    sheet = SheetWriter(wb, "筛选条件", [_col("项目", 14), _col("值", 30)])
    for key, label in (
        ("date_from", "开始日期"),
        ("date_to", "结束日期"),
        ("unit", "单位"),
        ("matter", "事项"),
        ("matter_type", "事项类型"),
        ("channel", "渠道"),
    ):
        value = f.get(key)
        if key in ("date_from", "date_to") and isinstance(value, str):
            value = date.fromisoformat(value)
        sheet.append([label, value if value not in (None, "") else "全部"])
    sheet.append(["生成时间", generated_at])
    sheet.close()
    application_sheets(wb, overview)
    return wb


def _rating_columns(*first: Column) -> list[Column]:
    return [
        *first,
        _col("有效评价", 10),
        *(_col(label, 10) for label in labels.EVALUATION_LEVELS.values()),
        _pct("满意率"),
        _col("差评", 8),
        _col("不实差评", 10),
        _col("应按时整改", 10),
        _col("按时整改", 10),
        _pct("整改按时率"),
    ]


def rating_row(row: dict[str, Any], *first: Any) -> list[Any]:
    """One line of 好差评 figures (a RateRow's dict) after the `first` cells that name it."""
    levels = row.get("levels") or {}
    return [
        *first,
        row.get("total"),
        *(levels.get(str(level), 0) for level in labels.EVALUATION_LEVELS),
        row.get("satisfaction_rate"),
        row.get("bad"),
        row.get("unjustified"),
        row.get("rectifications_due"),
        row.get("rectifications_on_time"),
        row.get("on_time_rate"),
    ]


def _package_columns(*first: Column) -> list[Column]:
    return [
        *first,
        _col("收件", 8),
        _col("受理", 8),
        _col("出结果", 8),
        _col("办结", 8),
        _col("按时办结", 10),
        _col("有承诺时限", 10),
        _col("按时办结率", 12, PERCENT_FORMAT),
        _col("子事项已决定", 12),
        _col("子事项按时", 12),
        _col("子事项按时率", 12, PERCENT_FORMAT),
        _col("未启动子事项", 12),
        _col("平均总用时（工作日）", 18, "0.00"),
        _col("逐项申请合计（工作日）", 20, "0.00"),
        _col("平均节省（工作日）", 16, "0.00"),
        _col("少跑腿（次）", 12),
        _col("少填表（张）", 12),
    ]


def _package_cells(row: dict[str, Any]) -> list[Any]:
    keys = (
        "received",
        "accepted",
        "decided",
        "closed",
        "on_time",
        "with_limit",
        "on_time_rate",
        "parts_decided",
        "parts_on_time",
        "parts_on_time_rate",
        "parts_cancelled",
        "avg_total_days",
        "avg_sequential_days",
        "avg_saved_days",
        "visits_saved",
        "forms_saved",
    )
    return [row.get(key) for key in keys]


def package_sheets(wb: Workbook, overview: dict[str, Any]) -> None:
    """一件事一次办: the month's package figures in total, per package and per lead unit."""
    write_table(
        wb,
        "一件事一次办",
        _package_columns(_col("一件事编码", 22), _col("名称", 28), _col("牵头单位", 14)),
        [
            ["全部", "全部一件事", None, *_package_cells(overview.get("totals") or {})],
            *(
                [row.get("package"), row.get("name"), row.get("lead_unit"), *_package_cells(row)]
                for row in overview.get("by_package", [])
            ),
        ],
    )
    write_table(
        wb,
        "一件事按牵头单位",
        _package_columns(_col("单位代码", 14), _col("单位", 24)),
        ([row.get("unit"), row.get("name"), *_package_cells(row)] for row in overview.get("by_unit", [])),
    )


def project_sheets(wb: Workbook, figures: dict[str, Any]) -> None:
    """工程建设项目审批: the month's average approval time per project type and per stage (working days)."""
    write_table(
        wb,
        "项目平均审批用时",
        [
            _col("项目类型代码", 14),
            _col("项目类型", 24),
            _col("办结项目", 10),
            _col("平均用时（工作日）", 18, "0.00"),
            _col("最长用时（工作日）", 18),
            _col("承诺总时限（工作日）", 18),
        ],
        (
            [
                row.get("type"),
                row.get("name"),
                row.get("completed"),
                row.get("avg_days"),
                row.get("max_days"),
                row.get("total_limit_days"),
            ]
            for row in figures.get("by_type", [])
        ),
    )
    write_table(
        wb,
        "审批阶段平均用时",
        [
            _col("项目类型代码", 14),
            _col("项目类型", 24),
            _col("阶段", 8),
            _col("阶段名称", 24),
            _col("完成", 8),
            _col("平均用时（工作日）", 18, "0.00"),
            _col("最长用时（工作日）", 18),
            _col("阶段时限（工作日）", 18),
        ],
        (
            [
                row.get("type"),
                row.get("type_name"),
                row.get("no"),
                row.get("name"),
                row.get("done"),
                row.get("avg_days"),
                row.get("max_days"),
                row.get("limit_days"),
            ]
            for row in figures.get("by_stage", [])
        ),
    )


def package_stats_workbook(overview: dict[str, Any], *, generated_at: datetime) -> Workbook:
    """The statistics' package overview (kind=package) as xlsx: the filters, the totals (汇总), then one line per
    package (按一件事) and per lead unit (按牵头单位), with the dashboard's figures."""
    wb = new_workbook()
    f = overview.get("filters") or {}
    sheet = SheetWriter(wb, "筛选条件", [_col("项目", 14), _col("值", 30)])
    for key, label in (("date_from", "开始日期"), ("date_to", "结束日期"), ("package", "一件事")):
        value = f.get(key)
        if key in ("date_from", "date_to") and isinstance(value, str):
            value = date.fromisoformat(value)
        sheet.append([label, value if value not in (None, "") else "全部"])
    # The lead units counted: "全部" unless the filter (or a unit administrator's own subtree) narrowed them.
    unit_ids = f.get("unit_ids")
    sheet.append(["牵头单位范围", "全部" if unit_ids is None else f"{len(unit_ids)} 个单位"])
    sheet.append(["生成时间", generated_at])
    sheet.close()
    write_table(
        wb, "汇总", _package_columns(_col("范围", 14)), [["全部一件事", *_package_cells(overview.get("totals") or {})]]
    )
    write_table(
        wb,
        "按一件事",
        _package_columns(_col("一件事编码", 22), _col("名称", 28), _col("牵头单位", 14)),
        (
            [row.get("package"), row.get("name"), row.get("lead_unit"), *_package_cells(row)]
            for row in overview.get("by_package", [])
        ),
    )
    write_table(
        wb,
        "按牵头单位",
        _package_columns(_col("单位代码", 14), _col("单位", 24)),
        ([row.get("unit"), row.get("name"), *_package_cells(row)] for row in overview.get("by_unit", [])),
    )
    return wb


def evaluation_sheets(wb: Workbook, ratings: dict[str, Any]) -> None:
    """好差评: the month's ratings in total and per case type, unit, matter and channel."""
    total = ratings.get("total") or {}
    write_table(
        wb,
        "好差评",
        _rating_columns(_col("范围", 14)),
        [
            rating_row(total, "全部服务"),
            *(
                rating_row(row, labels.CASE_KIND.get(str(row.get("key")), row.get("label")))
                for row in ratings.get("by_kind", [])
            ),
        ],
    )
    write_table(
        wb,
        "好差评按单位",
        _rating_columns(_col("单位", 24)),
        (rating_row(row, row.get("label")) for row in ratings.get("by_unit", [])),
    )
    write_table(
        wb,
        "好差评按事项",
        _rating_columns(_col("事项编码", 22), _col("事项名称", 28)),
        (rating_row(row, row.get("key"), row.get("label")) for row in ratings.get("by_matter", [])),
    )
    write_table(
        wb,
        "好差评按渠道",
        _rating_columns(_col("渠道", 14)),
        (
            rating_row(row, labels.EVALUATION_CHANNEL.get(str(row.get("key")), row.get("label")))
            for row in ratings.get("by_channel", [])
        ),
    )


def assessment_workbook(ranking: dict[str, Any]) -> Workbook:
    """A month's unit assessment as the page shows it: the ranking with each rate's points, then the rules."""
    wb = new_workbook()
    rules = ranking.get("rule_set") or {"items": [], "deductions": []}
    items = rules["items"]
    write_table(
        wb,
        "考核排名",
        [
            _col("名次", 8),
            _col("单位代码", 14),
            _col("单位", 24),
            _col("得分", 10, "0.00"),
            *(_col(f"{labels.RATE_LABELS.get(i['rate_key'], i['label'])}得分", 14, "0.00") for i in items),
            _col("扣分", 10, "0.00"),
            _col("工单数", 10),
            _col("办件数", 10),
            _col("上月名次", 10),
        ],
        (
            [
                row["rank"],
                row["unit"],
                row["unit_name"],
                row["score"],
                *((row["parts"].get(i["rate_key"]) or {}).get("points") for i in items),
                round(sum(d.get("points") or 0 for d in row["deductions"]), 2),
                row["total"],
                row.get("applications", 0),
                row["previous_rank"],
            ]
            for row in ranking["results"]
        ),
    )
    write_table(
        wb,
        "考核规则",
        [_col("项目", 24), _col("权重/扣分", 12, "0.00"), _col("计分方法", 60), _col("比率公式", 50)],
        [
            *(
                [labels.RATE_LABELS.get(i["rate_key"], i["label"]), i["weight"], i["scoring"], i["rate_formula"]]
                for i in items
            ),
            *([d["label"], d["points"], d["text"], ""] for d in rules["deductions"]),
            ["考核月份", None, ranking["month"], ""],
            ["规则", None, f"{rules.get('name', '')} v{rules.get('version', '')}" if items else "", ""],
        ],
    )
    return wb
