"""Assessment reads: months, the rule set in force, a month's ranking (the statistics contract), a unit's trend."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from govdesk.common import clock
from govdesk.common.errors import ApplicationError, PermissionDenied, ValidationFailed
from govdesk.org.models import Role, Unit

from .items import ITEMS, SERVICE_ITEM_KEYS, item_figures, item_label
from .models import AssessmentResult, AssessmentRuleSet, DeductionKind, ScoringMethod

# Centre-wide readers; a unit administrator sees the rows of their own unit (and the units below it) only.
ALL_UNITS_ROLES = (Role.SUPERVISOR, Role.DISPATCHER, Role.LEADER)
VIEW_ROLES = (*ALL_UNITS_ROLES, Role.UNIT_ADMIN)
RECOMPUTE_ROLES = (Role.SUPERVISOR,)
MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")
FIRST_YEAR = 2000
TREND_MAX_MONTHS = 36


def month_current() -> date:
    return timezone.localdate(clock.now()).replace(day=1)


def month_shift(month: date, months: int) -> date:
    index = month.year * 12 + month.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def month_parse(raw: str | None, *, default: date | None = None, field: str = "month") -> date:
    """'YYYY-MM' → the month's first day. Months after the current one are refused (nothing to assess yet)."""
    value = (raw or "").strip()
    if not value and default is not None:
        return default
    match = MONTH_RE.match(value)
    month_no = int(match.group(2)) if match else 0
    if not match or not 1 <= month_no <= 12 or int(match.group(1)) < FIRST_YEAR:
        message = _("Give the month as YYYY-MM, for example 2026-10.")
        raise ValidationFailed(message, fields={field: [message]})
    month = date(int(match.group(1)), month_no, 1)
    if month > month_current():
        message = _("The month must not be in the future.")
        raise ValidationFailed(message, fields={field: [message]})
    return month


def rule_set_for_month(month: date) -> AssessmentRuleSet:
    """The active rule set if it has taken effect by `month`; before that, the latest earlier rule set in force then."""
    candidates = list(AssessmentRuleSet.objects.filter(effective_from__lte=month).order_by("-effective_from", "-pk"))
    for rule_set in candidates:
        if rule_set.active:
            return rule_set
    if candidates:
        return candidates[0]
    raise ApplicationError(_("No assessment rule set is in force for %(month)s.") % {"month": f"{month:%Y-%m}"})


def rule_set_describe(rule_set: AssessmentRuleSet) -> dict[str, Any]:
    """The rules as shown on the page and in the API: weights, methods with their formula, deductions."""
    labels = {i.key: str(i.label) for i in ITEMS}
    formulas = {i.key: str(i.formula) for i in ITEMS}
    items = []
    for item in rule_set.items.all():
        if item.method == ScoringMethod.RANGE:
            scoring = _("points = weight × (rate − %(floor)s) ÷ (%(target)s − %(floor)s), between 0 and the weight") % {
                "floor": _pct(item.floor),
                "target": _pct(item.target),
            }
        else:
            scoring = _("points = weight × rate")
        items.append(
            {
                "rate_key": item.rate_key,
                "label": labels.get(item.rate_key, item.rate_key),
                "weight": float(item.weight),
                "method": item.method,
                "floor": None if item.floor is None else float(item.floor),
                "target": None if item.target is None else float(item.target),
                "rate_formula": formulas.get(item.rate_key, ""),
                "scoring": scoring,
            }
        )
    deductions = []
    for d in rule_set.deductions.all():
        cap = "" if d.max_points is None else _(", at most %(max)s") % {"max": _num(d.max_points)}
        if d.kind == DeductionKind.RATE:
            text = _("−%(points)s per percentage point of %(rate)s") % {
                "points": _num(d.points),
                "rate": labels.get(d.rate_key, d.rate_key),
            }
        elif d.kind == DeductionKind.OVERDUE_OPEN:
            text = _("−%(points)s per overdue order still open at month end") % {"points": _num(d.points)}
        elif d.kind == DeductionKind.APPLICATION_OVERDUE_OPEN:
            text = _("−%(points)s per application still undecided past its deadline at month end") % {
                "points": _num(d.points)
            }
        elif d.kind == DeductionKind.BAD_RATING_JUSTIFIED:
            text = _("−%(points)s per bad rating of the month found justified") % {"points": _num(d.points)}
        else:
            text = _("−%(points)s per unjustified return") % {"points": _num(d.points)}
        deductions.append(
            {
                "kind": d.kind,
                "rate_key": d.rate_key or None,
                "label": labels.get(d.rate_key, "") if d.rate_key else str(DeductionKind(d.kind).label),
                "points": float(d.points),
                "max_points": None if d.max_points is None else float(d.max_points),
                "text": text + cap,
            }
        )
    return {
        "id": rule_set.pk,
        "name": rule_set.name,
        "version": rule_set.version,
        "effective_from": f"{rule_set.effective_from:%Y-%m}",
        "min_orders": rule_set.min_orders,
        "total_weight": sum(i["weight"] for i in items),
        "items": items,
        "deductions": deductions,
    }


def _pct(value: Any) -> str:
    return "—" if value is None else f"{float(value) * 100:g}%"


def _num(value: Any) -> str:
    return f"{float(value):g}"


# --- who sees what -------------------------------------------------------------------------------------------------


def assessment_scope(user: Any) -> frozenset[int] | None:
    """None: every unit; else the unit ids this user may see. Raises PermissionDenied for other roles."""
    if not getattr(user, "is_authenticated", False) or not user.has_role(*VIEW_ROLES):
        raise PermissionDenied(_("Your role does not allow viewing the unit assessment."))
    if user.has_role(*ALL_UNITS_ROLES):
        return None
    if user.unit is None:
        raise PermissionDenied(_("Your account has no unit."))
    return frozenset(user.unit.descendant_ids())


def assessment_can_recompute(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and user.has_role(*RECOMPUTE_ROLES)


# --- the ranking and the trend --------------------------------------------------------------------------------------


def _row(result: AssessmentResult, previous_rank: int | None) -> dict[str, Any]:
    return {
        "rank": result.rank,
        "unit": result.unit_code,
        "unit_name": result.unit_name,
        "score": float(result.score),
        "parts": {
            key: {"rate": part.get("rate"), "weight": part.get("weight"), "points": part.get("points")}
            for key, part in result.parts.items()
        },
        # The counts behind each part's rate: {"numerator", "denominator", "text": "12/15 按时"}.
        "rate_parts": {
            key: {
                "numerator": part.get("numerator", 0),
                "denominator": part.get("denominator", 0),
                "text": item_figures(key, part.get("numerator"), part.get("denominator")),
            }
            for key, part in result.parts.items()
        },
        "total": result.total,
        "applications": result.applications,
        "previous_rank": previous_rank,
        "ranked": result.ranked,
        "deductions": [_deduction_line(d) for d in result.deductions],
        "rule_set_version": result.rule_set_version,
    }


def _deduction_line(line: dict[str, Any]) -> dict[str, Any]:
    """A stored deduction with its label: the rate's for a deduction per percentage point, else the kind's."""
    kind = line.get("kind") or ""
    if kind == DeductionKind.RATE:
        label = item_label(line.get("rate_key") or "")
    else:
        label = str(DeductionKind(kind).label) if kind in DeductionKind.values else kind
    return {**line, "label": label}


def assessment_month(*, month: date, unit_ids: frozenset[int] | None = None) -> list[dict[str, Any]]:
    """The stored ranking of `month`: ranked units by rank, then the units not ranked (too few orders).

    Each row: rank, unit, unit_name, score, parts {rate_key: {rate, weight, points}}, total, previous_rank (the
    unit's rank the month before, None if it was not ranked then), plus rate_parts {rate_key: {numerator,
    denominator, text}}, applications (received), ranked, deductions (each with its label) and the rule set version.
    `unit_ids` limits the rows (a unit administrator's scope); ranks stay those of the whole district.
    """
    month = month.replace(day=1)
    results = AssessmentResult.objects.filter(month=month)
    if unit_ids is not None:
        results = results.filter(unit_id__in=sorted(unit_ids))
    rows = list(results)
    previous = dict(
        AssessmentResult.objects.filter(
            month=month_shift(month, -1), unit_id__in=[r.unit_id for r in rows], rank__isnull=False
        ).values_list("unit_id", "rank")
    )
    rows.sort(key=lambda r: (r.rank is None, r.rank or 0, -r.total, r.unit_code))
    return [_row(r, previous.get(r.unit_id)) for r in rows]


def assessment_month_info(*, month: date) -> dict[str, Any]:
    """When the month was computed, with which rules, and how many units were ranked (whole district)."""
    results = AssessmentResult.objects.filter(month=month.replace(day=1))
    latest = results.order_by("-computed_at").select_related("rule_set").first()
    return {
        "month": f"{month:%Y-%m}",
        "computed_at": latest.computed_at.isoformat() if latest else None,
        "rule_set_name": latest.rule_set_name if latest else None,
        "rule_set_version": latest.rule_set_version if latest else None,
        "units": results.count(),
        "ranked": results.filter(ranked=True).count(),
    }


def assessment_trend(
    *, unit_code: str, months: int = 12, end: date | None = None, unit_ids: frozenset[int] | None = None
) -> dict[str, Any]:
    """A unit's monthly score and rank over `months` months ending with `end` (default: this month), oldest first,
    with its applications received and the application and 好差评 rates (`service_rates`) the score was made of;
    months without a result have score and rank None."""
    if not 1 <= months <= TREND_MAX_MONTHS:
        message = _("Choose between 1 and %(max)s months.") % {"max": TREND_MAX_MONTHS}
        raise ValidationFailed(message, fields={"months": [message]})
    unit = Unit.objects.filter(code=unit_code).first() if unit_code else None
    if unit is None:
        message = _("Unknown unit.")
        raise ValidationFailed(message, fields={"unit": [message]})
    if unit_ids is not None and unit.pk not in unit_ids:
        raise PermissionDenied(_("You can see the assessment of your own unit only."))
    last = (end or month_current()).replace(day=1)
    first = month_shift(last, -(months - 1))
    stored = {
        r.month: r
        for r in AssessmentResult.objects.filter(unit=unit, month__gte=first, month__lte=last).only(
            "month", "score", "rank", "ranked", "total", "applications", "parts"
        )
    }
    points = []
    for i in range(months):
        month = month_shift(first, i)
        result = stored.get(month)
        points.append(
            {
                "month": f"{month:%Y-%m}",
                "score": float(result.score) if result else None,
                "rank": result.rank if result else None,
                "ranked": result.ranked if result else None,
                "total": result.total if result else None,
                "applications": result.applications if result else None,
                # The application and 好差评 rates of the month (None: not weighted then, or nothing to count).
                "service_rates": {key: _stored_rate(result, key) for key in SERVICE_ITEM_KEYS},
            }
        )
    return {"unit": unit.code, "unit_name": unit.name, "months": points}


def _stored_rate(result: AssessmentResult | None, key: str) -> float | None:
    part = result.parts.get(key) if result else None
    return part.get("rate") if isinstance(part, dict) else None


def assessment_ranking(*, user: Any, month_raw: str | None) -> dict[str, Any]:
    """A month's ranking as the user may see it, with the rules in force: what the ranking API answers, the page
    shows and the Excel export holds."""
    scope = assessment_scope(user)
    month = month_parse(month_raw, default=month_shift(month_current(), -1))
    info = assessment_month_info(month=month)
    try:
        rules: dict[str, Any] | None = rule_set_describe(rule_set_for_month(month))
    except ApplicationError:  # no rule set in force for that month: the ranking still answers, without rules
        rules = None
    return {
        **info,
        "scope": "all" if scope is None else "own",
        "rule_set": rules,
        "results": assessment_month(month=month, unit_ids=scope),
    }
