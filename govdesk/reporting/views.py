"""Reporting pages: the index (a unit's reports; the office's tasks with progress and a chart), a new task (the
office), one report (the unit fills its rows in a grid, uploads or downloads the ledger's workbook, submits; the
office reviews what changed and returns with a note or accepts). Views parse, call services/selectors, render.

A bad input re-renders the same page with every row and note as typed and each problem next to its row and column
(400): nothing a clerk typed is lost to an error."""

from __future__ import annotations

import re
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_GET, require_http_methods

from govdesk.common.errors import ApplicationError, ValidationFailed
from govdesk.common.pages import application_error_page, error_page, staff_page
from govdesk.ledgers.kinds import LEDGER_KINDS, Column, LedgerKind
from govdesk.ledgers.xlsx import ledger_workbook
from govdesk.org.models import Role, Unit, UnitKind

from . import selectors, services
from .charts import task_progress_svg
from .models import Report
from .permissions import OFFICE_ROLES, PAGE_ROLES, report_can_fill, report_is_office, report_reads_all
from .states import Action, Actor, Status, actions_from

# The grid posts about 8 fields a row (Django refuses more than 1,000 fields a request): larger reports come by xlsx.
GRID_ROWS_MAX = 100
# Blank rows under the filled ones, so a row can be added without script (the script adds more on demand).
GRID_BLANK_ROWS = 3
CELL_RE = re.compile(r"^r-(\d{1,4})-([a-z_]{1,40})$")
NOTE_RE = re.compile(r"^note-(\d{1,4})$")


# --- index --------------------------------------------------------------------------------------------------------


@staff_page(*PAGE_ROLES)
@require_GET
def reporting_index(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    now_reports = selectors.report_unit_reports(user=user)
    tasks = selectors.task_progress(user=user)
    context = {
        "unit_reports": [{"report": r, "overdue": selectors.report_is_overdue(r)} for r in now_reports],
        "is_unit": bool(user.has_role(Role.HANDLER, Role.UNIT_ADMIN)),
        "reads_all": report_reads_all(user),
        "is_office": report_is_office(user),
        "tasks": tasks,
        "chart": task_progress_svg(tasks),
    }
    return render(request, "reporting/index.html", context)


# --- a new task -----------------------------------------------------------------------------------------------------


def _task_form_context(data: dict[str, Any], errors: dict[str, list[str]]) -> dict[str, Any]:
    units = Unit.objects.filter(is_active=True, kind__in=list(services.REPORTING_UNIT_KINDS)).order_by(
        "kind", "sort_order", "code"
    )
    return {
        "kinds": [(k.code, k.label, k.monthly) for k in LEDGER_KINDS.values()],
        "streets": [u for u in units if u.kind == UnitKind.STREET],
        "departments": [u for u in units if u.kind == UnitKind.DEPARTMENT],
        "data": data,
        "errors": errors,
    }


@staff_page(*OFFICE_ROLES)
@require_http_methods(["GET", "POST"])
def reporting_task_new(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        initial = {"deadline_days": "5", "units_choice": services.UNIT_CHOICE_STREETS}
        return render(request, "reporting/task_new.html", _task_form_context(initial, {}))
    post = request.POST
    choice = post.get("units_choice", "")
    data: dict[str, Any] = {
        "kind": post.get("kind", "")[:40],
        "year": post.get("year", "")[:10],
        "month": post.get("month", "")[:10],
        "deadline_days": post.get("deadline_days", "")[:10],
        "title": post.get("title", ""),
        "note": post.get("note", ""),
        "units_choice": choice[:20],
        "unit_codes": [c[:40] for c in post.getlist("unit_codes")[:500]],
    }
    units: Any = choice if choice in (services.UNIT_CHOICE_STREETS, services.UNIT_CHOICE_DEPARTMENTS) else None
    if choice == "pick":
        units = data["unit_codes"]
    try:
        task = services.reporting_task_issue(actor=request.user, data={**data, "units": units})
    except ValidationFailed as exc:
        errors = exc.fields or {"__all__": [exc.message]}
        return render(request, "reporting/task_new.html", _task_form_context(data, errors), status=400)
    except ApplicationError as exc:
        return application_error_page(request, exc)
    messages.success(request, _("Task issued to %(n)d units.") % {"n": task.reports.count()})
    return redirect(reverse("reporting:index"))


# --- one report -----------------------------------------------------------------------------------------------------


def _grid_posted(kind: LedgerKind, post: Any) -> tuple[list[dict[str, Any]], dict[str, str], int]:
    """The grid's rows and notes as posted, blank and deleted rows dropped and the rest numbered 1.. in order (the
    numbers the services' errors name); also how many rows were posted."""
    fields = {c.field for c in kind.columns}
    cells: dict[int, dict[str, str]] = {}
    notes: dict[int, str] = {}
    deleted: set[int] = set()
    for key in post:
        match = CELL_RE.match(key)
        if match:
            index, name = int(match.group(1)), match.group(2)
            if name == "delete":
                deleted.add(index)
            elif name in fields:
                cells.setdefault(index, {})[name] = str(post.get(key, ""))
            continue
        match = NOTE_RE.match(key)
        if match:
            notes[int(match.group(1))] = str(post.get(key, ""))
    rows: list[dict[str, Any]] = []
    row_notes: dict[str, str] = {}
    for index in sorted(cells):
        if index in deleted:
            continue
        row = cells[index]
        if not any(v.strip() for k, v in row.items() if k != "month"):
            continue
        rows.append(row)
        note = notes.get(index, "").strip()
        if note:
            row_notes[str(len(rows))] = note
    return rows, row_notes, len(cells)


def _grid_rows(
    kind: LedgerKind, rows: list[dict[str, Any]], notes: dict[str, str], errors: dict[str, list[str]], month: int | None
) -> list[dict[str, Any]]:
    """The grid's rows as the template draws them: each cell with its value and errors, the row's note and errors,
    then a few blank rows."""
    drawn: list[dict[str, Any]] = []
    for number, row in enumerate([*rows, *({} for _blank in range(GRID_BLANK_ROWS))], start=1):
        blank = number > len(rows)
        cells = []
        for column in kind.columns:
            value = row.get(column.field)
            if column.field == "month" and month is not None:
                value = month
            cells.append(
                {
                    "column": column,
                    "name": f"r-{number - 1}-{column.field}",
                    "value": "" if value is None else _cell_text(column, value),
                    "errors": [] if blank else errors.get(f"rows.{number}.{column.field}", []),
                    "readonly": column.field == "month" and month is not None,
                }
            )
        known = {f"rows.{number}.{c.field}" for c in kind.columns}
        row_errors = (
            []
            if blank
            else [
                m
                for key, ms in errors.items()
                if key == f"rows.{number}" or (key.startswith(f"rows.{number}.") and key not in known)
                for m in ms
            ]
        )
        drawn.append(
            {
                "index": number - 1,
                "number": number,
                "blank": blank,
                "cells": cells,
                "note": "" if blank else notes.get(str(number), ""),
                "note_errors": [] if blank else errors.get(f"notes.{number}", []),
                "errors": row_errors,
            }
        )
    return drawn


def _cell_text(column: Column, value: Any) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    return str(value)


def _errors_listed(kind: LedgerKind, errors: dict[str, list[str]]) -> list[str]:
    """Every problem as one sentence naming its row and column, for the summary above the grid."""
    listed: list[str] = []
    for key, found in errors.items():
        parts = key.split(".")
        for message in found:
            if parts[0] == "rows" and len(parts) == 3:
                listed.append(
                    _("Row %(row)s, column “%(column)s”: %(message)s")
                    % {"row": parts[1], "column": kind.header(parts[2]), "message": message}
                )
            elif parts[0] in ("rows", "notes") and len(parts) == 2 and parts[1].isdigit():
                listed.append(_("Row %(row)s: %(message)s") % {"row": parts[1], "message": message})
            else:
                listed.append(message)
    return listed


def _report_context(
    request: HttpRequest,
    report: Report,
    *,
    rows: list[dict[str, Any]] | None = None,
    notes: dict[str, str] | None = None,
    errors: dict[str, list[str]] | None = None,
    message: str = "",
) -> dict[str, Any]:
    user: Any = request.user
    kind = services.report_kind(report)
    task = report.task
    errors = errors or {}
    rows = list(report.rows) if rows is None else rows
    notes = dict(report.notes) if notes is None else notes
    can_fill = report_can_fill(user, report) and Action.SAVE in actions_from(report.status, Actor.UNIT)
    can_decide = report_is_office(user) and report.status == Status.SUBMITTED
    versions = selectors.report_versions(report=report)
    previous = selectors.report_previous_period(report=report)
    context: dict[str, Any] = {
        "report": report,
        "task": task,
        "kind": kind,
        "period": services.period_text(task.year, task.month),
        "overdue": selectors.report_is_overdue(report),
        "can_fill": can_fill,
        "grid_too_large": can_fill and len(rows) > GRID_ROWS_MAX,
        "can_decide": can_decide,
        "returned": selectors.report_last_return(report=report),
        "versions": versions,
        "timeline": [(event, _event_label(event.action)) for event in selectors.report_timeline(report=report)],
        "previous": previous,
        "errors": errors,
        "errors_listed": _errors_listed(kind, errors) if errors else [],
        "message": message,
        "units": list(Unit.objects.filter(is_active=True).order_by("code").values_list("code", "name")),
        "rows_count": len(rows),
    }
    if can_fill and len(rows) <= GRID_ROWS_MAX:
        context["grid"] = _grid_rows(kind, rows, notes, errors, task.month if kind.has_month_column else None)
    else:
        context["table"] = [
            [_cell_text(c, r.get(c.field)) if r.get(c.field) is not None else "" for c in kind.columns]
            for r in rows[:500]
        ]
        context["table_notes"] = notes
    if can_decide or report_reads_all(user):
        if len(versions) >= 2:
            context["changes_version"] = selectors.rows_compare(kind, versions[-2].rows, versions[-1].rows)
        if previous is not None:
            context["changes_period"] = selectors.rows_compare(kind, list(previous.rows), rows)
    return context


def _event_label(action: str) -> str:
    labels = {
        "issue": pgettext("report event", "Issued"),
        "save": pgettext("report event", "Saved"),
        "submit": pgettext("report event", "Submitted"),
        "return": pgettext("report event", "Returned"),
        "accept": pgettext("report event", "Accepted"),
        "urge": pgettext("report event", "Urged"),
        "escalate": pgettext("report event", "Escalated"),
    }
    return str(labels.get(action, action))


def _render_report(request: HttpRequest, report: Report, status: int = 200, **kwargs: Any) -> HttpResponse:
    return render(request, "reporting/report.html", _report_context(request, report, **kwargs), status=status)


def _not_found(request: HttpRequest, number: str) -> HttpResponse:
    return error_page(request, _("No report with number %(n)s.") % {"n": number[:40]}, 404)


@staff_page(*PAGE_ROLES)
@require_http_methods(["GET", "POST"])
def reporting_report(request: HttpRequest, number: str) -> HttpResponseBase:
    user: Any = request.user
    report = selectors.report_get(user=user, number=number)
    if report is None:
        return _not_found(request, number)
    if request.method == "GET":
        return _render_report(request, report)
    action = request.POST.get("action", "")
    kind = services.report_kind(report)
    rows: list[dict[str, Any]] | None = None
    notes: dict[str, str] | None = None
    try:
        if action == "submit" and request.POST.get("saved_rows") == "1":
            # A report too large for the grid (uploaded by workbook) is submitted as saved.
            services.report_submit(report=report.number, actor=user)
            done = _("Submitted to the office.")
        elif action in ("save", "submit"):
            rows, notes, posted = _grid_posted(kind, request.POST)
            if posted > GRID_ROWS_MAX + GRID_BLANK_ROWS + 200:
                raise ValidationFailed(_("Too many rows for the form: upload the workbook instead."))
            if action == "save":
                services.report_rows_save(report=report.number, actor=user, rows=rows, notes=notes)
                done = _("Saved.")
            else:
                services.report_submit(report=report.number, actor=user, rows=rows, notes=notes)
                done = _("Submitted to the office.")
        elif action == "upload":
            upload = request.FILES.get("file")
            if upload is None:
                raise ValidationFailed(_("Choose the filled workbook (.xlsx) to upload."), fields={"file": []})
            if upload.size is not None and upload.size > services.WORKBOOK_MAX_BYTES:
                raise ValidationFailed(
                    _("The workbook is larger than %(mb)d MB.") % {"mb": services.WORKBOOK_MAX_BYTES // (1024 * 1024)},
                    fields={"file": []},
                )
            services.report_workbook_upload(report=report.number, actor=user, data=upload.read())
            done = _("The workbook's rows were taken over; check them and submit.")
        elif action == "return":
            services.report_return(report=report.number, actor=user, note=request.POST.get("note", ""))
            done = _("Returned to the unit.")
        elif action == "accept":
            services.report_accept(report=report.number, actor=user, note=request.POST.get("note", ""))
            done = _("Accepted and written into the ledger.")
        else:
            raise ValidationFailed(_("Unknown action."))
    except ValidationFailed as exc:
        report.refresh_from_db()
        fields = {k: v for k, v in (exc.fields or {}).items() if v}
        return _render_report(
            request, report, status=400, rows=rows, notes=notes, errors=fields, message=str(exc.message)
        )
    except ApplicationError as exc:
        return application_error_page(request, exc)
    messages.success(request, done)
    return redirect(reverse("reporting:report", args=[report.number]))


@staff_page(*PAGE_ROLES)
@require_GET
def reporting_report_workbook(request: HttpRequest, number: str) -> HttpResponseBase:
    """The ledger's template for this report's period and unit, prefilled with the report's rows."""
    report = selectors.report_get(user=request.user, number=number)
    if report is None:
        return _not_found(request, number)
    kind = services.report_kind(report)
    task = report.task
    content = ledger_workbook(kind, year=task.year, month=task.month, unit=report.unit, rows=list(report.rows) or None)
    response = HttpResponse(content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="{report.number}.xlsx"'
    return response
