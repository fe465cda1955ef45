"""What the staff pages and the statistics read about construction projects: the portfolio (who sees which project,
the filters, at-risk projects first, counts per type and stage), one project's timeline for its Gantt chart, and the
average approval time (平均审批用时) of the stages and projects done in a period.

Reads only. A unit's staff see the projects with a stage led by their unit or a part (an approval inside a stage)
handled by it; window clerks, supervisors and leaders see every project.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Avg, Count, Exists, Max, OuterRef, Q, QuerySet

from govdesk.applications.models import StatusChoices
from govdesk.applications.permissions import acting_unit_ids
from govdesk.calendar.selectors import calendar_get
from govdesk.common import clock
from govdesk.org.models import Role
from govdesk.packages.models import PackagePart, PartState
from govdesk.permits.models import Permit

from .models import FlowStage, Project, ProjectStage, ProjectType, ProjectUnit, StageStatus

# Who sees every project: the hall that registers them, and those who oversee the district.
ALL_PROJECT_ROLES = (Role.WINDOW_CLERK, Role.SUPERVISOR, Role.LEADER)
UNIT_ROLES = (Role.HANDLER, Role.UNIT_ADMIN)
PORTFOLIO_ROLES = (*ALL_PROJECT_ROLES, *UNIT_ROLES)
# The stages a project is "at": applied for or waiting for an application.
ACTIVE_STAGE_STATUSES = (StageStatus.OPEN, StageStatus.UNDER_WAY, StageStatus.NOT_PASSED)


def _at_units_q(unit_ids: set[int] | list[int]) -> Q:
    """Projects with a stage led by one of `unit_ids` or a part (an approval) handled by one of them: one lookup of
    the participation table (`ProjectUnit`, indexed by unit then project, kept by participation.py) instead of the
    join over stages, stage applications, parts and applications it records (docs/benchmarks.md)."""
    return Q(pk__in=ProjectUnit.objects.filter(unit_id__in=sorted(unit_ids)).values("project_id"))


def project_visibility_q(user: Any) -> Q:
    """A filter of Project for the projects `user` may see."""
    if not getattr(user, "is_authenticated", False):
        return Q(pk__in=[])
    if user.has_role(*ALL_PROJECT_ROLES):
        return Q()
    if user.has_role(*UNIT_ROLES):
        units = acting_unit_ids(user)
        if units:
            return _at_units_q(units)
    return Q(pk__in=[])


def project_can_view(user: Any, project: Project) -> bool:
    if not getattr(user, "is_authenticated", False) or not user.has_role(*PORTFOLIO_ROLES):
        return False
    if user.has_role(*ALL_PROJECT_ROLES):
        return True
    return Project.objects.filter(project_visibility_q(user), pk=project.pk).exists()


def portfolio_queryset(*, user: Any, filters: dict[str, Any] | None = None) -> QuerySet[Project]:
    """The projects `user` may see that match `filters`: `type` (code), `status`, `stage` (the number of a stage the
    project is at: open, under way or not passed), `unit_ids` (a stage or part at one of these units), `at_risk`
    (True), `q` (part of the code or the name). At-risk projects first, then the newest."""
    f = filters or {}
    qs = Project.objects.filter(project_visibility_q(user))
    if f.get("type"):
        qs = qs.filter(type__code=f["type"])
    if f.get("status"):
        qs = qs.filter(status=f["status"])
    if f.get("stage"):
        at_stage = ProjectStage.objects.filter(project=OuterRef("pk"), no=f["stage"], status__in=ACTIVE_STAGE_STATUSES)
        qs = qs.filter(Exists(at_stage))
    if f.get("unit_ids"):
        qs = qs.filter(_at_units_q(f["unit_ids"]))
    if f.get("at_risk"):
        qs = qs.filter(at_risk=True)
    if f.get("q"):
        text = str(f["q"])[:100]
        qs = qs.filter(Q(code__icontains=text) | Q(name__icontains=text))
    return qs.order_by("-at_risk", "-registered_at", "-id")


@dataclass
class PortfolioCounts:
    """Counts of the listed projects per type: per stage they are at (a project at two stages opened together
    counts at both), completed, and in all."""

    stage_nos: list[int]
    rows: list[dict[str, Any]]

    @property
    def total(self) -> int:
        """The number of projects listed (the list's paginator takes it instead of counting again)."""
        return sum(row["total"] for row in self.rows)


def project_portfolio_counts(projects: QuerySet[Project]) -> PortfolioCounts:
    """Per type: the projects of `projects` at each stage number, the completed ones and the total (two grouped
    queries over the filtered set)."""
    ids = projects.order_by().values("pk")
    totals = {
        row["type_id"]: row
        for row in Project.objects.filter(pk__in=ids)
        .values("type_id", "type__code", "type__name")
        .annotate(
            total=Count("pk"),
            completed=Count("pk", filter=Q(status="completed")),
            at_risk=Count("pk", filter=Q(at_risk=True)),
        )
        .order_by()
    }
    at_stage: dict[int, dict[int, int]] = defaultdict(dict)
    stage_nos: set[int] = set()
    for row in (
        ProjectStage.objects.filter(project__in=ids, status__in=ACTIVE_STAGE_STATUSES)
        .values("project__type_id", "no")
        .annotate(n=Count("project_id", distinct=True))
        .order_by()
    ):
        at_stage[row["project__type_id"]][row["no"]] = row["n"]
        stage_nos.add(row["no"])
    rows = []
    for type_id, row in sorted(totals.items(), key=lambda item: item[1]["type__code"]):
        rows.append(
            {
                "code": row["type__code"],
                "name": row["type__name"],
                "total": row["total"],
                "completed": row["completed"],
                "at_risk": row["at_risk"],
                "stages": [at_stage[type_id].get(no, 0) for no in sorted(stage_nos)],
            }
        )
    return PortfolioCounts(stage_nos=sorted(stage_nos), rows=rows)


def project_portfolio(*, user: Any, filters: dict[str, Any] | None = None) -> dict[str, Any]:
    """The portfolio: `projects` (a queryset, at-risk first, to paginate) and `counts` (per type and stage)."""
    projects = portfolio_queryset(user=user, filters=filters)
    return {"projects": projects, "counts": project_portfolio_counts(projects)}


def project_current_stages(projects: list[Project]) -> dict[int, list[ProjectStage]]:
    """The stages each of `projects` is at (one query), for a page of the list."""
    out: dict[int, list[ProjectStage]] = defaultdict(list)
    for stage in ProjectStage.objects.filter(
        project__in=[p.pk for p in projects], status__in=ACTIVE_STAGE_STATUSES
    ).order_by("project_id", "no"):
        out[stage.project_id].append(stage)
    return out


def project_find(*, user: Any, code: str) -> Project | None:
    """The project `code` if the user may see it."""
    return (
        Project.objects.filter(project_visibility_q(user), code=code[:40])
        .select_related("type", "registered_by")
        .first()
    )


# --- the timeline ---------------------------------------------------------------------------------------------------


@dataclass
class TimelinePart:
    """One approval inside a stage (a part application of the stage's package application)."""

    matter_name: str
    unit_name: str
    status: str
    number: str
    start: datetime | None
    end: datetime | None
    due: datetime | None
    over: bool
    reason: str = ""
    application: Any = None
    status_label: str = ""
    # The address of the approval's own page for this viewer ("" where they may not open it); the view fills it.
    link: str = ""


@dataclass
class TimelineStage:
    no: int
    name: str
    status: str
    status_label: str
    limit_days: int
    start: datetime | None
    end: datetime | None
    due: datetime | None
    done: bool
    over: bool
    elapsed_days: int | None
    lead_unit_name: str
    package_number: str = ""
    attempts: int = 0
    parts: list[TimelinePart] = field(default_factory=list)
    # The stage application's staff page for this viewer; the view fills it.
    link: str = ""


def _part_row(part: PackagePart, now: datetime) -> TimelinePart:
    application = part.application
    unit = application.primary_unit if application is not None else None
    unit = unit or part.matter.unit
    if application is None:
        return TimelinePart(
            status_label=str(dict(PartState.choices).get(part.state, part.state)),
            matter_name=part.matter.name,
            unit_name=unit.name if unit is not None else "",
            status=part.state,
            number="",
            start=None,
            end=None,
            due=None,
            over=False,
            reason=part.reason if part.state == PartState.CANCELLED else "",
        )
    start = application.accepted_at or application.created_at
    decided = application.decided_at
    end = decided or (now if application.is_open else application.closed_at) or now
    # Once decided, `due_at` is the delivery's deadline: the approval is judged by its decision's.
    due = application.decision_due_at if decided is not None else application.due_at
    return TimelinePart(
        matter_name=part.matter.name,
        unit_name=unit.name if unit is not None else "",
        status=application.status,
        number=application.number,
        start=start,
        end=end,
        due=due,
        over=due is not None and end > due,
        reason=application.decision_reason or "",
        application=application,
        status_label=str(dict(StatusChoices.choices).get(application.status, application.status)),
    )


def project_timeline(*, project: Project) -> list[TimelineStage]:
    """The project's stages in order, each with its span (acceptance, or opening, to done or now), its deadline and
    whether it ran over, and the approvals of its current attempt with theirs (three queries)."""
    now = clock.now()
    stages = list(
        ProjectStage.objects.filter(project=project)
        .select_related("flow_stage__package__lead_unit", "package_application")
        .annotate(attempt_count=Count("applications"))
        .order_by("no")
    )
    package_ids = [s.package_application_id for s in stages if s.package_application_id]
    parts_of: dict[int, list[PackagePart]] = defaultdict(list)
    for part in (
        PackagePart.objects.filter(package_application_id__in=package_ids)
        .select_related("matter__unit", "application__primary_unit")
        .order_by("order", "id")
    ):
        parts_of[part.package_application_id].append(part)
    labels = dict(StageStatus.choices)
    rows = []
    for stage in stages:
        start = stage.started_at or stage.opened_at
        done = stage.status == StageStatus.DONE
        end = stage.done_at if stage.done_at is not None else (now if start is not None else None)
        lead = stage.flow_stage.package.lead_unit
        rows.append(
            TimelineStage(
                no=stage.no,
                name=stage.name,
                status=stage.status,
                status_label=str(labels.get(stage.status, stage.status)),
                limit_days=stage.limit_days,
                start=start,
                end=end,
                due=stage.due_at,
                done=done,
                over=stage.due_at is not None and end is not None and end > stage.due_at,
                elapsed_days=stage.elapsed_days,
                lead_unit_name=lead.name if lead is not None else "",
                package_number=stage.package_application.number if stage.package_application else "",
                attempts=getattr(stage, "attempt_count", 0),
                parts=[_part_row(p, now) for p in parts_of.get(stage.package_application_id or 0, [])],
            )
        )
    return rows


def project_permits(*, project: Project) -> QuerySet[Permit]:
    """The permits issued for the project, oldest first."""
    return Permit.objects.filter(project=project).select_related("unit", "matter", "case").order_by("issued_at", "id")


# --- average approval time (平均审批用时) ---------------------------------------------------------------------------


def _day_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    tz = calendar_get().tz
    return datetime.combine(start, time.min, tzinfo=tz), datetime.combine(end + timedelta(days=1), time.min, tzinfo=tz)


def _average(value: float | None) -> float | None:
    return None if value is None else round(float(value), 2)


def project_average_times(*, start: date, end: date, type: str | None = None) -> dict[str, Any]:
    """The average approval time in working days (government time: acceptance to decision, less suspensions, as
    each stage counted it) of the stages done from `start` to `end` (local days, inclusive), per project type and
    stage; and of the projects completed in the period, per type (the sum of their stages' days). `type`: one
    type's code. Keys: `by_stage` [{type, type_name, no, name, limit_days, done, avg_days, max_days}], `by_type`
    [{type, name, total_limit_days, completed, avg_days, max_days}], `totals` {stages_done, projects_completed,
    avg_project_days}. A type with nothing done has its rows with zero counts and no average."""
    begin, stop = _day_bounds(start, end)
    types = ProjectType.objects.all()
    if type:
        types = types.filter(code=type)
    type_list = list(types.order_by("order", "code"))
    type_ids = [t.pk for t in type_list]
    stages_done = (
        ProjectStage.objects.filter(
            status=StageStatus.DONE,
            done_at__gte=begin,
            done_at__lt=stop,
            elapsed_days__isnull=False,
            project__type_id__in=type_ids,
        )
        .values("project__type_id", "no")
        .annotate(done=Count("pk"), avg=Avg("elapsed_days"), peak=Max("elapsed_days"))
        .order_by()
    )
    stage_figures = {(r["project__type_id"], r["no"]): r for r in stages_done}
    projects_done = (
        Project.objects.filter(status="completed", completed_at__gte=begin, completed_at__lt=stop, type_id__in=type_ids)
        .values("type_id")
        .annotate(done=Count("pk"), avg=Avg("elapsed_days"), peak=Max("elapsed_days"))
        .order_by()
    )
    project_figures = {r["type_id"]: r for r in projects_done}
    by_stage = []
    flow = FlowStage.objects.filter(project_type_id__in=type_ids).order_by(
        "project_type__order", "project_type__code", "no"
    )
    names = {t.pk: t for t in type_list}
    for stage in flow:
        figures = stage_figures.get((stage.project_type_id, stage.no)) or {}
        by_stage.append(
            {
                "type": names[stage.project_type_id].code,
                "type_name": names[stage.project_type_id].name,
                "no": stage.no,
                "name": stage.name,
                "limit_days": stage.limit_days,
                "done": figures.get("done", 0),
                "avg_days": _average(figures.get("avg")),
                "max_days": figures.get("peak"),
            }
        )
    by_type = []
    for project_type in type_list:
        figures = project_figures.get(project_type.pk) or {}
        by_type.append(
            {
                "type": project_type.code,
                "name": project_type.name,
                "total_limit_days": project_type.total_limit_days,
                "completed": figures.get("done", 0),
                "avg_days": _average(figures.get("avg")),
                "max_days": figures.get("peak"),
            }
        )
    completed = sum(r["completed"] for r in by_type)
    day_sum = sum((r["avg"] or 0) * r["done"] for r in project_figures.values())
    return {
        "filters": {"date_from": start.isoformat(), "date_to": end.isoformat(), "type": type or None},
        "by_stage": by_stage,
        "by_type": by_type,
        "totals": {
            "stages_done": sum(r["done"] for r in by_stage),
            "projects_completed": completed,
            "avg_project_days": round(day_sum / completed, 2) if completed else None,
        },
    }
