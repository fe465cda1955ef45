"""The monthly report as PDF: a Django template rendered to HTML, charts as inline SVG, WeasyPrint with no network.

The fonts come from the system (fonts-noto-cjk, or fonts-wqy-zenhei) through fontconfig; WeasyPrint embeds the subsets
it uses. The URL fetcher refuses everything except `data:` URLs, so a report never reaches out to any server, even if
a label in the data looked like a URL.
"""

from __future__ import annotations

from datetime import datetime
from itertools import zip_longest
from typing import Any

from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

from . import charts, labels
from .exports import _application_rate_label, _as_datetime, _formula, _rate_keys, _rate_label
from .xlsx import local_naive


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def points(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:+.1f}个百分点"


def relative(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:+.1f}%"


def _svg(markup: str) -> SafeString:
    # The chart module escapes every label it writes; the markup is ours.
    return mark_safe(markup)  # noqa: S308


def _when(value: Any) -> str:
    moment = _as_datetime(value)
    if isinstance(moment, datetime):
        return local_naive(moment).strftime("%Y-%m-%d %H:%M")
    return str(value or "")


def _overdue(block: dict[str, Any]) -> dict[str, Any]:
    items = [
        {**item, "due_at": _when(item.get("due_at")), "unit": item.get("unit_name") or item.get("unit") or "—"}
        for item in block.get("items", [])
    ]
    return {"total": block.get("total", len(items)), "items": items}


def hours(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def _part_text(parts: dict[str, Any], key: str) -> str:
    part = parts.get(key) or {}
    return f"{part.get('numerator', '—')}/{part.get('denominator', '—')}"


def _application_rate_rows(overview: dict[str, Any]) -> list[dict[str, Any]]:
    parts = overview.get("rate_parts") or {}
    formulas = {row.get("key"): row.get("formula") for row in overview.get("rate_definitions", [])}
    return [
        {
            "key": key,
            "label": _application_rate_label(overview, key),
            "value": percent(value),
            "parts": _part_text(parts, key),
            "formula": labels.APPLICATION_RATE_FORMULAS.get(key) or formulas.get(key) or "",
        }
        for key, value in (overview.get("rates") or {}).items()
    ]


def _application_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "code": row.get("code") or "",
            "name": row.get("name") or "",
            "received": row.get("received"),
            "accepted": row.get("accepted"),
            "decided": row.get("decided"),
            "on_time": percent((row.get("rates") or {}).get("on_time")),
            "open": row.get("open"),
        }
        for row in rows[: labels.TOP_ROWS]
    ]


def applications_context(overview: dict[str, Any] | None) -> dict[str, Any] | None:
    """政务服务办件 as the report prints it (the statistics' application overview, read, never recounted)."""
    if overview is None:
        return None
    totals = overview.get("totals") or {}
    rates = overview.get("rates") or {}
    series = overview.get("series", [])
    steps = overview.get("step_times") or {}
    overall = steps.get("overall") or {}
    step_rows = [
        {
            "label": labels.APPLICATION_STEP_LABELS.get(step["key"], step.get("label")),
            "hours": hours((overall.get(step["key"]) or {}).get("hours")),
            "count": (overall.get(step["key"]) or {}).get("count"),
            "value": float((overall.get(step["key"]) or {}).get("hours") or 0),
        }
        for step in steps.get("steps", [])
    ]
    channels = overview.get("by_channel", [])
    return {
        "totals": totals,
        "on_time": percent(rates.get("on_time")),
        "on_time_parts": _part_text(overview.get("rate_parts") or {}, "on_time"),
        "rates": _application_rate_rows(overview),
        "daily_chart": _svg(
            charts.line_chart(
                [str(row.get("label", "")) for row in series],
                [
                    ("收件量", [float(row.get("received") or 0) for row in series]),
                    ("办结量", [float(row.get("decided") or 0) for row in series]),
                ],
                title="每日收件与办结",
                width=680,
            )
        ),
        "units": _application_rows(overview.get("by_unit", [])),
        "matters": _application_rows(overview.get("by_matter", [])),
        "channels": _application_rows(channels),
        "channel_chart": _svg(
            charts.pie_chart(
                [(str(r.get("name", "")), float(r.get("received") or 0)) for r in channels],
                title="按申请渠道",
                width=330,
                height=200,
            )
        ),
        "steps": step_rows,
        "step_chart": _svg(
            charts.bar_chart(
                [(row["label"], round(row["value"], 1)) for row in step_rows],
                title="各环节平均用时（小时）",
                width=330,
                height=200,
            )
        ),
        "overdue": _overdue(overview.get("overdue") or {}),
    }


def _rating_row(row: dict[str, Any], name: Any) -> dict[str, Any]:
    levels = row.get("levels") or {}
    return {
        "name": name,
        "total": row.get("total"),
        "levels": [levels.get(str(level), 0) for level in labels.EVALUATION_LEVELS],
        "satisfaction": percent(row.get("satisfaction_rate")),
        "bad": row.get("bad"),
        "unjustified": row.get("unjustified"),
        "rectified": f"{row.get('rectifications_on_time', 0)}/{row.get('rectifications_due', 0)}",
        "on_time": percent(row.get("on_time_rate")),
    }


def evaluations_context(ratings: dict[str, Any] | None) -> dict[str, Any] | None:
    """好差评 as the report prints it: the figures, a bar per level, and the tables per unit, matter and channel."""
    if ratings is None:
        return None
    total = ratings.get("total") or {}
    levels = total.get("levels") or {}
    return {
        "total": _rating_row(total, "全部服务"),
        "raw": total,
        "level_headers": list(labels.EVALUATION_LEVELS.values()),
        "level_chart": _svg(
            charts.bar_chart(
                [
                    (f"{label}（{level}）", float(levels.get(str(level), 0)))
                    for level, label in labels.EVALUATION_LEVELS.items()
                ],
                title="评价等级分布",
                width=680,
                height=220,
            )
        ),
        "kinds": [
            _rating_row(row, labels.CASE_KIND.get(str(row.get("key")), row.get("label")))
            for row in ratings.get("by_kind", [])
        ],
        "units": [_rating_row(row, row.get("label")) for row in ratings.get("by_unit", [])][: labels.TOP_ROWS],
        "matters": [_rating_row(row, row.get("label")) for row in ratings.get("by_matter", [])][: labels.TOP_ROWS],
        "channels": [
            _rating_row(row, labels.EVALUATION_CHANNEL.get(str(row.get("key")), row.get("label")))
            for row in ratings.get("by_channel", [])
        ],
    }


def _package_row(row: dict[str, Any], name: Any) -> dict[str, Any]:
    def days(value: float | None) -> str:
        return "—" if value is None else f"{value:.2f}"

    return {
        "name": name,
        "received": row.get("received"),
        "accepted": row.get("accepted"),
        "decided": row.get("decided"),
        "closed": row.get("closed"),
        "on_time": percent(row.get("on_time_rate")),
        "on_time_parts": f"{row.get('on_time', 0)}/{row.get('with_limit', 0)}",
        "parts_on_time": percent(row.get("parts_on_time_rate")),
        "parts_on_time_parts": f"{row.get('parts_on_time', 0)}/{row.get('parts_decided', 0)}",
        "parts_cancelled": row.get("parts_cancelled"),
        "total_days": days(row.get("avg_total_days")),
        "sequential_days": days(row.get("avg_sequential_days")),
        "saved_days": days(row.get("avg_saved_days")),
        "visits_saved": row.get("visits_saved"),
        "forms_saved": row.get("forms_saved"),
    }


def packages_context(overview: dict[str, Any] | None) -> dict[str, Any] | None:
    """一件事一次办 as the report prints it: the month's figures, the days saved per package, the tables."""
    if overview is None:
        return None
    by_package = overview.get("by_package", [])
    saved = [
        (str(row.get("name", "")), float(row["avg_saved_days"]))
        for row in by_package[: labels.TOP_ROWS]
        if row.get("avg_saved_days") is not None
    ]
    return {
        "total": _package_row(overview.get("totals") or {}, "全部一件事"),
        "packages": [_package_row(row, row.get("name")) for row in by_package][: labels.TOP_ROWS],
        "units": [_package_row(row, row.get("name")) for row in overview.get("by_unit", [])][: labels.TOP_ROWS],
        "saved_chart": _svg(charts.bar_chart(saved, title="平均节省工作日（逐项申请合计 − 一件事总用时）", width=680))
        if saved
        else None,
    }


def _days(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def projects_context(figures: dict[str, Any] | None) -> dict[str, Any] | None:
    """工程建设项目审批 as the report prints it: the average approval time per project type and per stage."""
    if figures is None:
        return None
    totals = figures.get("totals") or {}
    stage_days = [
        (f"{row.get('type_name', '')}{row.get('no')}", float(row["avg_days"]))
        for row in figures.get("by_stage", [])
        if row.get("avg_days") is not None
    ]
    return {
        "completed": totals.get("projects_completed", 0),
        "avg_days": _days(totals.get("avg_project_days")),
        "stages_done": totals.get("stages_done", 0),
        "types": [
            {
                "name": row.get("name"),
                "completed": row.get("completed"),
                "avg_days": _days(row.get("avg_days")),
                "max_days": "—" if row.get("max_days") is None else row.get("max_days"),
                "limit": row.get("total_limit_days"),
            }
            for row in figures.get("by_type", [])
        ],
        "stages": [
            {
                "type": row.get("type_name"),
                "name": f"{row.get('no')}. {row.get('name')}",
                "done": row.get("done"),
                "avg_days": _days(row.get("avg_days")),
                "max_days": "—" if row.get("max_days") is None else row.get("max_days"),
                "limit": row.get("limit_days"),
            }
            for row in figures.get("by_stage", [])
        ],
        "stage_chart": _svg(charts.bar_chart(stage_days, title="各阶段平均审批用时（工作日）", width=680))
        if stage_days
        else None,
    }


def report_context(data: dict[str, Any]) -> dict[str, Any]:
    overview = data["overview"]
    keys = _rate_keys(overview)
    previous = overview.get("previous") or {}
    change = overview.get("change") or {}
    rates = [
        {
            "key": key,
            "label": _rate_label(overview, key),
            "value": percent(overview["rates"].get(key)),
            "parts": overview.get("rate_parts", {}).get(key) or {},
            "previous": percent((previous.get("rates") or {}).get(key)),
            "change": points((change.get("rates") or {}).get(key)),
            "formula": _formula(overview, key),
        }
        for key in keys
    ]
    series = overview.get("series", [])
    daily = charts.line_chart(
        [str(row.get("label", "")) for row in series],
        [
            ("受理量", [float(row.get("total") or 0) for row in series]),
            ("办结量", [float(row.get("closed") or 0) for row in series]),
        ],
        title="每日受理与办结",
        width=680,
    )
    by_category = overview.get("by_category", [])
    category_chart = charts.bar_chart(
        [(str(r.get("label", "")), float(r.get("total") or 0)) for r in by_category[:12]], title="按分类", width=680
    )
    channel_chart = charts.pie_chart(
        [(str(r.get("label", "")), float(r.get("total") or 0)) for r in overview.get("by_channel", [])],
        title="按渠道",
        width=330,
        height=220,
    )
    type_chart = charts.pie_chart(
        [(str(r.get("label", "")), float(r.get("total") or 0)) for r in overview.get("by_type", [])],
        title="按类型",
        width=330,
        height=220,
    )
    ratings = evaluations_context(data.get("evaluations"))
    packages = packages_context(data.get("packages"))
    units = [
        {
            "code": row.get("key"),
            "name": row.get("label"),
            "total": row.get("total"),
            "rates": [percent((row.get("rates") or {}).get(k)) for k in keys],
        }
        for row in overview.get("by_unit", [])
    ]
    return {
        **data,
        "title": labels.REPORT_TITLE,
        "rates": rates,
        "rate_headers": [_rate_label(overview, k) for k in keys],
        "total_change": relative(change.get("total")),
        "previous_total": previous.get("total"),
        "daily_chart": _svg(daily),
        "category_chart": _svg(category_chart),
        "channel_chart": _svg(channel_chart),
        "type_chart": _svg(type_chart),
        "units": units,
        "overdue": _overdue(overview.get("overdue") or {}),
        "by_category": by_category,
        "applications": applications_context(data.get("applications")),
        "evaluations": ratings,
        "packages": packages,
        "projects": projects_context(data.get("projects")),
        "package_tables": []
        if packages is None
        else [("各一件事（前 10 位）", packages["packages"]), ("各牵头单位", packages["units"])],
        "evaluation_tables": []
        if ratings is None
        else [
            ("按服务类型", [ratings["total"], *ratings["kinds"]]),
            ("各单位（前 10 位）", ratings["units"]),
            ("各事项（前 10 位）", ratings["matters"]),
            ("按评价渠道", ratings["channels"]),
        ],
        # Channels and types side by side in one table.
        "channel_type_rows": list(zip_longest(overview.get("by_channel", []), overview.get("by_type", []))),
    }


def monthly_html(data: dict[str, Any]) -> str:
    return render_to_string("reports/monthly.html", report_context(data))


def local_only_fetcher() -> Any:
    """A WeasyPrint URL fetcher for `data:` URLs only; anything else (http, https, file, ftp) is refused and listed."""
    # Imported here: WeasyPrint takes over a second to import, and only the PDF needs it.
    from weasyprint.urls import URLFetcher

    class LocalOnlyFetcher(URLFetcher):
        def __init__(self) -> None:
            super().__init__(allowed_protocols={"data"}, timeout=1, allow_redirects=False)
            self.refused: list[str] = []

        def fetch(self, url: str, headers: Any = None) -> Any:
            if not url.startswith("data:"):
                self.refused.append(url)
                raise ValueError(f"refused (reports never fetch URLs): {url[:80]}")
            return super().fetch(url, headers)

    return LocalOnlyFetcher()


def html_to_pdf(html: str) -> tuple[bytes, list[str]]:
    """PDF bytes and the URLs that were refused (should be none)."""
    from weasyprint import HTML

    fetcher = local_only_fetcher()
    document = HTML(string=html, url_fetcher=fetcher)
    pdf = document.write_pdf()
    assert pdf is not None
    return bytes(pdf), fetcher.refused


def monthly_pdf(data: dict[str, Any]) -> bytes:
    pdf, _refused = html_to_pdf(monthly_html(data))
    return pdf
