"""Download views: parse the query, call one export service, send the file (never cached, name safe in any browser)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from govdesk.common.errors import ApplicationError
from govdesk.common.pages import application_error_page, client_ip, staff_page

from . import ledger_selectors, selectors, services
from .ledger_selectors import APPLICATION_EXPORT_ROLES
from .models import ExportKind
from .selectors import ORDER_EXPORT_ROLES, STATS_EXPORT_ROLES, TRUE_VALUES

# The exports page and downloads: anyone who may export a list.
EXPORT_ROLES = tuple(dict.fromkeys((*ORDER_EXPORT_ROLES, *APPLICATION_EXPORT_ROLES)))


def content_disposition(filename: str, ascii_fallback: str) -> str:
    """RFC 6266: an ASCII name for old clients and the UTF-8 name (Chinese) for the others."""
    return f"attachment; filename=\"{ascii_fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def _send(export: services.ExportFile) -> FileResponse:
    response = FileResponse(export.file, content_type=export.content_type)
    response["Content-Disposition"] = content_disposition(export.filename, export.ascii_filename)
    response["X-Export-Rows"] = str(export.rows)
    return response


@staff_page(*ORDER_EXPORT_ROLES)
@require_GET
def orders_xlsx(request: HttpRequest) -> HttpResponseBase:
    """The file at once, or for a large list a background export and the exports page that offers it when ready."""
    unmask = request.GET.get("unmask", "").lower() in TRUE_VALUES
    try:
        export = services.orders_xlsx_request(
            actor=request.user,
            params=request.GET,
            unmask=unmask,
            reason=request.GET.get("reason"),
            ip_address=client_ip(request),
        )
    except ApplicationError as exc:
        return application_error_page(request, exc)
    if isinstance(export, services.ExportFile):
        return _send(export)
    messages.info(
        request,
        _("%(rows)s orders: the export is being prepared in the background and will be listed here when ready.")
        % {"rows": f"{export.expected_rows:,}"},
    )
    return redirect("reports:exports")


@staff_page(*APPLICATION_EXPORT_ROLES)
@require_GET
def applications_xlsx(request: HttpRequest) -> HttpResponseBase:
    """办件台账: the file at once, or for a large list a background export, as for the order list."""
    unmask = request.GET.get("unmask", "").lower() in TRUE_VALUES
    try:
        export = services.applications_xlsx_request(
            actor=request.user,
            params=request.GET,
            unmask=unmask,
            reason=request.GET.get("reason"),
            ip_address=client_ip(request),
        )
    except ApplicationError as exc:
        return application_error_page(request, exc)
    if isinstance(export, services.ExportFile):
        return _send(export)
    messages.info(
        request,
        _("%(rows)s applications: the export is being prepared in the background and will be listed here when ready.")
        % {"rows": f"{export.expected_rows:,}"},
    )
    return redirect("reports:exports")


@staff_page(*EXPORT_ROLES)
@require_GET
def exports(request: HttpRequest) -> HttpResponse:
    """The user's exports, and the application ledger's filters (the application list itself filters by status)."""
    user: Any = request.user
    jobs = selectors.export_jobs_of(user=user)
    ledger = user.has_role(*APPLICATION_EXPORT_ROLES)
    context = {
        "rows": [{"job": job, "filters": selectors.export_filter_labels(job.filters, job.kind)} for job in jobs],
        "pending": any(job.is_pending for job in jobs),
        "keep_days": settings.GOVDESK["EXPORT_KEEP_DAYS"],
        "may_export_orders": user.has_role(*ORDER_EXPORT_ROLES),
        "application_form": ledger_selectors.application_export_form(user) if ledger else None,
        "applications_kind": ExportKind.APPLICATIONS.value,
        "unmask_export_max_rows": settings.GOVDESK["UNMASK_EXPORT_MAX_ROWS"],
    }
    return render(request, "reports/exports.html", context)


@staff_page(*EXPORT_ROLES)
@require_GET
def export_download(request: HttpRequest, job_pk: str) -> HttpResponseBase:
    try:
        export = services.export_job_download(actor=request.user, job_pk=job_pk, ip_address=client_ip(request))
    except ApplicationError as exc:
        return application_error_page(request, exc)
    return _send(export)


@staff_page(*STATS_EXPORT_ROLES)
@require_GET
def stats_xlsx(request: HttpRequest) -> HttpResponseBase:
    try:
        export = services.stats_xlsx_export(actor=request.user, params=request.GET, ip_address=client_ip(request))
    except ApplicationError as exc:
        return application_error_page(request, exc)
    return _send(export)


@staff_page(*STATS_EXPORT_ROLES)
@require_GET
def assessment_xlsx(request: HttpRequest) -> HttpResponseBase:
    try:
        export = services.assessment_xlsx_export(actor=request.user, params=request.GET, ip_address=client_ip(request))
    except ApplicationError as exc:
        return application_error_page(request, exc)
    return _send(export)


def _monthly(request: HttpRequest, month: str, fmt: str) -> HttpResponseBase:
    try:
        export = services.monthly_report_export(actor=request.user, month=month, fmt=fmt, ip_address=client_ip(request))
    except ApplicationError as exc:
        return application_error_page(request, exc)
    return _send(export)


@staff_page(*STATS_EXPORT_ROLES)
@require_GET
def monthly_xlsx(request: HttpRequest, month: str) -> HttpResponseBase:
    return _monthly(request, month, "xlsx")


@staff_page(*STATS_EXPORT_ROLES)
@require_GET
def monthly_pdf(request: HttpRequest, month: str) -> HttpResponseBase:
    return _monthly(request, month, "pdf")
