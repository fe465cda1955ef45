"""Reads of supervision, always through the viewer's visibility filter."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Case as CaseExpr
from django.db.models import IntegerField, QuerySet, Value, When

from govdesk.common import clock
from govdesk.workorders.models import WorkOrder
from govdesk.workorders.permissions import workorder_visibility_q

from .models import Escalation, EscalationStatus, SupervisionCase, SupervisionEntry
from .permissions import supervision_can_view_all, supervision_case_visibility_q
from .states import ACTIVE_STATUSES, CaseStatus

WORKLIST_LIMIT = 100
MOST_URGED_LIMIT = 20
CASE_RELATED = ("case", "case__primary_unit", "opened_by", "answered_by", "answered_unit")


def supervision_case_list(*, user: Any, filters: dict[str, Any] | None = None) -> QuerySet[SupervisionCase]:
    """The 督办 the user may see; open ones with an overdue answer first, then by answer deadline."""
    f = filters or {}
    qs = SupervisionCase.objects.filter(supervision_case_visibility_q(user)).select_related(*CASE_RELATED)
    if f.get("status"):
        qs = qs.filter(status__in=[s for s in str(f["status"]).split(",") if s])
    if f.get("overdue"):
        qs = qs.filter(status=CaseStatus.OPEN, answer_due_at__lt=clock.now())
    if f.get("order"):
        qs = qs.filter(case__number=f["order"])
    if f.get("unit"):
        qs = qs.filter(case__primary_unit__code=f["unit"])
    now = clock.now()
    return qs.annotate(
        overdue_rank=CaseExpr(
            When(status=CaseStatus.OPEN, answer_due_at__lt=now, then=Value(0)),
            default=Value(1),
            output_field=IntegerField(),
        )
    ).order_by("overdue_rank", "answer_due_at", "id")


def supervision_case_get(*, user: Any, case_id: int) -> SupervisionCase | None:
    return supervision_case_list(user=user).filter(pk=case_id).first()


def supervision_cases_for_order(*, user: Any, order: WorkOrder) -> list[SupervisionCase]:
    """The order's 督办 (newest first) with their entries, as the viewer may see them."""
    cases = list(
        SupervisionCase.objects.filter(supervision_case_visibility_q(user), case_id=order.pk)
        .select_related(*CASE_RELATED)
        .order_by("-opened_at", "-id")
    )
    entries: dict[int, list[SupervisionEntry]] = {}
    for entry in SupervisionEntry.objects.filter(supervision_case__in=cases).select_related("author", "unit"):
        entries.setdefault(entry.supervision_case_id, []).append(entry)
    for sc in cases:
        sc.entry_list = entries.get(sc.pk, [])  # type: ignore[attr-defined]
    return cases


def supervision_escalations_open(*, user: Any) -> QuerySet[Escalation]:
    if not supervision_can_view_all(user):
        return Escalation.objects.none()
    return (
        Escalation.objects.filter(status=EscalationStatus.OPEN)
        .select_related("case", "case__primary_unit")
        .order_by("escalated_at", "id")
    )


def supervision_most_urged(*, user: Any, limit: int = MOST_URGED_LIMIT) -> QuerySet[WorkOrder]:
    return (
        WorkOrder.objects.filter(workorder_visibility_q(user), is_open=True, urge_count__gt=0)
        .select_related("primary_unit", "category")
        .order_by("-urge_count", "due_at")[:limit]
    )


@dataclass(frozen=True)
class Worklist:
    escalations: list[Escalation]
    open_cases: list[SupervisionCase]
    answered_cases: list[SupervisionCase]
    most_urged: list[WorkOrder]


def supervision_worklist(*, user: Any) -> Worklist:
    """The supervisor's worklist: escalations not yet handled, open 督办 (answer overdue first), answers to review,
    and the orders urged most often."""
    cases = supervision_case_list(user=user)
    return Worklist(
        escalations=list(supervision_escalations_open(user=user)[:WORKLIST_LIMIT]),
        open_cases=list(cases.filter(status=CaseStatus.OPEN)[:WORKLIST_LIMIT]),
        answered_cases=list(cases.filter(status=CaseStatus.ANSWERED).order_by("answered_at", "id")[:WORKLIST_LIMIT]),
        most_urged=list(supervision_most_urged(user=user)),
    )


def supervision_unit_cases(*, user: Any) -> QuerySet[SupervisionCase]:
    """A unit's 督办 still to answer or under review (for the handler's inbox and /supervise/unit/)."""
    return supervision_case_list(user=user).filter(status__in=list(ACTIVE_STATUSES))
