"""网上申报: a signed-in citizen finds a matter, fills its form on a phone, uploads the materials, follows the
application (timeline, notices) and supplements what a correction notice asks for; anyone tracks an application by
its number and the last 4 characters of the ID number (no login, rate-limited, masked)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_ratelimit.decorators import ratelimit

from govdesk.common.errors import ApplicationError, NotFound, ValidationFailed
from govdesk.common.masking import mask_id_number, mask_name, mask_phone
from govdesk.common.pages import application_error_page, client_ip, error_page, staff_page
from govdesk.matters.selectors import matter_get, matter_list, matter_search
from govdesk.org.models import Role

from . import selectors, window_selectors, window_services
from .forms import ApplicationForm, ClaimForm, TrackForm, material_files
from .models import Application
from .states import Status
from .views import events_labelled

SEARCH_LIMIT = 30


def _rate(key: str) -> Any:
    def rate(group: str, request: HttpRequest) -> str:
        return str(settings.GOVDESK[key])

    return rate


def _own(request: HttpRequest, number: str) -> Application | None:
    """The citizen's own application; anyone else's reads as missing (numbers are sequential)."""
    application = selectors.application_get(user=request.user, number=number[:32])
    if application is None or application.applicant_id != request.user.pk:
        return None
    return application


@staff_page(Role.CITIZEN)
@require_GET
def apply_index(request: HttpRequest) -> HttpResponse:
    """Find a matter (name or pinyin initials), see one's own applications, add one registered at the window."""
    q = request.GET.get("q", "")[:50]
    matters = matter_search(q, limit=SEARCH_LIMIT) if q else list(matter_list()[:SEARCH_LIMIT])
    context = {
        "q": q,
        "matters": matters,
        "mine": window_selectors.applications_of_citizen(user=request.user)[:50],
        "claim_form": ClaimForm(),
    }
    return render(request, "applications/online/index.html", context)


def _render_apply(
    request: HttpRequest, version: Any, form: ApplicationForm, *, status: int = 200, file_errors: Any = None
) -> HttpResponse:
    context = {
        "version": version,
        "form": form,
        "materials": list(version.materials.all().order_by("order", "code")),
        "file_errors": file_errors or {},
    }
    return render(request, "applications/online/apply.html", context, status=status)


@staff_page(Role.CITIZEN)
@require_http_methods(["GET", "POST"])
def apply_form(request: HttpRequest, code: str) -> HttpResponseBase:
    """The matter's form, generated from its fields, with one upload per material."""
    try:
        version = matter_get(code[:64])
    except NotFound as exc:
        return application_error_page(request, exc)
    if request.method == "GET":
        user: Any = request.user
        return _render_apply(
            request, version, ApplicationForm(version=version, initial={"applicant_name": user.display_name})
        )
    form = ApplicationForm(request.POST, version=version)
    codes = [m.code for m in version.materials.all()]
    uploads, file_errors = material_files(request.FILES, "file_", codes)
    if not form.is_valid() or file_errors:
        return _render_apply(request, version, form, status=400, file_errors=file_errors)
    try:
        application = window_services.application_submit_online(
            actor=request.user, data=form.submission_data(), uploads=uploads, ip_address=client_ip(request)
        )
    except ValidationFailed as exc:
        form.add_service_errors(exc)
        return _render_apply(request, version, form, status=400)
    except ApplicationError as exc:
        return application_error_page(request, exc)
    messages.success(request, _("Application %(n)s submitted.") % {"n": application.number})
    return redirect(reverse("online:mine", args=[application.number]))


def _render_mine(
    request: HttpRequest, application: Application, *, status: int = 200, file_errors: Any = None, error: str = ""
) -> HttpResponse:
    materials = list(selectors.application_materials(application=application))
    missing = [m for m in materials if not m.received and (m.required or m.defect)]
    context = {
        "application": application,
        "phone": mask_phone(application.applicant_phone),
        "id_number": mask_id_number(application.applicant_id_number),
        "materials": materials,
        "missing": missing if application.status == Status.CORRECTION else [],
        "notices": selectors.application_notices(application=application),
        "timeline": events_labelled(selectors.application_timeline(application=application, public_only=True)),
        "suspensions": selectors.application_suspensions(application=application),
        "file_errors": file_errors or {},
        "error": error,
    }
    return render(request, "applications/online/mine.html", context, status=status)


@staff_page(Role.CITIZEN)
@require_GET
def my_application(request: HttpRequest, number: str) -> HttpResponse:
    application = _own(request, number)
    if application is None:
        return error_page(request, _("No application with number %(n)s.") % {"n": number[:40]}, 404)
    return _render_mine(request, application)


@staff_page(Role.CITIZEN)
@require_POST
def supplement(request: HttpRequest, number: str) -> HttpResponseBase:
    """补正 online: one file per material the correction notice asked for."""
    application = _own(request, number)
    if application is None:
        return error_page(request, _("No application with number %(n)s.") % {"n": number[:40]}, 404)
    codes = [m.code for m in selectors.application_materials(application=application) if not m.received]
    uploads, file_errors = material_files(request.FILES, "file_", codes)
    if file_errors:
        return _render_mine(request, application, status=400, file_errors=file_errors)
    try:
        window_services.application_supplement_online(
            actor=request.user, application=application.number, uploads=uploads
        )
    except ApplicationError as exc:
        return _render_mine(request, application, status=exc.status_code, error=str(exc.message))
    messages.success(request, _("Materials received for application %(n)s.") % {"n": application.number})
    return redirect(reverse("online:mine", args=[application.number]))


@staff_page(Role.CITIZEN)
@require_GET
def my_notice(request: HttpRequest, number: str, pk: int) -> HttpResponseBase:
    application = _own(request, number)
    notice = selectors.application_notices(application=application).filter(pk=pk).first() if application else None
    if notice is None:
        return error_page(request, _("This application has no such notice."), 404)
    try:
        handle = notice.file.open("rb")
    except FileNotFoundError:
        return error_page(request, _("The file of this notice is missing."), 404)
    response = FileResponse(handle, filename=f"{notice.kind}-{number}.pdf", content_type="application/pdf")
    response["X-Content-Type-Options"] = "nosniff"
    return response


@staff_page(Role.CITIZEN)
@require_POST
@ratelimit(key="ip", rate=_rate("PUBLIC_TRACK_RATE"), method="POST", block=True)
def claim(request: HttpRequest) -> HttpResponseBase:
    """Add an application registered at the window to one's account (number + the full ID number)."""
    form = ClaimForm(request.POST)
    if not form.is_valid():
        return error_page(request, _("Enter the application number and your ID number."), 400)
    try:
        application = window_services.application_claim(
            actor=request.user,
            number=form.cleaned_data["number"],
            id_number=form.cleaned_data["id_number"],
            ip_address=client_ip(request),
        )
    except ApplicationError as exc:
        return application_error_page(request, exc)
    return redirect(reverse("online:mine", args=[application.number]))


@require_http_methods(["GET", "POST"])
@ratelimit(key="ip", rate=_rate("PUBLIC_TRACK_RATE"), method="POST", block=True)
def track(request: HttpRequest) -> HttpResponse:
    """Public tracking: status, public timeline and deadline; the applicant's name and data masked."""
    context: dict[str, Any] = {}
    status = 200
    if request.method == "POST":
        form = TrackForm(request.POST)
        if form.is_valid():
            application = window_selectors.application_public_track(
                number=form.cleaned_data["number"], id_last4=form.cleaned_data["id_last4"]
            )
            if application is None:
                context["not_found"] = _(
                    "No application matches this number and these characters. Check both and try again."
                )
                status = 404
            else:
                context["application"] = application
                context["applicant"] = mask_name(application.applicant_name)
                context["timeline"] = events_labelled(
                    selectors.application_timeline(application=application, public_only=True)
                )
        else:
            status = 400
    else:
        form = TrackForm()
    context["form"] = form
    response = render(request, "applications/online/track.html", context, status=status)
    add_never_cache_headers(response)
    return response
