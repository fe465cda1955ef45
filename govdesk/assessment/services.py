"""Assessment writes: compute a month's scores and store them as that month's snapshot (audited)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import Count, OuterRef, Q, Subquery
from django.utils.translation import gettext as _

from govdesk.audit.services import audit_append
from govdesk.cases.models import Case, CaseEvent, CaseKind
from govdesk.common import clock
from govdesk.common.errors import ValidationFailed
from govdesk.evaluations.models import BAD_LEVEL_MAX, Evaluation, Verification
from govdesk.evaluations.selectors import RateRow, evaluation_rates
from govdesk.org.models import Unit
from govdesk.stats.selectors import stats_application_unit_rates, stats_unit_rates
from govdesk.workorders.states import Action, Status

from .items import APPLICATION_ON_TIME, EVALUATION_SATISFACTION, RECTIFICATION_ON_TIME, SERVICE_ITEM_KEYS
from .models import AssessmentDeduction, AssessmentResult, AssessmentRuleItem, AssessmentRuleSet, DeductionKind
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
        # Work orders only: applications and rectifications are cases too, and an application's status "handling"
        # has the same name (overdue applications are their own deduction, from the statistics).
        Case.objects.filter(kind=CaseKind.WORKORDER, primary_unit_id__in=unit_ids, created_at__lt=end, due_at__lt=end)
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


def _justified_bad_rating_counts(month: date) -> dict[int, int]:
    """Per responsible unit: bad ratings (差评) given in the month that the supervisor found justified. Ratings of a
    rectification rate the rectification, not the service, and are left out (as in `evaluation_rates`)."""
    start, end = _month_start(month), _month_start(month_shift(month, 1))
    rows = (
        Evaluation.objects.filter(
            created_at__gte=start,
            created_at__lt=end,
            level__lte=BAD_LEVEL_MAX,
            verification=Verification.JUSTIFIED,
            unit__isnull=False,
        )
        .exclude(case__kind=CaseKind.RECTIFICATION)
        .values_list("unit_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {unit_id: n for unit_id, n in rows}


@dataclass
class _UnitFigures:
    """Everything a unit is scored on in one month: the work-order rates and the service-hall items, each a rate
    (None: nothing to count) with its numerator and denominator, and the counts the deductions multiply."""

    total: int = 0
    applications: int = 0
    rates: dict[str, float | None] = field(default_factory=dict)
    rate_parts: dict[str, dict[str, int]] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)

    def put(self, key: str, rate: float | None, numerator: int, denominator: int) -> None:
        self.rates[key] = rate
        self.rate_parts[key] = {"numerator": numerator, "denominator": denominator}


def _service_figures(figures: _UnitFigures, application: dict[str, Any] | None, rating: RateRow | None) -> _UnitFigures:
    """Add the application and 好差评 items to a unit's figures: the rates as the statistics give them (None when
    the unit decided no application or had no rating, so the item is left out and not held against it)."""
    if application is not None:
        figures.applications = int(application["received"])
        figures.put(
            APPLICATION_ON_TIME,
            application["on_time"],
            int(application["decided_on_time"]),
            int(application["decided"]),
        )
        figures.counts[DeductionKind.APPLICATION_OVERDUE_OPEN.value] = int(application["overdue_at_end"])
    else:
        figures.put(APPLICATION_ON_TIME, None, 0, 0)
    if rating is not None:
        figures.put(EVALUATION_SATISFACTION, rating.satisfaction_rate, rating.satisfied, rating.total)
        figures.put(
            RECTIFICATION_ON_TIME, rating.on_time_rate, rating.rectifications_on_time, rating.rectifications_due
        )
    else:
        figures.put(EVALUATION_SATISFACTION, None, 0, 0)
        figures.put(RECTIFICATION_ON_TIME, None, 0, 0)
    return figures


def _has_service_figures(figures: _UnitFigures, items: list[ItemRule]) -> bool:
    """A unit without work orders is scored only when one of the rule set's application or 好差评 items has data for
    it: scored on nothing, it would sit at the bottom with 0 (or only deductions) for no reason."""
    return any(figures.rates.get(i.rate_key) is not None for i in items if i.rate_key in SERVICE_ITEM_KEYS)


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
    """Score every unit that received orders in `month` (and every unit the rule set's application and 好差评
    items have data for) and store the month's snapshot, replacing an earlier one.

    The figures come from the statistics over the month (Asia/Shanghai days): work-order rates from
    `stats.selectors.stats_unit_rates`, application figures from `stats.selectors.stats_application_unit_rates`,
    ratings and rectifications from `evaluations.selectors.evaluation_rates`. The rule set is the one in force for
    the month unless given. Units with fewer orders and applications (together) than its minimum are stored but not
    ranked. The replacement and its audit event are one transaction. Raises ApplicationError when no rule set is in
    force.
    """
    month = month.replace(day=1)
    say = progress or (lambda _message: None)
    rule_set = rule_set or rule_set_for_month(month)
    last_day = date.fromordinal(month_shift(month, 1).toordinal() - 1)
    rows = stats_unit_rates(date_from=month, date_to=last_day)
    applications = {int(r["unit_id"]): r for r in stats_application_unit_rates(date_from=month, date_to=last_day)}
    ratings = {int(r.key): r for r in evaluation_rates((month, last_day)).by_unit if r.key}
    say(f"{month:%Y-%m}: {len(rows)} units with orders, {len(applications)} with applications; rule set {rule_set}")
    with transaction.atomic():
        # The rule set's row lock serialises concurrent recomputes (the periodic job and a supervisor's button).
        rule_set = AssessmentRuleSet.objects.select_for_update().get(pk=rule_set.pk)
        items, deductions = _rules(rule_set)
        by_code = {r["unit"]: r for r in rows if r["unit"]}
        units = {u.pk: u for u in Unit.objects.filter(Q(code__in=list(by_code)) | Q(pk__in=[*applications, *ratings]))}
        kinds = {d.kind for d in deductions}
        overdue = _overdue_open_counts(month, list(units)) if DeductionKind.OVERDUE_OPEN in kinds else {}
        rejected = _rejected_return_counts(month) if DeductionKind.RETURN_REJECTED in kinds else {}
        justified_bad = _justified_bad_rating_counts(month) if DeductionKind.BAD_RATING_JUSTIFIED in kinds else {}
        now = clock.now()
        results: list[AssessmentResult] = []
        for index, unit in enumerate(sorted(units.values(), key=lambda u: u.code), start=1):
            row = by_code.get(unit.code)
            figures = _UnitFigures(
                total=row["total"] if row else 0,
                rates=dict(row["rates"]) if row else {},
                rate_parts=dict(row["rate_parts"]) if row else {},
                counts={
                    DeductionKind.OVERDUE_OPEN.value: overdue.get(unit.pk, 0),
                    DeductionKind.RETURN_REJECTED.value: rejected.get(unit.code, 0),
                    DeductionKind.APPLICATION_OVERDUE_OPEN.value: 0,
                    DeductionKind.BAD_RATING_JUSTIFIED.value: justified_bad.get(unit.pk, 0),
                },
            )
            _service_figures(figures, applications.get(unit.pk), ratings.get(unit.pk))
            if row is None and not _has_service_figures(figures, items):
                continue
            score = score_unit(
                items, deductions, rates=figures.rates, rate_parts=figures.rate_parts, counts=figures.counts
            )
            results.append(
                AssessmentResult(
                    month=month,
                    unit=unit,
                    unit_code=unit.code,
                    unit_name=unit.name,
                    total=figures.total,
                    applications=figures.applications,
                    score=Decimal(str(score.score)),
                    ranked=figures.total + figures.applications >= rule_set.min_orders,
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
                say(f"  scored {index}/{len(units)}")
        ranks = competition_ranks(
            [(r.unit_code, float(r.score), r.total + r.applications) for r in results if r.ranked]
        )
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


@dataclass(frozen=True)
class ItemSpec:
    """A weighted item of a new rule set: the key of `items.ITEMS`, its weight and method, floor and target rates."""

    rate_key: str
    weight: str
    method: str = "linear"
    floor: str | None = None
    target: str | None = None


@dataclass(frozen=True)
class DeductionSpec:
    kind: str
    points: str
    rate_key: str = ""
    max_points: str | None = None


def assessment_rule_set_create(
    *,
    name: str,
    effective_from: date,
    items: Sequence[ItemSpec],
    deductions: Sequence[DeductionSpec] = (),
    min_orders: int = 10,
    activate: bool = False,
    description: str = "",
    actor: Any = None,
) -> AssessmentRuleSet:
    """A new rule set with its items and deductions in one audited step; `activate` retires the active one (one
    active rule set, a partial unique constraint). The values are the admin's: a rate key of `items.ITEMS`, weights
    and points ≥ 0, floor below target for the floor/target method."""

    def dec(value: str | None) -> Decimal | None:
        return None if value is None else Decimal(value)

    with transaction.atomic():
        if activate:
            AssessmentRuleSet.objects.select_for_update().filter(active=True).update(active=False)
        rule_set = AssessmentRuleSet.objects.create(
            name=name,
            active=activate,
            effective_from=effective_from.replace(day=1),
            min_orders=min_orders,
            description=description,
        )
        rows: list[AssessmentRuleItem | AssessmentDeduction] = [
            AssessmentRuleItem(
                rule_set=rule_set,
                rate_key=item.rate_key,
                weight=Decimal(item.weight),
                method=item.method,
                floor=dec(item.floor),
                target=dec(item.target),
            )
            for item in items
        ]
        rows += [
            AssessmentDeduction(
                rule_set=rule_set,
                kind=d.kind,
                rate_key=d.rate_key,
                points=Decimal(d.points),
                max_points=dec(d.max_points),
            )
            for d in deductions
        ]
        for row in rows:
            try:
                row.full_clean()  # choices, bounds and constraints: a wrong key or a bad rate stores nothing
            except DjangoValidationError as exc:
                fields = {k: [str(m) for m in v] for k, v in exc.message_dict.items()}
                raise ValidationFailed(
                    _("The rule set is not valid: %(errors)s")
                    % {"errors": "; ".join(f"{k}: {' '.join(v)}" for k, v in fields.items())},
                    fields=fields,
                ) from exc
            row.save()
        audit_append(
            action="assessment.rule_set_create",
            actor=actor,
            object_type="assessment_rule_set",
            object_id=str(rule_set.pk),
            note=_("Rule set %(name)s: %(items)s items, %(deductions)s deductions%(active)s")
            % {
                "name": name,
                "items": len(items),
                "deductions": len(deductions),
                "active": _(", active") if activate else "",
            },
        )
    return rule_set
