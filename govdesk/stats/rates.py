"""The eight rates of DOMAIN.md §2: keys (fixed, shared by the dashboard, assessment and reports), labels, formulas.

Every rate is numerator / denominator over the orders RECEIVED in the period (the cohort rule), read from the
rollup counters named here; null when the denominator is 0. The flags behind the counters are computed in
`services.fact_compute`; docs/statistics.md explains each one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Rate:
    key: str
    label: Promise
    formula: Promise
    numerator: str  # a rollup counter
    denominator: str


RATES: tuple[Rate, ...] = (
    Rate(
        "sign_on_time",
        _("On-time sign-for rate"),
        _("Orders signed for by their sign-for deadline / orders signed for"),
        "signed_on_time",
        "signed",
    ),
    Rate(
        "finish_on_time",
        _("On-time completion rate"),
        _(
            "Orders completed (replied, or answered directly) by their completion deadline, extensions included / "
            "orders completed"
        ),
        "completed_on_time",
        "completed",
    ),
    Rate(
        "response",
        _("Response rate"),
        _("Orders signed for or answered directly / orders received, excluding cancelled and merged orders"),
        "responded",
        "response_base",
    ),
    Rate(
        "resolution",
        _("Resolution rate"),
        _("Orders the citizen said were resolved at the return visit / orders visited"),
        "resolved",
        "visited",
    ),
    Rate(
        "satisfaction",
        _("Satisfaction rate"),
        _("Orders visited with satisfied or basically satisfied / orders visited with a satisfaction answer"),
        "sat_positive",
        "sat_answered",
    ),
    Rate(
        "return",
        _("Return rate"),
        _("Orders returned by a unit at least once / orders dispatched"),
        "returned",
        "dispatched",
    ),
    Rate(
        "repeat_call",
        _("Repeat-call rate"),
        _("Orders merged into another order as duplicates / orders received"),
        "merged",
        "total",
    ),
    Rate(
        "visit",
        _("Return-visit rate"),
        _("Orders visited / orders that reached the return-visit stage (replied)"),
        "visited",
        "replied",
    ),
)
RATE_KEYS = tuple(r.key for r in RATES)


def rate_value(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


def rates_from(counters: dict[str, int]) -> tuple[dict[str, float | None], dict[str, dict[str, int]]]:
    """(rates, rate_parts) from summed rollup counters."""
    parts = {
        r.key: {"numerator": counters.get(r.numerator, 0), "denominator": counters.get(r.denominator, 0)} for r in RATES
    }
    return {k: rate_value(p["numerator"], p["denominator"]) for k, p in parts.items()}, parts


def rate_definitions() -> list[dict[str, Any]]:
    return [{"key": r.key, "label": str(r.label), "formula": str(r.formula)} for r in RATES]
