"""Reads of reporting, always through the viewer's visibility: a unit's reports, the office's tasks with their
progress, one report with its versions, what changed, and the unit's rows of the period before."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Count, Q, QuerySet

from govdesk.cases.models import CaseEvent
from govdesk.common import clock
from govdesk.ledgers.kinds import LEDGER_KINDS, LedgerKind

from .models import Report, ReportingTask, ReportVersion
from .permissions import report_reads_all, report_unit_id, report_visibility_q
from .states import OPEN_STATUSES, UNIT_OWES_STATUSES, Status


def report_list(*, user: Any) -> QuerySet[Report]:
    """The reports the user may see: open ones first (nearest deadline first), then the closed, newest first."""
    return (
        Report.objects.filter(report_visibility_q(user))
        .select_related("task", "unit")
        .order_by("-is_open", "due_at", "-created_at", "-pk")
    )


def report_get(*, user: Any, number: str) -> Report | None:
    return (
        Report.objects.filter(report_visibility_q(user), number=str(number)[:40])
        .select_related("task", "unit", "task__issued_by")
        .first()
    )


def report_is_overdue(report: Report, now: datetime | None = None) -> bool:
    """The unit still owes it and its deadline has passed (a submitted report waits for the office, not the unit)."""
    now = now or clock.now()
    return report.status in UNIT_OWES_STATUSES and report.due_at is not None and report.due_at < now


@dataclass
class TaskProgress:
    task: ReportingTask
    kind_label: str
    units: int = 0
    assigned: int = 0  # not yet saved
    draft: int = 0
    submitted: int = 0  # waiting for the office
    returned: int = 0
    accepted: int = 0
    overdue: int = 0
    reports: list[Report] = field(default_factory=list)

    @property
    def waiting(self) -> int:
        """Reports the unit still owes."""
        return self.assigned + self.draft + self.returned


def task_progress(*, user: Any, limit: int = 50) -> list[TaskProgress]:
    """The office's (and leaders') tasks, newest first, each with its reports counted by status and overdue."""
    if not report_reads_all(user):
        return []
    now = clock.now()
    tasks = list(ReportingTask.objects.select_related("issued_by").order_by("-issued_at", "-pk")[:limit])
    by_task: dict[int, TaskProgress] = {t.pk: TaskProgress(task=t, kind_label=_kind_label(t.kind)) for t in tasks}
    reports = (
        Report.objects.filter(task_id__in=list(by_task))
        .select_related("unit")
        .order_by("unit__sort_order", "unit__code")
    )
    for report in reports:
        progress = by_task[report.task_id]
        progress.units += 1
        setattr(progress, report.status, getattr(progress, report.status, 0) + 1)
        if report_is_overdue(report, now):
            progress.overdue += 1
        progress.reports.append(report)
    return [by_task[t.pk] for t in tasks]


def _kind_label(code: str) -> str:
    kind = LEDGER_KINDS.get(code)
    return kind.label if kind is not None else code


def report_status_counts(*, user: Any) -> dict[str, int]:
    """Open reports per status among those the user may see (the unit's own page header)."""
    rows = (
        Report.objects.filter(report_visibility_q(user), status__in=[str(s) for s in OPEN_STATUSES])
        .values("status")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {row["status"]: row["n"] for row in rows}


def report_versions(*, report: Report) -> list[ReportVersion]:
    return list(
        ReportVersion.objects.filter(report=report).select_related("submitted_by", "decided_by").order_by("version")
    )


def report_last_return(*, report: Report) -> ReportVersion | None:
    """The office's last return, when the report is back with the unit because of it."""
    if report.status != Status.RETURNED:
        return None
    return (
        ReportVersion.objects.filter(report=report, decision="returned")
        .select_related("decided_by")
        .order_by("-version")
        .first()
    )


def report_timeline(*, report: Report) -> QuerySet[CaseEvent]:
    return (
        CaseEvent.objects.filter(case_id=report.pk).select_related("actor", "actor_unit").order_by("occurred_at", "id")
    )


def report_previous_period(*, report: Report) -> Report | None:
    """The same unit's report of the period before (last month; for an annual ledger last year)."""
    task = report.task
    if task.month is None:
        q = Q(task__year=task.year - 1, task__month__isnull=True)
    else:
        year, month = (task.year, task.month - 1) if task.month > 1 else (task.year - 1, 12)
        q = Q(task__year=year, task__month=month)
    return (
        Report.objects.filter(q, task__kind=task.kind, unit_id=report.unit_id)
        .select_related("task")
        .order_by("-created_at", "-pk")
        .first()
    )


def _key(kind: LedgerKind, row: dict[str, Any]) -> tuple[str, ...]:
    """A row's natural key as text, without the period (which differs between periods by definition)."""
    return tuple(str(row.get(f, "")).strip() for f in kind.key if f not in ("year", "month"))


@dataclass
class RowChange:
    key: str
    status: str  # "added" | "removed" | "changed"
    changes: list[tuple[str, Any, Any]]  # (header, before, after)


def rows_compare(kind: LedgerKind, before: list[dict[str, Any]], after: list[dict[str, Any]]) -> list[RowChange]:
    """What changed from `before` to `after`, row by natural key: rows added, removed, and each changed column."""
    old = {_key(kind, r): r for r in before if isinstance(r, dict)}
    new = {_key(kind, r): r for r in after if isinstance(r, dict)}
    fields = [c for c in kind.columns if c.field != "month"]
    changes: list[RowChange] = []
    for key, row in new.items():
        label = " / ".join(k for k in key if k)
        if key not in old:
            changes.append(RowChange(label, "added", []))
            continue
        moved = [
            (c.header, old[key].get(c.field), row.get(c.field))
            for c in fields
            if str(old[key].get(c.field) if old[key].get(c.field) is not None else "").strip()
            != str(row.get(c.field) if row.get(c.field) is not None else "").strip()
        ]
        if moved:
            changes.append(RowChange(label, "changed", moved))
    for key in old:
        if key not in new:
            changes.append(RowChange(" / ".join(k for k in key if k), "removed", []))
    return changes


def report_unit_reports(*, user: Any) -> list[Report]:
    """A unit's page: its reports, open first with their deadlines."""
    if report_unit_id(user) is None:
        return []
    return list(report_list(user=user)[:200])
