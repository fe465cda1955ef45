"""Assessment writes: compute a month's scores and store them as that month's snapshot (audited)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils.translation import gettext as _

from govdesk.audit.services import audit_append
from govdesk.cases.models import Case, CaseEvent
from govdesk.common import clock
from govdesk.org.models import Unit
from govdesk.stats.selectors import stats_unit_rates
from govdesk.workorders.states import Action, Status

from .models import AssessmentResult, AssessmentRuleSet, DeductionKind
from .scoring import DeductionRule, ItemRule, competition_ranks, score_unit
from .selectors import month_shift, rule_set_for_month

Progress = Callable[[str], None]
# Statuses in which an order waits for its unit (not for the centre or the citizen).
UNIT_OPEN_STATUSES = (Status.DISPATCHED, Status.HANDLING)


def _month_start(month: date) -> datetime:
    return datetime.combine(month, time.min, tzinfo=ZoneInfo(settings.TIME_ZONE))


def _overdue_open_counts(month: date, unit_ids: list[int]) -> dict[int, int]:
    """Per (current) primary unit: orders past their completion deadline whose status at month end was still one in
    which the unit owed the work (its last status change before month end led to 待签收 or 办理中)."""
    end = _month_start(month_shift(month, 1))
    last_status = (
        CaseEvent.objects.filter(case=OuterRef("pk"), occurred_at__lt=end)
        .exclude(to_status="")
        .order_by("-occurred_at", "-pk")
        .values("to_status")[:1]
    )
    rows = (
        Case.objects.filter(primary_unit_id__in=unit_ids, created_at__lt=end, due_at__lt=end)
        .annotate(status_then=Subquery(last_status))
        .filter(status_then__in=[str(s) for s in UNIT_OPEN_STATUSES])
        .values_list("primary_unit_id", flat=True)
    )
    return dict(Counter(rows))


def _rejected_return_counts(month: date) -> dict[str, int]:
    """Per unit code: returns (退单) in the month that the dispatcher rejected (sent back as unjustified)."""
    start, end = _month_start(month), _month_start(month_shift(month, 1))
    events = CaseEvent.objects.filter(
        action=str(Action.REVIEW_RETURN), occurred_at__gte=start, occurred_at__lt=end
    ).values_list("data", flat=True)
    return dict(
        Counter(
            str(d["unit"]) for d in events if isinstance(d, dict) and d.get("decision") == "rejected" and d.get("unit")
        )
    )


def _rules(rule_set: AssessmentRuleSet) -> tuple[list[ItemRule], list[DeductionRule]]:
    def f(value: Decimal | None) -> float | None:
        return None if value is None else float(value)

    items = [
        ItemRule(i.rate_key, float(i.weight), i.method, f(i.floor), f(i.target))
        for i in rule_set.items.all().order_by("pk")
    ]
    deductions = [
        DeductionRule(d.kind, float(d.points), d.rate_key, f(d.max_points))
        for d in rule_set.deductions.all().order_by("pk")
    ]
    return items, deductions


def assessment_compute(
    month: date,
    rule_set: AssessmentRuleSet | None = None,
    *,
    actor: Any = None,
    progress: Progress | None = None,
) -> list[AssessmentResult]:
    """Score every unit that received orders in `month` and store the month's snapshot, replacing an earlier one.

    The rates are `stats.selectors.stats_unit_rates` over the month (Asia/Shanghai days); the rule set is the one in
    force for the month unless given. Units with fewer orders than the rule set's minimum are stored but not ranked.
    The replacement and its audit event are one transaction. Raises ApplicationError when no rule set is in force.
    """
    month = month.replace(day=1)
    say = progress or (lambda _message: None)
    rule_set = rule_set or rule_set_for_month(month)
    last_day = month_shift(month, 1).toordinal() - 1
    rows = stats_unit_rates(date_from=month, date_to=date.fromordinal(last_day))
    say(f"{month:%Y-%m}: {len(rows)} units with orders; rule set {rule_set}")
    with transaction.atomic():
        # The rule set's row lock serialises concurrent recomputes (the periodic job and a supervisor's button).
        rule_set = AssessmentRuleSet.objects.select_for_update().get(pk=rule_set.pk)
        items, deductions = _rules(rule_set)
        units = {u.code: u for u in Unit.objects.filter(code__in=[r["unit"] for r in rows])}
        kinds = {d.kind for d in deductions}
        overdue = (
            _overdue_open_counts(month, [u.pk for u in units.values()]) if DeductionKind.OVERDUE_OPEN in kinds else {}
        )
        rejected = _rejected_return_counts(month) if DeductionKind.RETURN_REJECTED in kinds else {}
        now = clock.now()
        results: list[AssessmentResult] = []
        for index, row in enumerate(rows, start=1):
            unit = units.get(row["unit"])
            if unit is None:
                continue
            counts = {
                DeductionKind.OVERDUE_OPEN.value: overdue.get(unit.pk, 0),
                DeductionKind.RETURN_REJECTED.value: rejected.get(unit.code, 0),
            }
            score = score_unit(items, deductions, rates=row["rates"], rate_parts=row["rate_parts"], counts=counts)
            results.append(
                AssessmentResult(
                    month=month,
                    unit=unit,
                    unit_code=unit.code,
                    unit_name=unit.name,
                    total=row["total"],
                    score=Decimal(str(score.score)),
                    ranked=row["total"] >= rule_set.min_orders,
                    parts=score.parts,
                    deductions=score.deductions,
                    rule_set=rule_set,
                    rule_set_name=rule_set.name,
                    rule_set_version=rule_set.version,
                    computed_at=now,
                    computed_by=actor if getattr(actor, "is_authenticated", False) else None,
                )
            )
            if index % 50 == 0:
                say(f"  scored {index}/{len(rows)}")
        ranks = competition_ranks([(r.unit_code, float(r.score), r.total) for r in results if r.ranked])
        for result in results:
            result.rank = ranks.get(result.unit_code)
        replaced, _by_model = AssessmentResult.objects.filter(month=month).delete()
        AssessmentResult.objects.bulk_create(results)
        audit_append(
            action="assessment.compute",
            actor=actor,
            object_type="assessment_month",
            object_id=f"{month:%Y-%m}",
            note=_("%(units)s units scored (%(ranked)s ranked) with rule set %(rule_set)s; %(replaced)s replaced")
            % {"units": len(results), "ranked": len(ranks), "rule_set": str(rule_set), "replaced": replaced},
        )
    say(f"{month:%Y-%m}: {len(results)} units scored, {len(ranks)} ranked, {replaced} earlier results replaced")
    return results


def assessment_rule_set_touch(rule_set: AssessmentRuleSet) -> AssessmentRuleSet:
    """Record an edit of a rule set or its items (the admin calls this): its version goes up by one, so every stored
    result names the exact rules it was computed with."""
    with transaction.atomic():
        locked = AssessmentRuleSet.objects.select_for_update().get(pk=rule_set.pk)
        locked.version += 1
        locked.save(update_fields=["version", "updated_at"])
    rule_set.version = locked.version
    return rule_set
