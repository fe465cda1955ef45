"""Reads of supervision, always through the viewer's visibility filter: work orders and applications alike, and the
case kinds registered with `cases.services.case_kind_supervision_add` (units' reports, knowledge revisions), which
supervision knows only through their registration: label, page URL, status names, the statuses the unit owes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Case as CaseExpr
from django.db.models import Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.urls import reverse

from govdesk.cases.models import Case, CaseEvent, CaseKind
from govdesk.cases.services import case_kind_supervision_for, case_kind_supervisions
from govdesk.common import clock
from govdesk.workorders.models import WorkOrder
from govdesk.workorders.permissions import workorder_visibility_q

from .models import Escalation, EscalationStatus, SupervisionCase, SupervisionEntry
from .permissions import supervision_case_visibility_q, supervision_kinds
from .states import ACTIVE_STATUSES, CaseStatus

WORKLIST_LIMIT = 100
WATCH_LIMIT = 100
CHART_UNITS = 10
# The kinds a 督办 may be opened on (and whose pages and status names supervision knows itself).
KINDS = (CaseKind.WORKORDER.value, CaseKind.APPLICATION.value)
MOST_URGED_LIMIT = 20
CASE_RELATED = ("case", "case__primary_unit", "opened_by", "answered_by", "answered_unit")


def supervision_kind_values() -> list[str]:
    """Every kind supervision covers: work orders, applications, then the registered kinds."""
    return [*KINDS, *(r.kind for r in case_kind_supervisions())]


def case_kind_text(kind: str) -> str:
    """The kind's name on the supervision pages (a registered kind's own label, e.g. 填报任务)."""
    registered = case_kind_supervision_for(kind)
    if registered is not None:
        return registered.label_text()
    return str(CaseKind(kind).label) if kind in CaseKind.values else kind


def case_page_url(case: Case) -> str:
    """The staff page of a supervised case: the work order's, the application's, or the one its kind registered
    ("" when a registered kind has none)."""
    if case.kind == CaseKind.APPLICATION:
        return reverse("applications:detail", args=[case.number])
    if case.kind == CaseKind.WORKORDER:
        return reverse("workorders:detail", args=[case.number])
    registered = case_kind_supervision_for(case.kind)
    if registered is not None:
        return registered.url(case) if registered.url is not None else ""
    return reverse("workorders:detail", args=[case.number])


def _kinds_q(kinds: list[str]) -> Q:
    """Cases of these kinds; a registered kind's only in the statuses its unit owes (a report waiting for the office
    is no longer the unit's to do, so it leaves the watch list even if it was urged)."""
    q = Q(kind__in=[k for k in kinds if k in KINDS])
    for kind in kinds:
        registered = case_kind_supervision_for(kind)
        if registered is not None:
            q |= Q(kind=kind, status__in=list(registered.unit_owes_statuses))
    return q


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
    if f.get("kind"):
        qs = qs.filter(case__kind=f["kind"])
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


def supervision_cases_for_order(*, user: Any, order: Case) -> list[SupervisionCase]:
    """The case's 督办 (newest first; a work order's or an application's) with their entries, as the viewer may see
    them."""
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


def supervision_escalations_open(*, user: Any, kind: str = "") -> QuerySet[Escalation]:
    kinds = [k for k in supervision_kinds(user) if not kind or k == kind]
    if not kinds:
        return Escalation.objects.none()
    return (
        Escalation.objects.filter(status=EscalationStatus.OPEN, case__kind__in=kinds)
        .select_related("case", "case__primary_unit")
        .order_by("escalated_at", "id")
    )


def supervision_most_urged(*, user: Any, limit: int = MOST_URGED_LIMIT) -> QuerySet[WorkOrder]:
    return (
        WorkOrder.objects.filter(workorder_visibility_q(user), is_open=True, urge_count__gt=0)
        .select_related("primary_unit", "category")
        .order_by("-urge_count", "due_at")[:limit]
    )


def _urges_count() -> Any:
    """How often a case was urged (by a person or the sweep): its "urge" events. Work orders also keep the count in
    `urge_count`; applications have no such column, and the timeline is the same for both."""
    urges = (
        CaseEvent.objects.filter(case_id=OuterRef("pk"), action="urge")
        .order_by()
        .values("case_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(urges, output_field=IntegerField()), Value(0))


def supervision_watch_list(*, user: Any, kind: str = "") -> QuerySet[Case]:
    """Open work orders and applications that are overdue or were urged, as the user may see them (supervisors:
    both kinds; dispatchers: work orders), overdue first, then by deadline; each with `urges`."""
    kinds = [k for k in supervision_kinds(user) if not kind or k == kind]
    if not kinds:
        return Case.objects.none()
    urged = Exists(CaseEvent.objects.filter(case_id=OuterRef("pk"), action="urge"))
    return (
        Case.objects.filter(_kinds_q(kinds), is_open=True)
        .filter(Q(is_overdue=True) | Q(urged))
        .select_related("primary_unit")
        .annotate(urges=_urges_count())
        .order_by("-is_overdue", "due_at", "id")
    )


def supervision_overdue_by_unit(*, user: Any, kind: str = "") -> list[tuple[str, int]]:
    """Overdue open cases per primary unit (the units with most first), for the worklist's chart."""
    kinds = [k for k in supervision_kinds(user) if not kind or k == kind]
    if not kinds:
        return []
    rows = (
        Case.objects.filter(_kinds_q(kinds), is_open=True, is_overdue=True)
        .values("primary_unit__name")
        .annotate(n=Count("pk"))
        .order_by("-n", "primary_unit__name")[:CHART_UNITS]
    )
    return [(row["primary_unit__name"] or "—", row["n"]) for row in rows]


def supervision_case_urges(*, case: Case) -> list[CaseEvent]:
    """The case's urges (people's and the sweep's), newest first: the caller shows them only on the case's own page,
    to whoever may see the case."""
    return list(
        CaseEvent.objects.filter(case_id=case.pk, action="urge")
        .select_related("actor", "actor_unit")
        .order_by("-occurred_at", "-id")
    )


@dataclass(frozen=True)
class Worklist:
    escalations: list[Escalation]
    open_cases: list[SupervisionCase]
    answered_cases: list[SupervisionCase]
    most_urged: list[WorkOrder]
    watch: list[Case]


def supervision_worklist(*, user: Any, kind: str = "") -> Worklist:
    """The supervisor's worklist: escalations not yet handled, open 督办 (answer overdue first), answers to review,
    the orders urged most often, and the overdue or urged cases of either kind; `kind` narrows it to one kind."""
    cases = supervision_case_list(user=user, filters={"kind": kind})
    return Worklist(
        escalations=list(supervision_escalations_open(user=user, kind=kind)[:WORKLIST_LIMIT]),
        open_cases=list(cases.filter(status=CaseStatus.OPEN)[:WORKLIST_LIMIT]),
        answered_cases=list(cases.filter(status=CaseStatus.ANSWERED).order_by("answered_at", "id")[:WORKLIST_LIMIT]),
        most_urged=list(supervision_most_urged(user=user)) if kind in ("", CaseKind.WORKORDER) else [],
        watch=list(supervision_watch_list(user=user, kind=kind)[:WATCH_LIMIT]),
    )


def supervision_registered_due(*, user: Any) -> list[Case]:
    """For the overdue and due-soon page: the open cases of the registered kinds (supervisors only) that are overdue
    or due soon while their unit owes them, overdue first; each with `urges` and `escalated` (an open escalation)."""
    kinds = [k for k in supervision_kinds(user) if k not in KINDS]
    if not kinds:
        return []
    escalated = Exists(Escalation.objects.filter(case_id=OuterRef("pk"), status=EscalationStatus.OPEN))
    return list(
        Case.objects.filter(_kinds_q(kinds), is_open=True)
        .filter(Q(is_overdue=True) | Q(is_due_soon=True))
        .select_related("primary_unit")
        .annotate(urges=_urges_count(), escalated=escalated)
        .order_by("-is_overdue", "due_at", "id")[:WATCH_LIMIT]
    )


def supervision_unit_cases(*, user: Any) -> QuerySet[SupervisionCase]:
    """A unit's 督办 still to answer or under review (for the handler's inbox and /supervise/unit/)."""
    return supervision_case_list(user=user).filter(status__in=list(ACTIVE_STATUSES))
