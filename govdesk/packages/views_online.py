"""网上申报 of a package (一件事): a signed-in citizen finds a package, fills its one merged form on a phone,
uploads each merged material once, and follows it on one progress page: every part with its unit, status, deadline
and result or reason, the package's notices, the supplement form when a correction notice asked for something, the
rating link once it is closed. Someone else's package reads as missing (numbers are sequential)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from govdesk.applications.forms import material_files
from govdesk.common.errors import ApplicationError, NotFound, ValidationFailed
from govdesk.common.masking import mask_id_number, mask_phone
from govdesk.common.pages import application_error_page, client_ip, error_page, staff_page
from govdesk.org.models import Role

from . import case_selectors, selectors, window_services
from .models import PackageApplication, PackageVersion
from .page_forms import PackageForm
from .page_rows import checklist_rows, part_rows
from .states import Status
from .views_staff import events_labelled, notice_file_response, status_label

SEARCH_LIMIT = 30


def _own(request: HttpRequest, number: str) -> PackageApplication | None:
    found = case_selectors.package_application_get(user=request.user, number=number[:32])
    if found is None or found.applicant_id != request.user.pk:
        return None
    return found


def _missing(request: HttpRequest, number: str) -> HttpResponse:
    return error_page(request, _("No package application with number %(n)s.") % {"n": number[:40]}, 404)


@staff_page(Role.CITIZEN)
@require_GET
def package_index(request: HttpRequest) -> HttpResponse:
    """一件事一次办: the packages (name or pinyin initials), and one's own package applications."""
    q = request.GET.get("q", "")[:50]
    packages = selectors.package_search(q, limit=SEARCH_LIMIT) if q else list(selectors.package_list()[:SEARCH_LIMIT])
    # A citizen sees only the packages of their own account.
    mine = list(case_selectors.package_application_list(user=request.user)[:50])
    return render(request, "packages/online/index.html", {"q": q, "packages": packages, "mine": mine})


def _render_apply(
    request: HttpRequest, version: PackageVersion, form: PackageForm, *, status: int = 200, file_errors: Any = None
) -> HttpResponse:
    context = {
        "version": version,
        "form": form,
        "checklist": checklist_rows(version, form=form.answers_known()),
        "file_errors": file_errors or {},
    }
    return render(request, "packages/online/apply.html", context, status=status)


@staff_page(Role.CITIZEN)
@require_http_methods(["GET", "POST"])
def package_apply(request: HttpRequest, code: str) -> HttpResponseBase:
    """The package's merged form, generated from its version's fields, with one upload per merged material."""
    try:
        version = selectors.package_get(code[:64])
    except NotFound as exc:
        return application_error_page(request, exc)
    if request.method == "GET":
        user: Any = request.user
        return _render_apply(
            request, version, PackageForm(version=version, initial={"applicant_name": user.display_name})
        )
    form = PackageForm(request.POST, version=version)
    codes = [m.code for m in version.materials.all()]
    uploads, file_errors = material_files(request.FILES, "file_", codes)
    if not form.is_valid() or file_errors:
        return _render_apply(request, version, form, status=400, file_errors=file_errors)
    needed = form.needed_codes()
    if needed is not None:  # a file for a matter these answers do not need: left out, not an error
        uploads = {c: f for c, f in uploads.items() if c in needed}
    try:
        package_application = window_services.package_submit_online(
            actor=request.user, data=form.submission_data(), uploads=uploads, ip_address=client_ip(request)
        )
    except ValidationFailed as exc:
        form.add_service_errors(exc)
        return _render_apply(request, version, form, status=400)
    except ApplicationError as exc:
        return application_error_page(request, exc)
    messages.success(request, _("Package application %(n)s submitted.") % {"n": package_application.number})
    return redirect(reverse("package_online:mine", args=[package_application.number]))


def _render_progress(
    request: HttpRequest,
    package_application: PackageApplication,
    *,
    status: int = 200,
    file_errors: Any = None,
    error: str = "",
) -> HttpResponse:
    receipts = list(case_selectors.package_application_materials(package_application=package_application))
    parts = list(case_selectors.package_application_parts(package_application=package_application))
    asked = package_application.status == Status.CORRECTION
    context = {
        "package_application": package_application,
        "status_label": status_label(package_application.status),
        "phone": mask_phone(package_application.applicant_phone),
        "id_number": mask_id_number(package_application.applicant_id_number),
        "checklist": checklist_rows(package_application.package_version, receipts, form=package_application.form or {}),
        "missing": [r for r in receipts if not r.received and (r.required or r.defect)] if asked else [],
        "parts": part_rows(package_application, parts),
        "notices": case_selectors.package_application_notices(package_application=package_application),
        "timeline": events_labelled(
            case_selectors.package_application_timeline(package_application=package_application, public_only=True)
        ),
        "can_rate": package_application.status == Status.CLOSED,
        "file_errors": file_errors or {},
        "error": error,
    }
    return render(request, "packages/online/progress.html", context, status=status)


@staff_page(Role.CITIZEN)
@require_GET
def package_progress(request: HttpRequest, number: str) -> HttpResponse:
    found = _own(request, number)
    if found is None:
        return _missing(request, number)
    return _render_progress(request, found)


@staff_page(Role.CITIZEN)
@require_POST
def package_supplement(request: HttpRequest, number: str) -> HttpResponseBase:
    """补正 online: one file per merged material the one correction notice asked for."""
    found = _own(request, number)
    if found is None:
        return _missing(request, number)
    receipts = case_selectors.package_application_materials(package_application=found)
    codes = [r.code for r in receipts if not r.received]
    uploads, file_errors = material_files(request.FILES, "file_", codes)
    if file_errors:
        return _render_progress(request, found, status=400, file_errors=file_errors)
    try:
        window_services.package_supplement_online(actor=request.user, package_application=found.number, uploads=uploads)
    except ApplicationError as exc:
        return _render_progress(request, found, status=exc.status_code, error=str(exc.message))
    messages.success(request, _("Materials received for package application %(n)s.") % {"n": found.number})
    return redirect(reverse("package_online:mine", args=[found.number]))


@staff_page(Role.CITIZEN)
@require_GET
def package_notice(request: HttpRequest, number: str, pk: int) -> HttpResponseBase:
    found = _own(request, number)
    if found is None:
        return error_page(request, _("This package application has no such notice."), 404)
    return notice_file_response(request, found, pk)
