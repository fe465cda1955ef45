"""Workbooks: the order list, the statistics overview and the monthly report. Pure writers over data already read."""

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
