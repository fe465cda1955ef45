"""Every write of reporting (填报). One service per action: check the actor, lock, check the table, write, record.

Each runs in one transaction with its timeline and audit event (`case_event_record`); accepting a report writes its
rows into the ledger (`ledger_rows_write`) in that same transaction, so a report is never accepted with its ledger
rows half-written. Permission failures raise PermissionDenied (403) or NotFound (404: a unit asking for another
unit's report hears "not found", as for a number nobody uses); actions the status does not allow raise
InvalidTransition (409); bad input raises ValidationFailed (400) naming the row and the column.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from govdesk.calendar.core import deadline_add_working_days
from govdesk.calendar.selectors import calendar_get
from govdesk.cases.models import Case, CaseKind
from govdesk.cases.services import case_event_record, case_units_assign, case_urge_owed
from govdesk.common import clock
from govdesk.common.errors import InvalidTransition, NotFound, ValidationFailed
from govdesk.common.inputs import FieldErrors, text_field, text_input
from govdesk.common.services import counter_next
from govdesk.ledgers.kinds import LedgerKind, ledger_kind_get
from govdesk.ledgers.services import (
    LedgerValidationFailed,
    ledger_changes_needing_note,
    ledger_rows_clean,
    ledger_rows_write,
)
from govdesk.ledgers.xlsx import ledger_workbook_read
from govdesk.org.models import Unit, UnitKind

from .models import Decision, Report, ReportingTask, ReportVersion
from .permissions import report_check_office, report_check_unit, report_visible
from .states import OPEN_STATUSES, UNIT_OWES_STATUSES, Action, Actor, Status, transition_for

NUMBER_PREFIX = "TB"  # 填报: keeps report numbers apart from work orders (digits) and applications (BJ)
NOTE_MAX_LENGTH = 2000
ROW_NOTE_MAX_LENGTH = 500
TITLE_MAX_LENGTH = 200
VALUE_MAX_LENGTH = 200
# A report's rows are a street's or a department's for one period: a few hundred at most by hand; the self-built
# house census (some thousands a street) comes by xlsx. The cap bounds one request's work before any check.
ROWS_MAX = 10_000
DEADLINE_DAYS_MAX = 60
YEAR_MIN, YEAR_MAX = 2000, 2100
# An uploaded workbook: a street's year of houses is well under 2 MB.
WORKBOOK_MAX_BYTES = 5 * 1024 * 1024
XLSX_MAGIC = b"PK\x03\x04"
# Units a task goes to: the departments and the streets/towns (the office reports nothing to itself).
REPORTING_UNIT_KINDS = (UnitKind.DEPARTMENT, UnitKind.STREET)
UNIT_CHOICE_STREETS = "streets"
UNIT_CHOICE_DEPARTMENTS = "departments"


# --- input checks -------------------------------------------------------------------------------------------------


def _int_in(errors: FieldErrors, field: str, value: Any, low: int, high: int, message: str) -> int | None:
    if isinstance(value, str):
        value = value.strip()
        if value.isdigit():
            value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        errors.add(field, message)
        return None
    return value


def _kind(errors: FieldErrors, value: Any) -> LedgerKind | None:
    if not isinstance(value, str) or not value.strip() or len(value) > 32:
        errors.add("kind", _("Choose a ledger."))
        return None
    try:
        return ledger_kind_get(value.strip())
    except NotFound:
        errors.add("kind", _("There is no ledger “%(kind)s”.") % {"kind": value.strip()[:32]})
        return None


def _units(errors: FieldErrors, value: Any) -> list[Unit]:
    """ "streets", "departments", or a list of unit codes: active departments or streets, each once."""
    reporting = Unit.objects.filter(is_active=True, kind__in=list(REPORTING_UNIT_KINDS)).order_by("sort_order", "code")
    if value == UNIT_CHOICE_STREETS:
        found = list(reporting.filter(kind=UnitKind.STREET))
    elif value == UNIT_CHOICE_DEPARTMENTS:
        found = list(reporting.filter(kind=UnitKind.DEPARTMENT))
    elif isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        codes = list(dict.fromkeys(v.strip() for v in value if v.strip()))
        if len(codes) > 500:
            errors.add("units", _("At most %(n)d units.") % {"n": 500})
            return []
        by_code = {u.code: u for u in reporting.filter(code__in=codes)}
        unknown = [c for c in codes if c not in by_code]
        if unknown:
            errors.add(
                "units",
                _("These are not departments or streets that report: %(codes)s")
                % {"codes": "、".join(c[:32] for c in unknown[:10])},
            )
        found = [by_code[c] for c in codes if c in by_code]
    else:
        errors.add("units", _("Choose the units: all streets, all departments, or some units."))
        return []
    if not found and "units" not in errors.fields:
        errors.add("units", _("Choose at least one unit."))
    return found


def _row_note_map(value: Any, row_count: int) -> dict[str, str]:
    """The unit's notes on large changes: {row number: note}, row numbers 1..row_count, notes short text."""
    if value in (None, ""):
        return {}
    if not isinstance(value, dict):
        raise ValidationFailed(_("The notes must be given per row."), fields={"notes": [_("Not a list of notes.")]})
    errors = FieldErrors()
    notes: dict[str, str] = {}
    for key, text in value.items():
        row = str(key).strip()
        if not row.isdigit() or not 1 <= int(row) <= row_count:
            errors.add("notes", _("There is no row %(row)s.") % {"row": row[:10]})
            continue
        cleaned = text_field(
            errors, f"notes.{row}", text, required=False, max_length=ROW_NOTE_MAX_LENGTH, multiline=True
        )
        if cleaned:
            notes[str(int(row))] = cleaned
    errors.raise_if_any()
    return notes


def report_rows_check(kind: LedgerKind, value: Any, *, month: int | None = None) -> list[dict[str, Any]]:
    """The rows' shape (not their content, which the ledger's rules check on submission): a list of objects whose
    keys are the ledger's columns and whose values are short text, numbers, booleans or empty. Blank rows dropped;
    a monthly ledger's empty month is the report's `month`."""
    if not isinstance(value, list):
        raise ValidationFailed(_("The rows must be a list."), fields={"rows": [_("Not a list of rows.")]})
    if len(value) > ROWS_MAX:
        message = _("At most %(n)d rows in one report.") % {"n": ROWS_MAX}
        raise ValidationFailed(message, fields={"rows": [message]})
    fields = {column.field for column in kind.columns}
    errors = FieldErrors()
    rows: list[dict[str, Any]] = []
    for number, raw in enumerate(value, start=1):
        if not isinstance(raw, dict):
            errors.add(f"rows.{number}", _("Row %(row)d is not a row of the ledger.") % {"row": number})
            continue
        unknown = sorted(str(k)[:40] for k in raw if k not in fields)
        if unknown:
            errors.add(
                f"rows.{number}",
                _("Row %(row)d has columns this ledger does not have: %(cols)s")
                % {"row": number, "cols": "、".join(unknown[:5])},
            )
            continue
        row: dict[str, Any] = {}
        for key, cell in raw.items():
            if cell is None or isinstance(cell, bool | int | float):
                row[key] = cell
            elif isinstance(cell, str):
                text = cell.strip()
                if len(text) > VALUE_MAX_LENGTH:
                    errors.add(
                        f"rows.{number}.{key}",
                        _("At most %(n)d characters (now %(len)d).") % {"n": VALUE_MAX_LENGTH, "len": len(text)},
                    )
                row[key] = text
            else:
                errors.add(f"rows.{number}.{key}", _("Must be text or a number."))
        if any(v not in (None, "") for k, v in row.items() if k != "month"):
            if month is not None and kind.has_month_column and row.get("month") in (None, ""):
                row["month"] = month
            rows.append(row)
    errors.raise_if_any()
    return rows


# --- reads the services share -------------------------------------------------------------------------------------


def report_kind(report: Report) -> LedgerKind:
    return ledger_kind_get(report.task.kind)


def _not_found(number: str) -> NotFound:
    return NotFound(_("No report with number %(n)s.") % {"n": number[:40]})


def _locked(number: str, actor: Any) -> Report:
    """The report locked, if the actor may see it (404 otherwise: numbers are sequential)."""
    report = (
        Report.objects.select_for_update(of=("self", "case_ptr"))
        .select_related("task", "unit")
        .filter(number=str(number)[:40])
        .first()
    )
    if report is None or not report_visible(actor, report):
        raise _not_found(str(number))
    return report


def _begin(number: str, actor: Any, action: Action) -> Report:
    """Lock and check, in this order: the role (403), visibility (404), the status (409), the unit (403)."""
    row_actor = Actor.OFFICE if action in (Action.RETURN, Action.ACCEPT) else Actor.UNIT
    if row_actor is Actor.OFFICE:
        report_check_office(actor)
    report = _locked(number, actor)
    row = transition_for(report.status, action)
    if row is None:
        raise InvalidTransition(
            _("“%(action)s” is not possible while the report is “%(status)s”.")
            % {"action": _action_label(action), "status": report.get_status_display()}
        )
    if row.actor is Actor.UNIT:
        report_check_unit(actor, report)
    return report


def _action_label(action: Action) -> str:
    return {
        Action.SAVE: _("Save"),
        Action.SUBMIT: _("Submit"),
        Action.RETURN: _("Return"),
        Action.ACCEPT: _("Accept"),
    }[action]


def _move(
    report: Report,
    action: Action,
    *,
    actor: Any,
    note: str = "",
    data: dict[str, Any] | None = None,
    fields: tuple[str, ...] = (),
) -> Report:
    row = transition_for(report.status, action)
    assert row is not None
    from_status = report.status
    report.status = row.target
    report.is_open = row.target in OPEN_STATUSES
    report.updated_at = clock.now()
    changed = {"status", "is_open", "updated_at", *fields}
    if not report.is_open:
        report.closed_at = report.updated_at
        report.is_due_soon = report.is_sign_overdue = report.is_overdue = False
        changed |= {"closed_at", "is_due_soon", "is_sign_overdue", "is_overdue"}
    report.save(update_fields=sorted(changed))
    case_event_record(
        case=report,
        action=action.value,
        actor=actor,
        from_status=from_status,
        to_status=row.target,
        note=note,
        data=data,
    )
    return report


# --- the office issues a task -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TaskInput:
    kind: LedgerKind
    year: int
    month: int | None
    units: list[Unit]
    deadline_days: int
    title: str
    note: str


def reporting_task_clean(data: dict[str, Any]) -> TaskInput:
    """Check a task's form; raise ValidationFailed listing every problem at once."""
    errors = FieldErrors()
    kind = _kind(errors, data.get("kind"))
    year = _int_in(errors, "year", data.get("year"), YEAR_MIN, YEAR_MAX, _("Give a year such as 2022."))
    month: int | None = None
    raw_month = data.get("month")
    if kind is not None and kind.monthly:
        month = _int_in(errors, "month", raw_month, 1, 12, _("This ledger is reported monthly: give a month 1 to 12."))
    elif kind is not None and raw_month not in (None, ""):
        errors.add("month", _("This ledger is reported once a year: leave the month empty."))
    units = _units(errors, data.get("units"))
    days = _int_in(
        errors,
        "deadline_days",
        data.get("deadline_days"),
        1,
        DEADLINE_DAYS_MAX,
        _("Give the time to report as 1 to %(n)d working days.") % {"n": DEADLINE_DAYS_MAX},
    )
    title = text_field(errors, "title", data.get("title"), required=False, max_length=TITLE_MAX_LENGTH)
    note = text_field(errors, "note", data.get("note"), required=False, max_length=NOTE_MAX_LENGTH, multiline=True)
    if kind is not None and year is not None and units and "month" not in errors.fields:
        taken = list(
            Report.objects.filter(task__kind=kind.code, task__year=year, task__month=month, unit__in=units)
            .order_by("unit__sort_order", "unit__code")
            .values_list("unit__name", flat=True)
        )
        if taken:
            errors.add(
                "units",
                _("These units already have a report for this ledger and period: %(names)s")
                % {"names": "、".join(taken[:10])},
            )
    errors.raise_if_any()
    assert kind is not None and year is not None and days is not None
    if not title:
        title = _("%(ledger)s, %(period)s") % {"ledger": kind.label, "period": period_text(year, month)}
    return TaskInput(kind, year, month, units, days, title[:TITLE_MAX_LENGTH], note)


def period_text(year: int, month: int | None) -> str:
    return f"{year}年{month}月" if month else f"{year}年"


def _previous_rows(kind: LedgerKind, unit: Unit, year: int, month: int | None) -> list[dict[str, Any]]:
    """The unit's rows of the period before (last month; for an annual ledger last year), from its last report of
    that period: what a monthly report starts from, so a clerk changes what moved instead of typing it all again."""
    if month is None:
        previous = Report.objects.filter(task__kind=kind.code, task__year=year - 1, task__month__isnull=True, unit=unit)
    else:
        p_year, p_month = (year, month - 1) if month > 1 else (year - 1, 12)
        previous = Report.objects.filter(task__kind=kind.code, task__year=p_year, task__month=p_month, unit=unit)
    found = previous.order_by("-created_at", "-pk").first()
    if found is None:
        return []
    fields = {column.field for column in kind.columns}
    rows = [{k: v for k, v in row.items() if k in fields} for row in found.rows if isinstance(row, dict)]
    if month is not None and kind.has_month_column:
        for row in rows:
            row["month"] = month
    return rows


def _due(start: datetime, days: int) -> datetime:
    return deadline_add_working_days(start, days, calendar_get()).due_at


@transaction.atomic
def reporting_task_issue(*, actor: Any, data: dict[str, Any]) -> ReportingTask:
    """下发填报任务: the office issues a task for one ledger and period; each unit gets its report (a case, due in the
    task's working days), prefilled with its rows of the period before when it has them."""
    report_check_office(actor)
    task_input = reporting_task_clean(data)
    now = clock.now()
    due_at = _due(now, task_input.deadline_days)
    task = ReportingTask.objects.create(
        kind=task_input.kind.code,
        year=task_input.year,
        month=task_input.month,
        title=task_input.title,
        deadline_days=task_input.deadline_days,
        due_at=due_at,
        issued_at=now,
        issued_by=actor,
        note=task_input.note,
    )
    day = timezone.localtime(now).strftime("%Y%m%d")
    for unit in task_input.units:
        report = Report(
            kind=CaseKind.REPORT,
            number=f"{NUMBER_PREFIX}{day}{counter_next(key=f'report:{day}'):06d}",
            status=Status.ASSIGNED,
            is_open=True,
            title=f"{task_input.title} · {unit.name}"[:200],
            created_at=now,
            updated_at=now,
            dispatched_at=now,
            created_by=actor,
            due_at=due_at,
            primary_unit=unit,
            task=task,
            unit=unit,
            rows=_previous_rows(task_input.kind, unit, task_input.year, task_input.month),
        )
        report.save(force_insert=True)
        case_units_assign(case=report, primary=unit)
        case_event_record(
            case=report,
            action="issue",
            actor=actor,
            to_status=Status.ASSIGNED,
            note=task_input.note,
            data={
                "task": task.pk,
                "kind": task.kind,
                "year": task.year,
                "month": task.month,
                "prefilled_rows": len(report.rows),
            },
        )
    return task


# --- the unit fills and submits -----------------------------------------------------------------------------------


@transaction.atomic
def report_rows_save(*, report: str, actor: Any, rows: Any, notes: Any = None) -> Report:
    """暂存: keep the rows as entered (checked for shape only: a draft may still be wrong). Unchanged rows and notes
    write nothing."""
    locked = _begin(report, actor, Action.SAVE)
    kind = report_kind(locked)
    checked = report_rows_check(kind, rows, month=locked.task.month)
    row_notes = _row_note_map(notes, len(checked))
    if checked == locked.rows and row_notes == locked.notes and locked.status != Status.ASSIGNED:
        return locked
    locked.rows, locked.notes = checked, row_notes
    return _move(locked, Action.SAVE, actor=actor, data={"rows": len(checked)}, fields=("rows", "notes"))


def _workbook_bytes(data: Any) -> bytes:
    if not isinstance(data, bytes | bytearray) or not data:
        message = _("Choose the filled workbook (.xlsx) to upload.")
        raise ValidationFailed(message, fields={"file": [message]})
    if len(data) > WORKBOOK_MAX_BYTES:
        message = _("The workbook is larger than %(mb)d MB.") % {"mb": WORKBOOK_MAX_BYTES // (1024 * 1024)}
        raise ValidationFailed(message, fields={"file": [message]})
    if not bytes(data).startswith(XLSX_MAGIC):
        message = _("This file is not an Excel workbook (.xlsx).")
        raise ValidationFailed(message, fields={"file": [message]})
    return bytes(data)


@transaction.atomic
def report_workbook_upload(*, report: str, actor: Any, data: Any) -> Report:
    """上传: the rows of the ledger's filled template replace the report's rows (as a save). A template of another
    ledger, period or unit, or any row error, is refused naming the sheet, row and column; nothing is kept."""
    locked = _begin(report, actor, Action.SAVE)
    kind = report_kind(locked)
    content = _workbook_bytes(data)
    result = ledger_workbook_read(kind, content, year=locked.task.year, month=locked.task.month, unit=locked.unit)
    if result.errors:
        messages = result.messages
        raise ValidationFailed(messages[0], fields={"file": messages[:200]})
    checked = report_rows_check(kind, result.rows, month=locked.task.month)
    locked.rows = checked
    locked.notes = {k: v for k, v in locked.notes.items() if k.isdigit() and int(k) <= len(checked)}
    return _move(
        locked,
        Action.SAVE,
        actor=actor,
        note=_("Rows uploaded from the ledger's workbook."),
        data={"rows": len(checked), "upload": True},
        fields=("rows", "notes"),
    )


def _row_errors_fields(errors: list[Any], prefix: str = "rows") -> dict[str, list[str]]:
    """RowErrors (row 1-based, field, message naming both) keyed `<prefix>.<row>.<field>`, each the bare problem (the
    page shows it in its row and column), or the whole sentence when the error has no separate problem."""
    fields: dict[str, list[str]] = {}
    for error in errors:
        key = f"{prefix}.{error.row}.{error.field}" if error.field and prefix == "rows" else f"{prefix}.{error.row}"
        fields.setdefault(key, []).append(str(getattr(error, "problem", "") or error.message))
    return fields


def _row_errors_message(errors: list[Any]) -> str:
    first = str(errors[0].message)
    if len(errors) == 1:
        return first
    return _("%(count)d problems in the rows; the first: %(first)s") % {"count": len(errors), "first": first}


def report_rows_validate(report: Report, rows: list[dict[str, Any]], notes: dict[str, str]) -> None:
    """What submitting checks: the ledger's rules (types, ranges, choices, totals, duplicates) and a note on every
    row that changed more than the ledger allows against the unit's last period."""
    if not rows:
        message = _("Add at least one row before submitting.")
        raise ValidationFailed(message, fields={"rows": [message]})
    kind = report_kind(report)
    task = report.task
    cleaned = ledger_rows_clean(kind, rows, year=task.year, month=task.month, unit=report.unit)
    if cleaned.errors:
        errors = list(cleaned.errors)
        raise ValidationFailed(_row_errors_message(errors), fields=_row_errors_fields(errors))
    large = ledger_changes_needing_note(kind, rows, unit=report.unit, year=task.year, month=task.month)
    missing = [error for error in large if not notes.get(str(error.row))]
    if missing:
        message = _("Row %(row)s changed a lot against last period: say why in the row's note. %(detail)s") % {
            "row": missing[0].row,
            "detail": missing[0].message,
        }
        raise ValidationFailed(message, fields=_row_errors_fields(missing, prefix="notes"))


@transaction.atomic
def report_submit(*, report: str, actor: Any, rows: Any = None, notes: Any = None) -> Report:
    """提交: the rows (as given, or as saved) are checked by the ledger's rules; any error → 400 naming the row and
    column, and nothing is submitted. A new version is kept as submitted."""
    locked = _begin(report, actor, Action.SUBMIT)
    kind = report_kind(locked)
    if rows is None:
        checked, row_notes = list(locked.rows), dict(locked.notes)
    else:
        checked = report_rows_check(kind, rows, month=locked.task.month)
        row_notes = _row_note_map(notes, len(checked))
    report_rows_validate(locked, checked, row_notes)
    now = clock.now()
    locked.rows, locked.notes = checked, row_notes
    locked.version += 1
    locked.submitted_at = now
    ReportVersion.objects.create(
        report=locked,
        version=locked.version,
        rows=checked,
        notes=row_notes,
        submitted_at=now,
        submitted_by=actor,
    )
    late = locked.due_at is not None and now > locked.due_at
    return _move(
        locked,
        Action.SUBMIT,
        actor=actor,
        data={"version": locked.version, "rows": len(checked), "late": late},
        fields=("rows", "notes", "version", "submitted_at"),
    )


# --- the office decides -------------------------------------------------------------------------------------------


def _current_version(report: Report) -> ReportVersion:
    return ReportVersion.objects.select_for_update().get(report=report, version=report.version)


@transaction.atomic
def report_return(*, report: str, actor: Any, note: Any) -> Report:
    """退回: the office sends the submitted version back with a note the unit reads; the unit corrects and submits."""
    locked = _begin(report, actor, Action.RETURN)
    text = text_input(note, "note", required=True, max_length=NOTE_MAX_LENGTH)
    version = _current_version(locked)
    version.decision, version.decision_note = Decision.RETURNED, text
    version.decided_by, version.decided_at = actor, clock.now()
    version.save(update_fields=["decision", "decision_note", "decided_by", "decided_at"])
    return _move(locked, Action.RETURN, actor=actor, note=text, data={"version": locked.version})


@transaction.atomic
def report_accept(*, report: str, actor: Any, note: Any = "") -> Report:
    """采用: the submitted rows are written into the ledger (source "report:<number>", the unit's notes with them) in
    this transaction; if the ledger refuses them now (its rules or references changed since), nothing is accepted."""
    locked = _begin(report, actor, Action.ACCEPT)
    text = text_input(note, "note", required=False, max_length=NOTE_MAX_LENGTH)
    version = _current_version(locked)
    kind = report_kind(locked)
    task = locked.task
    try:
        written = ledger_rows_write(
            kind=kind,
            rows=list(version.rows),
            actor=actor,
            source=f"report:{locked.number}",
            year=task.year,
            month=task.month,
            unit=locked.unit,
            notes={int(k): v for k, v in version.notes.items() if str(k).isdigit()},
        )
    except LedgerValidationFailed as exc:
        raise ValidationFailed(
            _("The ledger refuses these rows now; return the report to the unit. %(reason)s") % {"reason": exc.message},
            fields=_row_errors_fields(list(exc.errors)),
        ) from None
    except ValidationFailed as exc:
        raise ValidationFailed(
            _("The ledger refuses these rows now; return the report to the unit. %(reason)s") % {"reason": exc.message}
        ) from None
    now = clock.now()
    version.decision, version.decision_note, version.decided_by, version.decided_at = (
        Decision.ACCEPTED,
        text,
        actor,
        now,
    )
    version.save(update_fields=["decision", "decision_note", "decided_by", "decided_at"])
    locked.accepted_at = now
    return _move(
        locked,
        Action.ACCEPT,
        actor=actor,
        note=text,
        data={
            "version": locked.version,
            "created": written.created,
            "updated": written.updated,
            "unchanged": written.unchanged,
            "row_ids": list(written.row_ids)[:1000],
        },
        fields=("accepted_at",),
    )


# --- supervision's urge -------------------------------------------------------------------------------------------


def report_urge_recorded(case: Case, actor: Any, note: str) -> None:
    """催办 (the supervision sweep, registered in apps.py): an "urge" event on the report's timeline while its unit
    still owes it; in the caller's transaction."""
    case_urge_owed(
        model=Report,
        case=case,
        actor=actor,
        note=note,
        owes_statuses=UNIT_OWES_STATUSES,
        not_found=_not_found,
        not_owed=lambda locked: (
            _("“%(action)s” is not possible while the report is “%(status)s”.")
            % {"action": _("Urge"), "status": locked.get_status_display()}
        ),
    )
