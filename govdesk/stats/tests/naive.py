"""Statistics computed the naive way, straight from the work orders and their timelines, for comparison in tests.

Deliberately independent of govdesk.stats.services: flags come from timeline events, not from the order's columns.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, timedelta
from typing import Any

from django.utils import timezone

from govdesk.cases.models import CaseEvent
from govdesk.workorders.models import WorkOrder


def _street(order: WorkOrder) -> int:
    unit = order.primary_unit
    if unit is not None and unit.kind == "street":
        return unit.pk
    if unit is not None and unit.kind == "community" and unit.parent and unit.parent.kind == "street":
        return unit.parent.pk
    from govdesk.catalog.selectors import street_for_address

    found = street_for_address(order.address) if order.address else None
    return found.pk if found else 0


def naive_order(order: WorkOrder) -> dict[str, Any]:
    events = list(CaseEvent.objects.filter(case=order).order_by("occurred_at", "id"))
    actions = [e.action for e in events]

    def last(*names: str) -> CaseEvent | None:
        found = [e for e in events if e.action in names]
        return found[-1] if found else None

    sign = last("sign")
    done = last("reply", "answer")
    last_reopen = last("reopen")
    visit = last("visit")
    if (
        visit is not None
        and last_reopen is not None
        and (last_reopen.occurred_at, last_reopen.pk)
        > (
            visit.occurred_at,
            visit.pk,
        )
    ):
        visit = None
    completed = order.status in ("replied", "closed") and "merge" not in actions
    parts = order.category.path.split("/")
    return {
        "day": timezone.localtime(order.created_at).date(),
        "unit": order.primary_unit_id or 0,
        "street": _street(order),
        "cat1": parts[0],
        "cat2": "/".join(parts[:2]),
        "leaf": order.category.path,
        "type": order.request_type.code,
        "channel": order.channel,
        "status": order.status,
        "dispatched": "dispatch" in actions,
        "signed": sign is not None,
        "signed_on_time": sign is not None and (order.sign_due_at is None or sign.occurred_at <= order.sign_due_at),
        "responded": sign is not None or "answer" in actions,
        "response_base": order.status != "cancelled" and "merge" not in actions,
        "completed": completed,
        "completed_on_time": completed
        and done is not None
        and (order.due_at is None or done.occurred_at <= order.due_at),
        "returned": "return" in actions,
        "merged": "merge" in actions,
        "replied": "reply" in actions,
        "visited": visit is not None,
        "resolved": visit is not None and visit.data.get("resolved") is True,
        "sat_answered": visit is not None and bool(visit.data.get("satisfaction")),
        "sat_positive": visit is not None and visit.data.get("satisfaction") in ("satisfied", "basically"),
    }


RATE_PARTS = {
    "sign_on_time": ("signed_on_time", "signed"),
    "finish_on_time": ("completed_on_time", "completed"),
    "response": ("responded", "response_base"),
    "resolution": ("resolved", "visited"),
    "satisfaction": ("sat_positive", "sat_answered"),
    "return": ("returned", "dispatched"),
    "repeat_call": ("merged", None),
    "visit": ("visited", "replied"),
}


def parts_of(facts: list[dict[str, Any]]) -> dict[str, dict[str, int]]:
    return {
        key: {
            "numerator": sum(1 for f in facts if f[num]),
            "denominator": len(facts) if den is None else sum(1 for f in facts if f[den]),
        }
        for key, (num, den) in RATE_PARTS.items()
    }


def naive_overview(
    *,
    date_from: date,
    date_to: date,
    unit_ids: set[int] | None = None,
    category: str | None = None,
    type_code: str | None = None,
    channel: str | None = None,
) -> dict[str, Any]:
    """The overview's cohort figures by brute force over every order."""
    facts = []
    for order in WorkOrder.objects.select_related("category", "request_type", "primary_unit__parent"):
        f = naive_order(order)
        if not date_from <= f["day"] <= date_to:
            continue
        if unit_ids is not None and f["unit"] not in unit_ids:
            continue
        if category and not (f["leaf"] == category or f["leaf"].startswith(category + "/")):
            continue
        if type_code and f["type"] != type_code:
            continue
        if channel and f["channel"] != channel:
            continue
        facts.append(f)
    level = category.count("/") + 1 if category else 0
    cat_key = {0: "cat1", 1: "cat2"}.get(level, "leaf")
    by_unit: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for f in facts:
        by_unit[f["unit"]].append(f)
    series: Counter[date] = Counter(f["day"] for f in facts)
    closed: Counter[date] = Counter(f["day"] for f in facts if f["status"] == "closed")
    days = (date_to - date_from).days + 1
    return {
        "total": len(facts),
        "rate_parts": parts_of(facts),
        "by_status": dict(Counter(f["status"] for f in facts)),
        "by_channel": dict(Counter(f["channel"] for f in facts)),
        "by_type": dict(Counter(f["type"] for f in facts)),
        "by_category": dict(Counter(f[cat_key] for f in facts)),
        "by_street": dict(Counter(f["street"] for f in facts if f["street"])),
        "by_unit": {u: (len(fs), parts_of(fs)) for u, fs in by_unit.items()},
        "days": {
            date_from + timedelta(days=i): (
                series[date_from + timedelta(days=i)],
                closed[date_from + timedelta(days=i)],
            )
            for i in range(days)
        },
    }
