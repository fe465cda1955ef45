"""The ledger pages: every ledger with its rows this year and a monthly chart (`/ledgers/`), one ledger's rows with
filters, pages and the xlsx download (`/ledgers/<kind>/`), one row with its versions and where it came from
(`/ledgers/<kind>/<pk>/`), and the office's upload of a filled workbook (a dry run, then a confirmation).

The office (supervisors) and leaders read every row; a unit's handlers and administrators read their own unit's rows
only (another unit's row is a 404, as if it did not exist); only the office uploads. Views parse, call the
selectors and `uploads`, render."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Sum
from django.db.models.functions import ExtractMonth
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from govdesk.common import clock
from govdesk.common.errors import ApplicationError, NotFound, ValidationFailed
from govdesk.common.pages import application_error_page, client_ip, error_page, staff_page
from govdesk.org.models import Role, Unit

from . import uploads
from .charts import monthly_bars_svg, number_text
from .kinds import LEDGER_KINDS, LedgerKind, ledger_kind_get
from .selectors import (
    ledger_latest_year,
    ledger_row_get,
    ledger_row_versions,
    ledger_rows,
    ledger_viewer_unit_ids,
)
from .xlsx import ledger_workbook, row_cells

READERS = (Role.SUPERVISOR, Role.LEADER, Role.HANDLER, Role.UNIT_ADMIN)
PAGE_SIZE = 50
PK_MAX = 2**63 - 1
YEAR_MIN, YEAR_MAX = 2000, 2100
# Kinds whose rows have no month: the date that places them in a month of the year, for the index's chart.
MONTH_FROM_DATE = {"parks": "completed_on"}
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _unit_only(user: Any) -> bool:
    """A unit's staff (and not also office or leader): they see their own unit's rows only."""
    return not user.has_role(Role.SUPERVISOR, Role.LEADER)


def _this_year() -> int:
    return timezone.localtime(clock.now()).year


def _parse_int(raw: str, low: int, high: int) -> int | None:
    text = raw.strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 6:
        return None
    value = int(text)
    return value if low <= value <= high else None


class _Filters:
    """year, month and unit asked for; `error` says what was not valid (a 400)."""

    def __init__(self, request: HttpRequest, kind: LedgerKind) -> None:
        params = request.GET
        user: Any = request.user
        self.error = ""
        self.shown = {key: str(params.get(key, ""))[:40].strip() for key in ("year", "month", "unit")}
        self.year = _this_year() if self.shown["year"] else (ledger_latest_year([kind], viewer=user) or _this_year())
        self.month: int | None = None
        self.unit: Unit | None = None
        self.foreign_unit = False
        if self.shown["year"]:
            year = _parse_int(self.shown["year"], YEAR_MIN, YEAR_MAX)
            if year is None:
                self.error = _("The year is a number from %(low)d to %(high)d.") % {"low": YEAR_MIN, "high": YEAR_MAX}
                return
            self.year = year
        self.shown["year"] = str(self.year)
        if self.shown["month"]:
            low = 0 if kind.code == "indicators" else 1
            month = _parse_int(self.shown["month"], low, 12)
            if month is None:
                self.error = _("The month is a number from %(low)d to 12.") % {"low": low}
                return
            self.month = month
        if self.shown["unit"]:
            self.unit = Unit.objects.filter(code=self.shown["unit"]).first()
            if self.unit is None:
                self.error = _("Unknown unit.")
                return
        # A unit's staff asking for another unit's rows: those rows do not exist for them.
        reach = ledger_viewer_unit_ids(user)
        self.foreign_unit = reach is not None and self.unit is not None and self.unit.pk not in reach

    def query(self, **extra: Any) -> str:
        values = {key: value for key, value in self.shown.items() if value}
        values.update({key: value for key, value in extra.items() if value is not None})
        return urlencode(values)


def _kind(code: str) -> LedgerKind:
    return ledger_kind_get(code[:40])


def _rows(kind: LedgerKind, user: Any, *, year: int, month: int | None = None, unit: Unit | None = None) -> Any:
    return ledger_rows(kind.code, year=year, month=month, unit=unit, viewer=user)


def _monthly_values(kind: LedgerKind, rows: Any) -> list[Decimal] | None:
    """The kind's main figure per month of the year (a count for text columns and for indicators, whose values
    are of different measures); None for a kind whose rows have no month."""
    names = {f.name for f in kind.model._meta.get_fields()}
    date_field = MONTH_FROM_DATE.get(kind.code)
    if "month" in names:
        by_month = rows.order_by().values("month")
        month_of = "month"
    elif date_field:
        by_month = rows.order_by().filter(**{f"{date_field}__isnull": False})
        by_month = by_month.annotate(m=ExtractMonth(date_field)).values("m")
        month_of = "m"
    else:
        return None  # a project's investment by month is the project_progress ledger's chart
    column = next((c for c in kind.columns if c.field == kind.main_field), None)
    summed = column is not None and column.type in ("int", "decimal") and kind.code != "indicators"
    figure = Sum(kind.main_field) if summed else Count("pk")
    values = [Decimal(0)] * 12
    for entry in by_month.annotate(figure=figure):
        month = entry[month_of]
        if month and 1 <= month <= 12:
            values[month - 1] = Decimal(entry["figure"] or 0)
    return values


def _main_measure(kind: LedgerKind) -> tuple[str, bool]:
    column = next((c for c in kind.columns if c.field == kind.main_field), None)
    if column is not None and column.type in ("int", "decimal") and kind.code != "indicators":
        return f"{column.header}", True
    return _("rows"), False


def _total(rows: Any, kind: LedgerKind) -> str:
    total = rows.order_by().aggregate(total=Sum(kind.main_field))["total"]
    return number_text(total or 0)


@staff_page(*READERS)
def ledger_index(request: HttpRequest) -> HttpResponse:
    """Every ledger: its rows this year (the viewer's), a monthly chart of its main figure, links."""
    user: Any = request.user
    raw_year = str(request.GET.get("year", ""))[:10]
    year = ledger_latest_year(viewer=user) or _this_year()
    if raw_year:
        parsed = _parse_int(raw_year, YEAR_MIN, YEAR_MAX)
        if parsed is None:
            return error_page(
                request, _("The year is a number from %(low)d to %(high)d.") % {"low": YEAR_MIN, "high": YEAR_MAX}, 400
            )
        year = parsed
    entries = []
    for kind in LEDGER_KINDS.values():
        rows = _rows(kind, user, year=year)
        values = _monthly_values(kind, rows)
        measure, summed = _main_measure(kind)
        chart = None
        if values is not None and any(values):
            chart = monthly_bars_svg(
                values,
                title=_("%(ledger)s %(year)d: %(figure)s by month")
                % {"ledger": kind.label, "year": year, "figure": measure},
                measure="" if summed else measure,
                testid=f"chart-{kind.code}",
            )
        entries.append(
            {
                "kind": kind,
                "count": rows.count(),
                "chart": chart,
                "figure": measure,
                "total": _total(rows, kind) if summed else None,
                "url": reverse("ledgers:rows", args=[kind.code]) + "?" + urlencode({"year": year}),
            }
        )
    context = {"entries": entries, "year": year, "years": [year - 1, year + 1]}
    return render(request, "ledgers/index.html", context)


@staff_page(*READERS)
def ledger_rows_page(request: HttpRequest, kind: str) -> HttpResponseBase:
    """One ledger's rows of a year (month, unit), paginated; `?format=xlsx` downloads them as the template."""
    user: Any = request.user
    try:
        ledger = _kind(kind)
    except NotFound as error:
        return application_error_page(request, error)
    filters = _Filters(request, ledger)
    if filters.error:
        return error_page(request, filters.error, 400)
    if filters.foreign_unit:
        return error_page(request, _("You can see your own unit's rows only."), 404)
    rows = _rows(ledger, user, year=filters.year, month=filters.month, unit=filters.unit)
    wanted = str(request.GET.get("format", ""))[:10]
    if wanted == "xlsx":
        unit = filters.unit
        if unit is None and _unit_only(user):
            unit = getattr(user, "unit", None)
        data = ledger_workbook(ledger, year=filters.year, month=filters.month, unit=unit, rows=rows)
        name = f"{ledger.code}-{filters.year}" + (f"-{filters.month:02d}" if filters.month else "") + ".xlsx"
        response = HttpResponse(data, content_type=XLSX_TYPE)
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    if wanted:
        return error_page(request, _("Unknown format."), 400)
    raw_page = str(request.GET.get("page", "1"))[:10]
    number = _parse_int(raw_page, 1, 10**6)
    if number is None:
        return error_page(request, _("The page is a whole number from 1."), 400)
    paginator = Paginator(rows, PAGE_SIZE)
    if number > paginator.num_pages:
        return error_page(request, _("There is no page %(n)d.") % {"n": number}, 404)
    page = paginator.page(number)
    unit_names = dict(Unit.objects.values_list("code", "name"))
    table = [
        {"pk": row.pk, "cells": [_shown(v) for v in row_cells(ledger, row, unit_names)], "unit": row.reporting_unit}
        for row in page.object_list
    ]
    units = [] if _unit_only(user) else list(Unit.objects.filter(is_active=True).values_list("code", "name"))
    context = {
        "ledger": ledger,
        "headers": ledger.headers,
        "table": table,
        "page": page,
        "filters": filters.shown,
        "query": filters.query(),
        "download": "?" + filters.query(format="xlsx"),
        "units": units,
        "months": list(range(0 if ledger.code == "indicators" else 1, 13)) if ledger.monthly else [],
        "can_upload": user.has_role(Role.SUPERVISOR),
    }
    return render(request, "ledgers/rows.html", context)


def _shown(value: Any) -> Any:
    if value is None or value == "":
        return "—"
    if isinstance(value, Decimal):
        return number_text(value)
    return value


def _report_link(number: str) -> str:
    try:
        return reverse("reporting:report", args=[number])
    except NoReverseMatch:
        return f"/reporting/{number}/"


def _source(source: str) -> dict[str, str]:
    """Where a row (or version) came from, with a link for a unit's report."""
    if source.startswith("report:"):
        number = source.removeprefix("report:")
        return {"label": _("Report %(number)s") % {"number": number}, "url": _report_link(number)}
    if source.startswith("import:"):
        return {"label": _("Imported workbook %(digest)s") % {"digest": source.removeprefix("import:")}, "url": ""}
    labels = {"admin": _("Entered in the administration"), "demo": _("Demo data")}
    return {"label": labels.get(source, source or "—"), "url": ""}


class _VersionValues:
    """A version's stored values as people read them: references (stored by id) by their natural text, choices by
    label, yes/no; one query per referenced model for all the versions of the row."""

    def __init__(self, kind: LedgerKind, versions: list[dict[str, Any]]) -> None:
        self.kind = kind
        self.columns = {column.field: column for column in kind.columns}
        self.names: dict[str, dict[Any, str]] = {}
        for name, column in self.columns.items():
            if column.type not in ("unit", "ref"):
                continue
            ids = {data.get(name) for data in versions} - {None, ""}
            related = kind.model._meta.get_field(name).related_model
            if not ids or related is None or isinstance(related, str):
                continue
            found = related._default_manager.filter(pk__in=ids)
            self.names[name] = {obj.pk: _natural_name(obj, column.type) for obj in found}

    def header(self, name: str) -> str:
        if name in self.columns:
            return self.columns[name].header
        return {"year": _("Year"), "month": _("Month"), "is_void": _("Void")}.get(name, name)

    def order(self, names: set[str]) -> list[str]:
        """The period first, then the columns in the template's order, then anything else."""
        known = ["year", "month", *self.columns, "is_void"]
        return [name for name in known if name in names] + sorted(names - set(known))

    def shown(self, name: str, value: Any) -> Any:
        if value is None or value == "":
            return "—"
        column = self.columns.get(name)
        if column is None:
            return (_("yes") if value else _("no")) if isinstance(value, bool) else value
        if name in self.names:
            return self.names[name].get(value, value)
        if column.type == "bool":
            return _("yes") if value else _("no")
        if column.type == "choice":
            return dict(column.choices).get(value, value)
        return value


def _natural_name(obj: Any, column_type: str) -> str:
    if column_type == "unit":
        return str(obj.name)
    return str(getattr(obj, "code", None) or getattr(obj, "name", None) or obj)


def _changes(values: _VersionValues, before: dict[str, Any] | None, after: dict[str, Any]) -> list[dict[str, Any]]:
    """What a version changed against the one before it (every field of the first version)."""
    changed = []
    for name in values.order(set(after) | set(before or {})):
        old = (before or {}).get(name)
        new = after.get(name)
        if before is not None and old == new:
            continue
        changed.append({"field": values.header(name), "old": values.shown(name, old), "new": values.shown(name, new)})
    return changed


@staff_page(*READERS)
def ledger_row_page(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    """One row: its values, its versions with what each changed, where it came from."""
    user: Any = request.user
    if pk > PK_MAX:
        return error_page(request, _("There is no such ledger row."), 404)  # beyond any id the database holds
    try:
        ledger = _kind(kind)
        row = ledger_row_get(ledger.code, pk, user)
    except ApplicationError as error:
        return application_error_page(request, error)
    stored = list(ledger_row_versions(ledger.code, row.pk))
    values = _VersionValues(ledger, [dict(version.data or {}) for version in stored])
    versions = []
    before: dict[str, Any] | None = None
    for version in stored:
        data = dict(version.data or {})
        versions.append(
            {"version": version, "source": _source(version.source), "changes": _changes(values, before, data)}
        )
        before = data
    versions.reverse()
    cells = row_cells(ledger, row, dict(Unit.objects.values_list("code", "name")))
    context = {
        "ledger": ledger,
        "row": row,
        "fields": [{"header": h, "value": _shown(v)} for h, v in zip(ledger.headers, cells, strict=True)],
        "versions": versions,
        "source": _source(row.source),
        "back": reverse("ledgers:rows", args=[ledger.code]) + "?" + urlencode({"year": row.year}),
    }
    return render(request, "ledgers/row.html", context)


@staff_page(Role.SUPERVISOR)
@require_http_methods(["GET", "POST"])
def ledger_upload(request: HttpRequest, kind: str) -> HttpResponse:
    """The office uploads a filled workbook: the dry run's report, and a confirmation when it found no error."""
    try:
        ledger = _kind(kind)
    except NotFound as error:
        return application_error_page(request, error)
    context: dict[str, Any] = {"ledger": ledger, "check": None, "errors": []}
    status = 200
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            context["errors"] = [_("Choose the filled workbook (.xlsx) to upload.")]
            status = 400
        elif upload.size is not None and upload.size > uploads.UPLOAD_MAX_BYTES:
            context["errors"] = [_("The file is larger than %(mb)d MB.") % {"mb": uploads.UPLOAD_MAX_BYTES // 2**20}]
            status = 400
        else:
            try:
                check = uploads.ledger_upload_check(
                    ledger,
                    actor=request.user,
                    name=upload.name or "",
                    data=upload.read(),
                    ip_address=client_ip(request),
                )
            except ValidationFailed as error:
                context["errors"] = uploads.error_messages(error)
                status = 400
            except ApplicationError as error:
                return application_error_page(request, error)
            else:
                context["check"] = check
                context["errors"] = check.errors
                status = 400 if check.errors else 200
    return render(request, "ledgers/upload.html", context, status=status)


@staff_page(Role.SUPERVISOR)
@require_POST
def ledger_upload_confirm(request: HttpRequest, kind: str) -> HttpResponseBase:
    """Apply the checked workbook named by its token."""
    try:
        ledger = _kind(kind)
        counts = uploads.ledger_upload_apply(
            ledger, actor=request.user, token=str(request.POST.get("token", "")), ip_address=client_ip(request)
        )
    except ValidationFailed as error:
        context = {"ledger": ledger, "check": None, "errors": uploads.error_messages(error)}
        return render(request, "ledgers/upload.html", context, status=400)
    except ApplicationError as error:
        return application_error_page(request, error)
    messages.success(
        request,
        _("Imported: %(created)d created, %(updated)d updated, %(unchanged)d unchanged.")
        % {"created": counts.created, "updated": counts.updated, "unchanged": counts.unchanged},
    )
    return redirect(reverse("ledgers:rows", args=[ledger.code]))
