"""Download views: parse the query, call one export service, send the file (never cached, name safe in any browser)."""

from __future__ import annotations

from urllib.parse import quote

from django.http import FileResponse, HttpRequest
from django.http.response import HttpResponseBase
from django.views.decorators.http import require_GET

from govdesk.common.errors import ApplicationError
from govdesk.web.shortcuts import application_error_page, client_ip, staff_page

from . import services
from .selectors import ORDER_EXPORT_ROLES, STATS_EXPORT_ROLES, TRUE_VALUES


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
    unmask = request.GET.get("unmask", "").lower() in TRUE_VALUES
    try:
        export = services.orders_xlsx_export(
            actor=request.user, params=request.GET, unmask=unmask, ip_address=client_ip(request)
        )
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
