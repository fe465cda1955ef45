"""Supervision pages: the supervisor's worklist, a unit's open 督办, and the forms that act on them, for work orders
and applications alike; the kinds registered with `case_kind_supervision_add` (units' reports, knowledge revisions)
are listed and urged beside them.

Each POST parses one form and calls one service; service errors become an error page with the service's status
(400 / 403 / 404 / 409), never a 500. After success the browser goes back to the page it came from.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from govdesk.cases.models import Case, CaseKind
from govdesk.common.errors import ApplicationError, PermissionDenied
from govdesk.common.pages import application_error_page, client_ip, error_page, staff_page
from govdesk.org.models import Role
from govdesk.reports.charts import bar_chart

from . import selectors, services
from .forms import CASE_ACTION_FORMS, CaseActionForm, EscalationHandleForm, OpenCaseForm, UrgeForm
from .models import SupervisionCase
from .permissions import supervision_check_actor, supervision_check_case_actor, supervision_kinds
from .states import CaseAction, case_actions_from


def _next_url(request: HttpRequest, default: str) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(candidate, {request.get_host()}, request.is_secure()):
        return candidate
    return default


def case_detail_url(case: Case) -> str:
    """The page of a supervised case: the application's, the work order's or the registered kind's ("" if none)."""
    return selectors.case_page_url(case)


def _form_error(request: HttpRequest, form: Any) -> HttpResponse:
    errors = form.errors.get_json_data()
    field, items = next(iter(errors.items()))
    label = form.fields[field].label if field in form.fields else ""
    message = f"{label}: {items[0]['message']}" if label else items[0]["message"]
    return error_page(request, message, 400)


def case_forms(user: Any, sc: SupervisionCase) -> list[CaseActionForm]:
    """The forms this user may use on this 督办 now (the service checks again when one is sent)."""
    forms: list[CaseActionForm] = []
    for action in case_actions_from(sc.status):
        try:
            supervision_check_actor(user, sc, action)
        except PermissionDenied:
            continue
        forms.append(CASE_ACTION_FORMS[action](auto_id=f"id_sc{sc.pk}_{action.value}_%s"))
    return forms


@staff_page(Role.SUPERVISOR, Role.DISPATCHER)
@require_GET
def worklist(request: HttpRequest) -> HttpResponse:
    """督办工作台: escalations, open 督办 (answer overdue first), answers to review, orders urged most often."""
    user: Any = request.user
    kind = request.GET.get("kind", "")
    kind = kind if kind in selectors.supervision_kind_values() else ""
    work = selectors.supervision_worklist(user=user, kind=kind)
    overdue_by_unit = selectors.supervision_overdue_by_unit(user=user, kind=kind)
    open_rows = [{"case": sc, "forms": case_forms(user, sc)} for sc in work.open_cases]
    answered_rows = [{"case": sc, "forms": case_forms(user, sc)} for sc in work.answered_cases]
    context = {
        "work": work,
        "open_rows": open_rows,
        "answered_rows": answered_rows,
        "is_supervisor": user.has_role(Role.SUPERVISOR),
        "open_form": OpenCaseForm(auto_id="id_open_%s"),
        "kind": kind,
        "here": request.get_full_path(),
        "kinds": [
            ("", _("All")),
            (CaseKind.WORKORDER.value, _("Work orders")),
            (CaseKind.APPLICATION.value, _("Applications")),
            # The registered kinds the viewer sees (supervisors): units' reports, knowledge revisions.
            *((k, selectors.case_kind_text(k)) for k in supervision_kinds(user) if k not in selectors.KINDS),
        ],
        # A 督办 is opened on these kinds only; a registered kind's escalation is urged or marked handled.
        "supervisable_kinds": selectors.KINDS,
        # Server-side SVG from counts and escaped unit names (reports.charts escapes every text).
        "overdue_chart": mark_safe(  # noqa: S308
            bar_chart(overdue_by_unit, title=_("Overdue cases by unit"), height=220)
        )
        if overdue_by_unit
        else "",
    }
    return render(request, "supervision/worklist.html", context)


@staff_page(Role.HANDLER, Role.UNIT_ADMIN)
@require_GET
def unit_cases(request: HttpRequest) -> HttpResponse:
    """The unit's 督办: to answer, and answered ones under review."""
    user: Any = request.user
    rows = [{"case": sc, "forms": case_forms(user, sc)} for sc in selectors.supervision_unit_cases(user=user)]
    return render(request, "supervision/unit.html", {"rows": rows})


@staff_page(Role.SUPERVISOR)
@require_POST
def case_open(request: HttpRequest) -> HttpResponse:
    form = OpenCaseForm(request.POST)
    if not form.is_valid():
        return _form_error(request, form)
    try:
        sc = services.supervision_case_open(
            order=form.cleaned_data["order"].strip(),
            actor=request.user,
            reason=form.cleaned_data["reason"],
            answer_days=form.cleaned_data["answer_days"],
            ip_address=client_ip(request),
        )
    except ApplicationError as exc:
        return application_error_page(request, exc)
    if sc.case.kind == CaseKind.APPLICATION:
        opened = _("Supervision case opened for application %(n)s.")
    else:
        opened = _("Supervision case opened for order %(n)s.")
    messages.success(request, opened % {"n": sc.case.number})
    return redirect(_next_url(request, case_detail_url(sc.case)))


@staff_page()
@require_POST
def case_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """One 督办 action (note, answer, close, reopen); the service checks the actor, then the status."""
    try:
        act = CaseAction(action)
    except ValueError:
        raise Http404 from None
    try:
        # The 督办 and the actor (404, 403) before the form (400); the status (409) is the service's last check.
        supervision_check_case_actor(request.user, pk, act)
    except ApplicationError as exc:
        return application_error_page(request, exc)
    form = CASE_ACTION_FORMS[act](request.POST)
    if not form.is_valid():
        return _form_error(request, form)
    try:
        sc = services.CASE_ACTION_SERVICES[act](case_id=pk, actor=request.user, **form.service_kwargs())
    except ApplicationError as exc:
        return application_error_page(request, exc)
    messages.success(request, _("%(action)s: done.") % {"action": form.label})
    return redirect(_next_url(request, case_detail_url(sc.case)))


@staff_page(Role.SUPERVISOR, Role.DISPATCHER)
@require_POST
def case_urge(request: HttpRequest) -> HttpResponse:
    """催办 on a work order, an application or a registered kind's case by its number; the service checks the role, the
    number, the status."""
    form = UrgeForm(request.POST)
    if not form.is_valid():
        return _form_error(request, form)
    try:
        case = services.case_urge(
            case=form.cleaned_data["case"].strip(),
            actor=request.user,
            note=form.cleaned_data["note"],
            ip_address=client_ip(request),
        )
    except ApplicationError as exc:
        return application_error_page(request, exc)
    messages.success(request, _("The unit of %(n)s has been urged.") % {"n": case.number})
    return redirect(_next_url(request, case_detail_url(case) or reverse("supervision:worklist")))


@staff_page(Role.SUPERVISOR)
@require_POST
def escalation_handle(request: HttpRequest, pk: int) -> HttpResponse:
    form = EscalationHandleForm(request.POST)
    if not form.is_valid():
        return _form_error(request, form)
    try:
        services.supervision_escalation_handle(escalation_id=pk, actor=request.user, note=form.cleaned_data["note"])
    except ApplicationError as exc:
        return application_error_page(request, exc)
    messages.success(request, _("The escalation is marked as handled."))
    return redirect(_next_url(request, reverse("supervision:worklist")))
