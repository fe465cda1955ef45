"""The counter for packages (一件事): the clerk finds a package by name or pinyin initials, sees the merged checklist
(each shared material once, with the matters it serves), fills the merged form, ticks or scans what the applicant
brought, and accepts, asks for everything missing at once, or refuses, printing the one notice.

It reuses the applications' counter pieces: the type-ahead script and styles, the form fields, the file checks."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from govdesk.applications.forms import material_files
from govdesk.common.errors import ApplicationError, NotFound, ValidationFailed
from govdesk.common.pages import client_ip, staff_page
from govdesk.org.models import Role

from . import case_selectors, selectors, window_services
from .models import PackageVersion
from .page_forms import PackageForm
from .page_rows import checklist_rows
from .views_staff import status_label

SEARCH_LIMIT = 12
DECISIONS = ("accept", "correction", "refuse")


def _render_counter(
    request: HttpRequest,
    *,
    version: PackageVersion | None = None,
    form: PackageForm | None = None,
    error: str = "",
    status: int = 200,
    received: list[str] | None = None,
    reason: str = "",
    scan_errors: dict[str, str] | None = None,
) -> HttpResponse:
    q = request.GET.get("q", "")[:50]
    context: dict[str, Any] = {
        "q": q,
        "results": selectors.package_search(q, limit=SEARCH_LIMIT) if q else [],
        "version": version,
        "form": form,
        "error": error,
        "received": received or [],
        "reason": reason,
        "scan_errors": scan_errors or {},
        # Once the form's answers are known (shown again after a mistake), only what they need.
        "checklist": checklist_rows(version, form=form.answers_known() if form is not None else None)
        if version is not None
        else [],
    }
    done = request.GET.get("done", "")[:32]
    if done and status == 200:
        found = case_selectors.package_application_get(user=request.user, number=done)
        if found is not None:
            context["done"] = found
            context["done_status"] = status_label(found.status)
            context["done_notices"] = list(case_selectors.package_application_notices(package_application=found))
    return render(request, "packages/window/counter.html", context, status=status)


@staff_page(Role.WINDOW_CLERK)
@require_GET
def package_counter(request: HttpRequest) -> HttpResponse:
    """The package search and, once one is chosen, its merged form and checklist."""
    code = request.GET.get("package", "")
    version = None
    if code:
        try:
            version = selectors.package_get(code[:64])
        except NotFound as exc:
            return _render_counter(request, error=str(exc.message), status=404)
    form = PackageForm(version=version) if version is not None else None
    return _render_counter(request, version=version, form=form)


@staff_page(Role.WINDOW_CLERK)
@require_GET
def package_lookup(request: HttpRequest) -> JsonResponse:
    """The type-ahead's packages, in the shape of the counter's matter type-ahead (it shows both)."""
    found = selectors.package_search(request.GET.get("q", ""), limit=SEARCH_LIMIT)
    return JsonResponse(
        {
            "results": [
                {
                    "code": p.code,
                    "name": p.name,
                    "unit": p.lead_unit.name if p.lead_unit else "",
                    "url": f"{reverse('package_window:counter')}?{urlencode({'package': p.code})}",
                }
                for p in found
            ]
        }
    )


@staff_page(Role.WINDOW_CLERK)
@require_POST
def package_register(request: HttpRequest, code: str) -> HttpResponseBase:
    """Register the package with what the applicant brought and decide in one step; bad input re-shows the form and
    stores nothing."""
    try:
        version = selectors.package_get(code[:64])
    except NotFound as exc:
        return _render_counter(request, error=str(exc.message), status=404)
    form = PackageForm(request.POST, version=version)
    codes = [m.code for m in version.materials.all()]
    received = [c for c in request.POST.getlist("received") if c in codes]
    decision = request.POST.get("decision", "")
    reason = request.POST.get("reason", "")[:2000]
    scans, scan_errors = material_files(request.FILES, "scan_", codes)
    again: dict[str, Any] = {"version": version, "form": form, "received": received, "reason": reason}
    if decision not in DECISIONS:
        return _render_counter(
            request, **again, error=_("Choose accept, ask for missing materials, or refuse."), status=400
        )
    if not form.is_valid() or scan_errors:
        return _render_counter(
            request, **again, error=_("Please correct the errors below."), status=400, scan_errors=scan_errors
        )
    needed = form.needed_codes()
    if needed is not None:  # ticked or scanned for a matter these answers do not need: left out, not an error
        received = [c for c in received if c in needed]
        scans = {c: f for c, f in scans.items() if c in needed}
    # A scanned copy is a material received, ticked or not.
    data = {**form.submission_data(), "materials": sorted(set(received) | set(scans))}
    try:
        package_application = window_services.package_register_at_window(
            actor=request.user, data=data, scans=scans, decision=decision, reason=reason, ip_address=client_ip(request)
        )
    except ValidationFailed as exc:
        form.add_service_errors(exc)
        return _render_counter(request, **again, error=_("Please correct the errors below."), status=400)
    except ApplicationError as exc:
        return _render_counter(request, **again, error=str(exc.message), status=exc.status_code)
    return redirect(f"{reverse('package_window:counter')}?{urlencode({'done': package_application.number})}")
