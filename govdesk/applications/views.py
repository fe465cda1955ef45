"""Server-rendered application pages: a unit's (or the window's) list, and one application with the forms of the
actions this user may take. Each view parses its form, calls one service or selector, and renders; service errors
become a message on the page with the service's status code (400 / 403 / 404 / 409), never a 500."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from govdesk.cases.labels import CASE_EVENT_LABELS
from govdesk.cases.models import SuspensionKind
from govdesk.common.errors import ApplicationError, PermissionDenied
from govdesk.common.masking import mask_id_number, mask_phone
from govdesk.common.pages import application_error_page, error_page, staff_page
from govdesk.org.models import Role

from . import selectors, services
from .models import Application, Delivery, StatusChoices
from .permissions import application_check_actor, application_refusal_is_not_found
from .states import TRANSITIONS, Action, Status, actions_from

PAGE_ROLES = (Role.WINDOW_CLERK, Role.HANDLER, Role.UNIT_ADMIN, Role.SUPERVISOR, Role.LEADER)
PAGE_SIZE = 30
ACTION_LABELS = {
    Action.ACCEPT: gettext_lazy("Accept"),
    Action.REQUEST_CORRECTION: gettext_lazy("Ask for missing materials"),
    Action.SUPPLEMENT: gettext_lazy("Materials received"),
    Action.REFUSE: gettext_lazy("Refuse"),
    Action.SUSPEND: gettext_lazy("Suspend"),
    Action.RESUME: gettext_lazy("Resume"),
    Action.APPROVE: gettext_lazy("Approve"),
    Action.DENY: gettext_lazy("Deny"),
    Action.DELIVER: gettext_lazy("Deliver the result"),
}
# Every event an application's timeline may hold: its own actions, its intake, and what supervision and ratings write.
EVENT_LABELS = {
    **CASE_EVENT_LABELS,
    **{action.value: label for action, label in ACTION_LABELS.items()},
    "submit": gettext_lazy("Application submitted"),
    "material-file": gettext_lazy("Material file uploaded"),
    "material-file-replace": gettext_lazy("Material file replaced"),
    "claim": gettext_lazy("Added to the applicant's account"),
}


def events_labelled(events: Any) -> list[Any]:
    """Timeline events with a label a person reads (the action's code where none is known)."""
    rows = list(events)
    for event in rows:
        event.label = EVENT_LABELS.get(event.action, event.action)
    return rows


def _find(request: HttpRequest, number: str) -> Application | HttpResponse:
    application = selectors.application_get(user=request.user, number=number[:32])
    if application is not None:
        return application
    if not application_refusal_is_not_found(request.user) and Application.objects.filter(number=number).exists():
        return error_page(request, _("You cannot see this application."), 403)
    return error_page(request, _("No application with number %(n)s.") % {"n": number[:40]}, 404)


def _actions(user: Any, application: Application) -> list[tuple[str, str]]:
    allowed = []
    for action in actions_from(application.status):
        try:
            application_check_actor(user, application, TRANSITIONS[(Status(application.status), action)])
        except PermissionDenied:
            continue
        allowed.append((action.value, str(ACTION_LABELS[action])))
    return allowed


@staff_page(*PAGE_ROLES)
@require_GET
def application_list(request: HttpRequest) -> HttpResponse:
    """The unit's applications to decide (handlers), or every application at the window (clerks), newest first."""
    user: Any = request.user
    status = request.GET.get("status", "")
    filters = {"status": status} if status in Status.__members__.values() else {}
    rows = selectors.application_list(user=user, filters=filters)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"page": page, "status": status, "statuses": StatusChoices.choices}
    return render(request, "applications/list.html", context)


@staff_page(*PAGE_ROLES)
@require_GET
def application_detail(request: HttpRequest, number: str) -> HttpResponse:
    found = _find(request, number)
    if isinstance(found, HttpResponse):
        return found
    return _render_detail(request, found)


def _render_detail(request: HttpRequest, application: Application, *, error: str = "", status: int = 200) -> Any:
    materials = list(selectors.application_materials(application=application))
    context = {
        "application": application,
        "phone": mask_phone(application.applicant_phone),
        "id_number": mask_id_number(application.applicant_id_number),
        "materials": materials,
        "missing": selectors.application_missing_codes(materials),
        "suspensions": selectors.application_suspensions(application=application),
        "notices": selectors.application_notices(application=application),
        "timeline": events_labelled(selectors.application_timeline(application=application)),
        "actions": _actions(request.user, application),
        "suspension_kinds": SuspensionKind.choices,
        "deliveries": Delivery.choices,
        "error": error,
    }
    return render(request, "applications/detail.html", context, status=status)


def _action_kwargs(action: Action, post: Any) -> dict[str, Any]:
    """The service's arguments from the action's form fields."""
    if action in (Action.REFUSE, Action.DENY):
        return {"reason": post.get("reason", "")}
    if action is Action.SUSPEND:
        return {"reason": post.get("reason", ""), "kind": post.get("kind") or SuspensionKind.OTHER}
    if action is Action.SUPPLEMENT:
        return {"materials": post.getlist("materials"), "note": post.get("note", "")}
    if action is Action.REQUEST_CORRECTION:
        defects = {code: post.get(f"defect_{code}", "") for code in post.getlist("defective")}
        return {"defects": defects, "note": post.get("note", "")}
    if action is Action.DELIVER:
        return {"delivery": post.get("delivery") or Delivery.WINDOW, "note": post.get("note", "")}
    if action is Action.APPROVE:
        return {"note": post.get("note", ""), "result_number": post.get("result_number", "")}
    return {"note": post.get("note", "")}


@staff_page(*PAGE_ROLES)
@require_POST
def application_action(request: HttpRequest, number: str, action: str) -> HttpResponseBase:
    try:
        act = Action(action)
    except ValueError:
        raise Http404 from None
    found = _find(request, number)
    if isinstance(found, HttpResponse):
        return found
    try:
        services.ACTION_SERVICES[act](application=found.number, actor=request.user, **_action_kwargs(act, request.POST))
    except ApplicationError as exc:
        fresh = selectors.application_get(user=request.user, number=found.number)
        if fresh is None:
            return application_error_page(request, exc)
        return _render_detail(request, fresh, error=str(exc.message), status=exc.status_code)
    messages.success(request, _("Done for application %(n)s.") % {"n": found.number})
    return redirect(reverse("applications:detail", args=[found.number]))


@staff_page(*PAGE_ROLES)
@require_GET
def notice_download(request: HttpRequest, number: str, pk: int) -> HttpResponseBase:
    found = _find(request, number)
    if isinstance(found, HttpResponse):
        return found
    notice = selectors.application_notices(application=found).filter(pk=pk).first()
    if notice is None:
        return error_page(request, _("This application has no such notice."), 404)
    try:
        handle = notice.file.open("rb")
    except FileNotFoundError:
        return error_page(request, _("The file of this notice is missing."), 404)
    response = FileResponse(handle, filename=f"{notice.kind}-{found.number}.pdf", content_type="application/pdf")
    response["X-Content-Type-Options"] = "nosniff"
    return response
