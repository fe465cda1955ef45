"""Staff pages of package applications (一件事): the list for window clerks, the lead unit and supervisors, and one
package with its merged materials, its parts against the promised total, its notices and timeline; the clerk's
acceptance decisions (受理 / 一次性告知 / 不予受理 / 送达) and the lead unit's "urge this part".

Views parse, call one service or selector, render; a service's error is shown on the page with its status code."""

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

from govdesk.applications.models import Channel, Delivery
from govdesk.applications.permissions import application_can_view
from govdesk.common.errors import ApplicationError
from govdesk.common.masking import mask_id_number, mask_phone
from govdesk.common.pages import application_error_page, error_page, staff_page
from govdesk.org.models import Role

from . import case_selectors, case_services
from .models import PackageApplication
from .page_rows import checklist_rows, part_rows, parts_chart
from .states import Action, Status

PAGE_ROLES = (Role.WINDOW_CLERK, Role.HANDLER, Role.UNIT_ADMIN, Role.SUPERVISOR, Role.LEADER)
PAGE_SIZE = 30
ACTION_LABELS = {
    Action.ACCEPT: gettext_lazy("Accept"),
    Action.REQUEST_CORRECTION: gettext_lazy("Ask for everything missing at once"),
    Action.SUPPLEMENT: gettext_lazy("Materials received"),
    Action.REFUSE: gettext_lazy("Refuse"),
    Action.DELIVER: gettext_lazy("Deliver the results"),
}
EVENT_LABELS = {
    **{action.value: label for action, label in ACTION_LABELS.items()},
    "submit": gettext_lazy("Package applied for"),
    "decide": gettext_lazy("Every part decided"),
    "close": gettext_lazy("Package closed"),
    "part-start": gettext_lazy("Part started"),
    "part-cancel": gettext_lazy("Part not started"),
    "part-urge": gettext_lazy("Part urged"),
    "material-file": gettext_lazy("Material file uploaded"),
    "material-file-replace": gettext_lazy("Material file replaced"),
    "evaluate": gettext_lazy("Rated"),
}


status_label = case_selectors.package_status_label


def events_labelled(events: Any) -> list[Any]:
    """Timeline events in words (the action's code where none is known)."""
    rows = list(events)
    for event in rows:
        event.label = EVENT_LABELS.get(event.action, event.action)
    return rows


def _find(request: HttpRequest, number: str) -> PackageApplication | HttpResponse:
    found = case_selectors.package_application_get(user=request.user, number=number[:32])
    if found is not None:
        return found
    if PackageApplication.objects.filter(number=number[:32]).exists():
        return error_page(request, _("You cannot see this package application."), 403)
    return error_page(request, _("No package application with number %(n)s.") % {"n": number[:40]}, 404)


@staff_page(*PAGE_ROLES)
@require_GET
def package_case_list(request: HttpRequest) -> HttpResponse:
    """Package applications this user may see: filters by status, package and parts past their deadline."""
    status = request.GET.get("status", "")
    package = request.GET.get("package", "")[:64]
    late = request.GET.get("late") == "1"
    filters: dict[str, Any] = {}
    if status in Status.__members__.values():
        filters["status"] = status
    if package:
        filters["package"] = package
    if late:
        filters["late"] = True
    rows = case_selectors.package_application_list(user=request.user, filters=filters)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "status": status,
        "package": package,
        "late": late,
        "statuses": [(s.value, str(label)) for s, label in case_selectors.STATUS_LABELS.items()],
    }
    return render(request, "packages/staff/list.html", context)


def _render_detail(
    request: HttpRequest, package_application: PackageApplication, *, error: str = "", status: int = 200
) -> HttpResponse:
    user: Any = request.user
    receipts = list(case_selectors.package_application_materials(package_application=package_application))
    parts = list(case_selectors.package_application_parts(package_application=package_application))
    can_urge = case_selectors.package_application_can_urge(user=user, package_application=package_application)
    actions = case_selectors.package_application_actions(user=user, package_application=package_application)
    see_all = case_selectors.package_application_sees_all(user=user, package_application=package_application)

    def link_to(application: Any) -> str:
        if not application_can_view(user, application):
            return ""
        return reverse("applications:detail", args=[application.number])

    context = {
        "package_application": package_application,
        "see_all": see_all,
        "channel": dict(Channel.choices).get(package_application.channel, package_application.channel),
        "status_label": status_label(package_application.status),
        "phone": mask_phone(package_application.applicant_phone),
        "id_number": mask_id_number(package_application.applicant_id_number),
        "checklist": checklist_rows(package_application.package_version, receipts, form=package_application.form or {}),
        "parts": part_rows(package_application, parts, link_to=link_to, can_urge=can_urge),
        "urge": can_urge,
        "chart": parts_chart(package_application, parts),
        "notices": case_selectors.package_application_notices(package_application=package_application),
        "timeline": events_labelled(
            case_selectors.package_application_timeline(package_application=package_application)
        ),
        "actions": [(a.value, str(ACTION_LABELS[a])) for a in actions],
        "deliveries": Delivery.choices,
        "error": error,
    }
    return render(request, "packages/staff/detail.html", context, status=status)


@staff_page(*PAGE_ROLES)
@require_GET
def package_case_detail(request: HttpRequest, number: str) -> HttpResponse:
    found = _find(request, number)
    if isinstance(found, HttpResponse):
        return found
    return _render_detail(request, found)


def _action_kwargs(action: Action, post: Any) -> dict[str, Any]:
    if action is Action.REFUSE:
        return {"reason": post.get("reason", "")[:2000]}
    if action is Action.SUPPLEMENT:
        return {"materials": post.getlist("materials"), "note": post.get("note", "")[:2000]}
    if action is Action.REQUEST_CORRECTION:
        defects = {code: post.get(f"defect_{code}", "")[:200] for code in post.getlist("defective")}
        return {"defects": defects, "note": post.get("note", "")[:2000]}
    if action is Action.DELIVER:
        return {"delivery": post.get("delivery") or Delivery.WINDOW, "note": post.get("note", "")[:2000]}
    return {"note": post.get("note", "")[:2000]}


@staff_page(Role.WINDOW_CLERK)
@require_POST
def package_case_action(request: HttpRequest, number: str, action: str) -> HttpResponseBase:
    """受理 / 一次性告知 / 材料收到 / 不予受理 / 送达 of the whole package, by the hall's clerk."""
    try:
        act = Action(action)
    except ValueError:
        raise Http404 from None
    found = _find(request, number)
    if isinstance(found, HttpResponse):
        return found
    try:
        case_services.PACKAGE_ACTION_SERVICES[act](
            package_application=found.number, actor=request.user, **_action_kwargs(act, request.POST)
        )
    except ApplicationError as exc:
        fresh = case_selectors.package_application_get(user=request.user, number=found.number)
        if fresh is None:
            return application_error_page(request, exc)
        return _render_detail(request, fresh, error=str(exc.message), status=exc.status_code)
    messages.success(request, _("Done for package application %(n)s.") % {"n": found.number})
    return redirect(reverse("package_staff:detail", args=[found.number]))


@staff_page(Role.HANDLER, Role.UNIT_ADMIN)
@require_POST
def package_part_urge(request: HttpRequest, number: str, matter: str) -> HttpResponseBase:
    """The lead unit urges the unit of one open part (the service checks it is the lead unit's package)."""
    found = _find(request, number)
    if isinstance(found, HttpResponse):
        return found
    try:
        case_services.package_part_urge(
            package_application=found.number,
            matter=matter[:64],
            actor=request.user,
            note=request.POST.get("note", "")[:2000],
        )
    except ApplicationError as exc:
        return _render_detail(request, found, error=str(exc.message), status=exc.status_code)
    messages.success(request, _("The part's unit was urged."))
    return redirect(reverse("package_staff:detail", args=[found.number]))


@staff_page(*PAGE_ROLES)
@require_GET
def package_notice_download(request: HttpRequest, number: str, pk: int) -> HttpResponseBase:
    found = _find(request, number)
    if isinstance(found, HttpResponse):
        return found
    return notice_file_response(request, found, pk)


def notice_file_response(request: HttpRequest, package_application: PackageApplication, pk: int) -> HttpResponseBase:
    """The notice's PDF, if it is one of this package's."""
    notice = case_selectors.package_application_notices(package_application=package_application).filter(pk=pk).first()
    if notice is None:
        return error_page(request, _("This package application has no such notice."), 404)
    try:
        handle = notice.file.open("rb")
    except FileNotFoundError:
        return error_page(request, _("The file of this notice is missing."), 404)
    filename = f"{notice.kind}-{package_application.number}.pdf"
    response = FileResponse(handle, filename=filename, content_type="application/pdf")
    response["X-Content-Type-Options"] = "nosniff"
    return response
