"""The assessment page: a month's ranking with each part (points and the counts behind them), the change of rank, a
bar chart of the scores, a unit's trend (score, rank, application and 好差评 rates) and its month in detail, the
rules in force; supervisors can recompute the month (POST, audited by the service)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from govdesk.common.errors import ApplicationError
from govdesk.common.pages import application_error_page, forbidden, staff_page

from . import selectors, services
from .items import SERVICE_ITEMS, item_label

TREND_MONTHS = 12


def _labels() -> dict[str, Any]:
    """The strings the script shows, translated here so the script holds no language."""
    return {
        "score": _("Score"),
        "rank": _("Rank"),
        "no_data": _("No data"),
        "not_ranked": _("Not ranked"),
        "orders": _("orders"),
        "rates": {i.key: str(i.label) for i in SERVICE_ITEMS},
    }


def _change(row: dict[str, Any]) -> dict[str, Any]:
    """▲ n: moved up n places since the previous month; ▼ n: down; – unchanged; new: not ranked the month before."""
    rank, previous = row["rank"], row["previous_rank"]
    if rank is None:
        return {"kind": "none", "text": ""}
    if previous is None:
        return {"kind": "new", "text": _("new in the ranking")}
    if previous > rank:
        return {"kind": "up", "text": f"▲{previous - rank}"}
    if previous < rank:
        return {"kind": "down", "text": f"▼{rank - previous}"}
    return {"kind": "same", "text": "–"}


def _part_cell(part: dict[str, Any], figures: dict[str, Any]) -> dict[str, Any]:
    """A part's points with what they stand for: the rate and its counts ("12/15 按时")."""
    rate = part.get("rate")
    return {
        "points": part.get("points"),
        "rate_pct": None if rate is None else f"{rate * 100:.1f}%",
        "figures": figures.get("text") or "",
    }


def _month_detail(row: dict[str, Any] | None, part_keys: list[str]) -> dict[str, Any] | None:
    """One unit's month in full: each item's rate, counts, weight and points, and each deduction's count and points."""
    if row is None:
        return None
    items = []
    for key in part_keys:
        part = row["parts"].get(key) or {}
        cell = _part_cell(part, row["rate_parts"].get(key) or {})
        items.append({"key": key, "label": item_label(key), "weight": part.get("weight"), **cell})
    return {
        "unit": row["unit"],
        "unit_name": row["unit_name"],
        "score": row["score"],
        "rank": row["rank"],
        "total": row["total"],
        "applications": row["applications"],
        "items": items,
        "deductions": row["deductions"],
        "deducted": row["deducted"],
    }


def _when(iso: str | None) -> str:
    return f"{timezone.localtime(datetime.fromisoformat(iso)):%Y-%m-%d %H:%M}" if iso else ""


@staff_page(*selectors.VIEW_ROLES)
@require_GET
def ranking(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    default_month = selectors.month_shift(selectors.month_current(), -1)
    try:
        payload = selectors.assessment_ranking(user=user, month_raw=request.GET.get("month"))
    except ApplicationError as exc:  # a bad month (400), no unit (403)
        return application_error_page(request, exc)
    month = payload["month"]
    rows = payload["results"]
    part_keys = [i["rate_key"] for i in payload["rule_set"]["items"]] if payload["rule_set"] else []
    for row in rows:
        row["change"] = _change(row)
        row["part_list"] = [
            _part_cell(row["parts"].get(key) or {}, row["rate_parts"].get(key) or {}) for key in part_keys
        ]
        row["deducted"] = round(sum(d.get("points") or 0 for d in row["deductions"]), 2)
    scope_ids = None if payload["scope"] == "all" else selectors.assessment_scope(user)
    unit_code = (request.GET.get("unit") or "").strip()
    if not unit_code:
        if scope_ids is not None:
            unit_code = user.unit.code
        elif rows:
            unit_code = rows[0]["unit"]
    trend = None
    if unit_code:
        try:
            trend = selectors.assessment_trend(
                unit_code=unit_code,
                months=TREND_MONTHS,
                end=selectors.month_parse(month),
                unit_ids=scope_ids,
            )
        except ApplicationError as exc:
            return application_error_page(request, exc)
    chart = {
        "scores": [
            {"unit": r["unit"], "name": r["unit_name"], "score": r["score"], "rank": r["rank"]}
            for r in rows
            if r["rank"] is not None
        ],
        "trend": trend,
        "labels": _labels(),
    }
    units = [(r["unit"], r["unit_name"]) for r in rows]
    if trend and trend["unit"] not in {code for code, _name in units}:
        units.append((trend["unit"], trend["unit_name"]))
    context = {
        "month": month,
        "max_month": f"{selectors.month_current():%Y-%m}",
        "default_month": f"{default_month:%Y-%m}",
        "info": payload,
        "computed_at": _when(payload["computed_at"]),
        "rows": rows,
        "rules": payload["rule_set"],
        "part_headers": [(key, item_label(key)) for key in part_keys],
        "detail": _month_detail(next((r for r in rows if trend and r["unit"] == trend["unit"]), None), part_keys),
        "chart": chart,
        "units": units,
        "trend_unit": trend["unit"] if trend else "",
        "own_only": scope_ids is not None,
        "can_recompute": selectors.assessment_can_recompute(user),
    }
    return render(request, "assessment/ranking.html", context)


@staff_page(*selectors.RECOMPUTE_ROLES)
@require_POST
def recompute(request: HttpRequest) -> HttpResponse:
    """重新计算: replace the month's snapshot with one computed now (the service audits it)."""
    if not selectors.assessment_can_recompute(request.user):
        return forbidden(request)
    try:
        month = selectors.month_parse(request.POST.get("month"))
        results = services.assessment_compute(month, actor=request.user)
    except ApplicationError as exc:
        return application_error_page(request, exc)
    messages.success(
        request,
        _("The assessment of %(month)s was recomputed: %(count)s units.")
        % {"month": f"{month:%Y-%m}", "count": len(results)},
    )
    return HttpResponseRedirect(reverse("assessment:ranking") + "?" + urlencode({"month": f"{month:%Y-%m}"}))
