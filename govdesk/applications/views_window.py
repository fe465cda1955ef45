"""The service hall: the ticket kiosk (取号), the public call display (叫号屏), and the clerk's counter screen, where a
ticket is called and an application registered and decided (受理 / 一次性告知 / 不予受理) in one form.

Views parse, call one service or selector, render; a service's error is shown on the form with its status code."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_ratelimit.decorators import ratelimit

from govdesk.common.errors import ApplicationError, NotFound, ValidationFailed
from govdesk.common.pages import client_ip, error_page, staff_page
from govdesk.matters.models import MaterialForm
from govdesk.matters.selectors import matter_get, matter_search
from govdesk.org.models import Role

from . import selectors, services, window_selectors, window_services
from .forms import ApplicationForm, TicketTakeForm, material_files
from .models import Application, QueueTicket, TicketService
from .states import Status

SESSION_WINDOW = "window_number"
SEARCH_LIMIT = 12


# One kiosk's address serves every visitor of the hall, so the public pages' rate would stop it in minutes.
QUEUE_TICKET_RATE_DEFAULT = "300/h"


def _kiosk_rate(group: str, request: HttpRequest) -> str:
    return str(settings.GOVDESK.get("QUEUE_TICKET_RATE", QUEUE_TICKET_RATE_DEFAULT))


def _no_store(response: HttpResponse) -> HttpResponse:
    add_never_cache_headers(response)
    return response


# --- the kiosk and the display (public, no login) -------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@ratelimit(key="ip", rate=_kiosk_rate, method="POST", block=True)
def ticket_kiosk(request: HttpRequest) -> HttpResponse:
    """The hall's kiosk: choose a service, get a number on a card to keep."""
    status = 200
    context: dict[str, Any] = {"services": TicketService.choices}
    if request.method == "POST":
        form = TicketTakeForm(request.POST)
        if form.is_valid():
            ticket = window_services.ticket_take(service=form.cleaned_data["service"], ip_address=client_ip(request))
            context.update(ticket=ticket, ahead=window_selectors.ticket_ahead(ticket))
            return _no_store(render(request, "applications/window/ticket_card.html", context))
        context["error"] = _("Choose a service.")
        status = 400
    return _no_store(render(request, "applications/window/kiosk.html", context, status=status))


@require_GET
def call_display(request: HttpRequest) -> HttpResponse:
    """The hall's screen: the latest calls in large type; the script refreshes it from `call_display_data`."""
    context = {"called": window_selectors.ticket_display(), "waiting": window_selectors.ticket_waiting_counts()}
    return _no_store(render(request, "applications/window/display.html", context))


def _call_text(ticket: QueueTicket) -> str:
    return _("Ticket %(number)s, please go to window %(window)s") % {"number": ticket.number, "window": ticket.window}


@require_GET
def call_display_data(request: HttpRequest) -> JsonResponse:
    """Numbers and windows only: the screen is public, so nothing about the people."""
    called = window_selectors.ticket_display()
    response = JsonResponse(
        {
            "called": [
                {
                    "number": t.number,
                    "window": t.window,
                    "calls": t.calls,
                    "called_at": t.called_at.isoformat() if t.called_at else None,
                    "text": _call_text(t),
                    "window_text": _("Window %(window)s") % {"window": t.window},
                }
                for t in called
            ],
            "waiting": window_selectors.ticket_waiting_counts(),
        }
    )
    add_never_cache_headers(response)
    return response


# --- the counter --------------------------------------------------------------------------------------------------


def _window_number(request: HttpRequest) -> int:
    value = request.session.get(SESSION_WINDOW, 1)
    return value if isinstance(value, int) else 1


def _materials(version: Any) -> list[Any]:
    return list(version.materials.all().order_by("order", "code"))


def _render_counter(
    request: HttpRequest,
    *,
    version: Any = None,
    form: ApplicationForm | None = None,
    error: str = "",
    status: int = 200,
    received: list[str] | None = None,
    decision: str = "",
    reason: str = "",
    scan_errors: dict[str, str] | None = None,
) -> HttpResponse:
    q = request.GET.get("q", "")[:50]
    context: dict[str, Any] = {
        "ticket": window_selectors.ticket_current(actor=request.user),
        "waiting": window_selectors.ticket_waiting_counts(),
        "services": TicketService.choices,
        "window": _window_number(request),
        "q": q,
        "results": matter_search(q, limit=SEARCH_LIMIT) if q else [],
        "version": version,
        "form": form,
        "error": error,
        "received": received or [],
        "decision": decision,
        "reason": reason,
        "scan_errors": scan_errors or {},
        "material_forms": dict(MaterialForm.choices),
    }
    if version is not None:
        context["materials"] = _materials(version)
    done = request.GET.get("done", "")[:32]
    if done and status == 200:
        application = selectors.application_get(user=request.user, number=done)
        if application is not None:
            context["done"] = application
            context["done_notices"] = list(selectors.application_notices(application=application))
    return render(request, "applications/window/counter.html", context, status=status)


@staff_page(Role.WINDOW_CLERK)
@require_GET
def counter(request: HttpRequest) -> HttpResponse:
    """The clerk's screen: the ticket at the counter, the queues, the matter search, and the chosen matter's form."""
    version = None
    code = request.GET.get("matter", "")
    if code:
        try:
            version = matter_get(code[:64])
        except NotFound as exc:
            return _render_counter(request, error=str(exc.message), status=404)
    form = ApplicationForm(version=version) if version is not None else None
    return _render_counter(request, version=version, form=form)


TICKET_ACTIONS = {
    "recall": window_services.ticket_recall,
    "no-show": window_services.ticket_no_show,
    "done": window_services.ticket_done,
}


@staff_page(Role.WINDOW_CLERK)
@require_POST
def ticket_action(request: HttpRequest, action: str) -> HttpResponseBase:
    """叫号 / 重呼 / 过号 / 办结 from the counter screen."""
    ip = client_ip(request)
    try:
        if action == "call":
            window = request.POST.get("window", "")
            ticket = window_services.ticket_call_next(
                actor=request.user, window=window, services_called=request.POST.getlist("services"), ip_address=ip
            )
            request.session[SESSION_WINDOW] = int(window)
            if ticket is None:
                messages.info(request, _("Nobody is waiting."))
        elif action in TICKET_ACTIONS:
            TICKET_ACTIONS[action](actor=request.user, ticket_id=request.POST.get("ticket"), ip_address=ip)
        else:
            raise Http404
    except ApplicationError as exc:
        return _render_counter(request, error=str(exc.message), status=exc.status_code)
    return redirect(reverse("window:counter"))


@staff_page(Role.WINDOW_CLERK)
@require_GET
def matter_lookup(request: HttpRequest) -> JsonResponse:
    """The type-ahead: matters by name or pinyin initials ("yyzz")."""
    found = matter_search(request.GET.get("q", ""), limit=SEARCH_LIMIT)
    return JsonResponse(
        {
            "results": [
                {
                    "code": m.code,
                    "name": m.name,
                    "unit": m.unit.name if m.unit else "",
                    "url": f"{reverse('window:counter')}?{urlencode({'matter': m.code})}",
                }
                for m in found
            ]
        }
    )


@staff_page(Role.WINDOW_CLERK)
@require_POST
def register(request: HttpRequest, code: str) -> HttpResponseBase:
    """Register what the applicant brought and decide in one step; bad input re-shows the form, nothing stored."""
    try:
        version = matter_get(code[:64])
    except NotFound as exc:
        return _render_counter(request, error=str(exc.message), status=404)
    form = ApplicationForm(request.POST, version=version)
    codes = [m.code for m in version.materials.all()]
    received = [c for c in request.POST.getlist("received") if c in codes]
    decision = request.POST.get("decision", "")
    reason = request.POST.get("reason", "")[:2000]
    scans, scan_errors = material_files(request.FILES, "scan_", codes)
    again: dict[str, Any] = {
        "version": version,
        "form": form,
        "received": received,
        "decision": decision,
        "reason": reason,
    }
    if not form.is_valid() or scan_errors:
        return _render_counter(
            request, **again, error=_("Please correct the errors below."), status=400, scan_errors=scan_errors
        )
    # A scanned copy is a material received, ticked or not.
    data = {**form.submission_data(), "materials": sorted(set(received) | set(scans))}
    try:
        application = window_services.application_register_at_window(
            actor=request.user, data=data, scans=scans, decision=decision, reason=reason, ip_address=client_ip(request)
        )
    except ValidationFailed as exc:
        form.add_service_errors(exc)
        return _render_counter(request, **again, error=_("Please correct the errors below."), status=400)
    except ApplicationError as exc:
        return _render_counter(request, **again, error=str(exc.message), status=exc.status_code)
    return redirect(f"{reverse('window:counter')}?{urlencode({'done': application.number})}")


# --- materials handed in later --------------------------------------------------------------------------------------


def _render_materials(
    request: HttpRequest,
    application: Application,
    *,
    status: int = 200,
    error: str = "",
    scan_errors: dict[str, str] | None = None,
    received: list[str] | None = None,
) -> HttpResponse:
    materials = list(selectors.application_materials(application=application).select_related("attachment"))
    open_for_materials = application.status in (Status.SUBMITTED, Status.CORRECTION)
    context = {
        "application": application,
        "materials": materials,
        # Materials are handed in before acceptance only (the table's supplement rows).
        "open_for_materials": open_for_materials,
        "to_supply": [m for m in materials if not m.received] if open_for_materials else [],
        "error": error,
        "scan_errors": scan_errors or {},
        "received": received or [],
    }
    return render(request, "applications/window/materials.html", context, status=status)


@staff_page(Role.WINDOW_CLERK)
@require_http_methods(["GET", "POST"])
def materials_supplement(request: HttpRequest, number: str) -> HttpResponseBase:
    """补正 at the window: the materials the applicant brings later, ticked or scanned; a scan of a material found
    defective replaces its old file (which stays in the case's history)."""
    application = selectors.application_get(user=request.user, number=number[:32])
    if application is None:
        return error_page(request, _("No application with number %(n)s.") % {"n": number[:40]}, 404)
    if request.method == "GET":
        return _render_materials(request, application)
    codes = [m.code for m in selectors.application_materials(application=application) if not m.received]
    received = [c for c in request.POST.getlist("received") if c in codes]
    scans, scan_errors = material_files(request.FILES, "scan_", codes)
    if scan_errors:
        return _render_materials(
            request,
            application,
            status=400,
            error=_("Please correct the errors below."),
            scan_errors=scan_errors,
            received=received,
        )
    try:
        services.application_supplement(
            application=application.number,
            actor=request.user,
            # A scanned copy is a material handed in, ticked or not.
            materials=sorted(set(received) | set(scans)),
            note=request.POST.get("note", "")[:2000],
            files=scans,
        )
    except ApplicationError as exc:
        fresh = selectors.application_get(user=request.user, number=application.number) or application
        return _render_materials(request, fresh, status=exc.status_code, error=str(exc.message), received=received)
    messages.success(request, _("Materials received for application %(n)s.") % {"n": application.number})
    return redirect(reverse("applications:detail", args=[application.number]))
