"""Pages of the permit registry: the public verification page, the staff registry (list, chart, xlsx) and a permit's
page with the issuing unit's verify/revoke actions. Thin: selectors read, services write."""

from __future__ import annotations

import io
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST
from django_ratelimit.decorators import ratelimit

from govdesk.common.errors import ApplicationError
from govdesk.common.pages import error_page, staff_page
from govdesk.org.models import Role

from . import selectors, services
from .charts import monthly_chart
from .models import Permit

STAFF_ROLES = (Role.SUPERVISOR, Role.LEADER, Role.WINDOW_CLERK, Role.HANDLER, Role.UNIT_ADMIN)
PAGE_SIZE = 50
EXPORT_MAX_ROWS = 10_000
DEFAULT_VERIFY_RATE = "120/h"  # settings.GOVDESK["PERMIT_VERIFY_RATE"] overrides it


def _verify_rate(group: str, request: HttpRequest) -> str:
    return str(settings.GOVDESK.get("PERMIT_VERIFY_RATE", DEFAULT_VERIFY_RATE))


STATUS_LABELS = {
    selectors.DISPLAY_VALID: gettext_lazy("Valid"),
    selectors.DISPLAY_REVOKED: gettext_lazy("Revoked"),
    selectors.DISPLAY_ON_COMMITMENT: gettext_lazy("Valid, approved on commitment (verification pending)"),
}


def _status_label(permit: Permit) -> str:
    return str(STATUS_LABELS[selectors.permit_display_status(permit)])


@require_GET
@ratelimit(key="ip", rate=_verify_rate, method="GET", block=True)
def verify(request: HttpRequest) -> HttpResponse:
    """核验: anyone may check a number; the platform's permits show, any other number is reported unknown (404)."""
    context: dict[str, Any] = {"number": ""}
    status = 200
    if "number" in request.GET:
        raw = request.GET.get("number", "")
        context["number"] = raw[: services.NUMBER_MAX_LENGTH]
        permit = selectors.permit_by_number(raw)
        if permit is None:
            status = 404
            context["unknown"] = True
        else:
            context.update(
                permit=permit,
                holder=selectors.permit_holder_public(permit),
                status_key=selectors.permit_display_status(permit),
                status_label=_status_label(permit),
            )
    response = render(request, "permits/verify.html", context, status=status)
    add_never_cache_headers(response)
    return response


def _filters(request: HttpRequest) -> dict[str, str]:
    def value(name: str, limit: int) -> str:
        return request.GET.get(name, "").strip()[:limit]

    status = value("status", 20)
    return {
        "q": value("q", services.NUMBER_MAX_LENGTH),
        "unit": value("unit", 32),
        "project": value("project", 40),
        "status": status if status in STATUS_LABELS else "",
        "order": "due",
    }


@staff_page(*STAFF_ROLES)
@require_GET
def registry(request: HttpRequest) -> HttpResponseBase:
    filters = _filters(request)
    permits = selectors.permit_list(user=request.user, filters=filters)
    if request.GET.get("format") == "xlsx":
        return _xlsx(request, permits)
    page = Paginator(permits, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [(permit, _status_label(permit)) for permit in page.object_list]
    chart = monthly_chart(selectors.permit_monthly_counts(permits=permits))
    query = urlencode({k: v for k, v in filters.items() if v and k != "order"})
    context = {
        "page": page,
        "rows": rows,
        "filters": filters,
        "statuses": list(STATUS_LABELS.items()),
        "chart": chart,
        "query": query,
        "now": timezone.now(),
    }
    return render(request, "permits/registry.html", context)


def _xlsx(request: HttpRequest, permits: Any) -> HttpResponse:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("Permits"))
    sheet.append([_("Number"), _("Kind"), _("Issuing unit"), _("Project"), _("Holder"), _("Issued at"), _("Status")])
    for permit in permits[:EXPORT_MAX_ROWS]:
        sheet.append(
            [
                permit.number,
                permit.kind,
                permit.unit.name,
                permit.project.code if permit.project is not None else "",
                selectors.permit_holder_for(request.user, permit),
                timezone.localtime(permit.issued_at).strftime("%Y-%m-%d %H:%M"),
                _status_label(permit),
            ]
        )
    out = io.BytesIO()
    book.save(out)
    response = HttpResponse(
        out.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = 'attachment; filename="permits.xlsx"'
    return response


def _find(request: HttpRequest, pk: int) -> Permit | HttpResponse:
    found = Permit.objects.filter(pk=pk).values_list("number", flat=True).first()
    permit = selectors.permit_get(user=request.user, number=found) if found else None
    if permit is None:
        return error_page(request, _("No such permit, or not one you may see."), 404)
    return permit


def _render_detail(request: HttpRequest, permit: Permit, *, error: str = "", status: int = 200) -> HttpResponse:
    context = {
        "permit": permit,
        "holder": selectors.permit_holder_for(request.user, permit),
        "status_key": selectors.permit_display_status(permit),
        "status_label": _status_label(permit),
        "can_act": services.permit_can_act(request.user, permit),
        "error": error,
    }
    return render(request, "permits/detail.html", context, status=status)


@staff_page(*STAFF_ROLES)
@require_GET
def detail(request: HttpRequest, pk: int) -> HttpResponseBase:
    found = _find(request, pk)
    if isinstance(found, HttpResponse):
        return found
    return _render_detail(request, found)


@staff_page(Role.HANDLER, Role.UNIT_ADMIN)
@require_POST
def act(request: HttpRequest, pk: int, action: str) -> HttpResponseBase:
    found = _find(request, pk)
    if isinstance(found, HttpResponse):
        return found
    try:
        if action == "verify":
            services.permit_verify(permit=found, actor=request.user, note=request.POST.get("note", ""))
        elif action == "revoke":
            services.permit_revoke(permit=found, actor=request.user, reason=request.POST.get("reason", ""))
        else:
            return error_page(request, _("No such action."), 404)
    except ApplicationError as exc:
        fresh = Permit.objects.select_related("unit", "project", "matter").get(pk=found.pk)
        return _render_detail(request, fresh, error=str(exc.message), status=exc.status_code)
    messages.success(request, _("Done for permit %(n)s.") % {"n": found.number})
    return redirect(reverse("permits:detail", args=[found.pk]))
