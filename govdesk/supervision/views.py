"""Supervision pages: the supervisor's worklist, a unit's open 督办, and the forms that act on them.

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
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from govdesk.common.errors import ApplicationError, PermissionDenied
from govdesk.common.pages import application_error_page, client_ip, error_page, staff_page
from govdesk.org.models import Role

from . import selectors, services
from .forms import CASE_ACTION_FORMS, CaseActionForm, EscalationHandleForm, OpenCaseForm
from .models import SupervisionCase
from .permissions import supervision_check_actor, supervision_check_case_actor
from .states import CaseAction, case_actions_from


def _next_url(request: HttpRequest, default: str) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(candidate, {request.get_host()}, request.is_secure()):
        return candidate
    return default


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
    work = selectors.supervision_worklist(user=user)
    open_rows = [{"case": sc, "forms": case_forms(user, sc)} for sc in work.open_cases]
    answered_rows = [{"case": sc, "forms": case_forms(user, sc)} for sc in work.answered_cases]
    context = {
        "work": work,
        "open_rows": open_rows,
        "answered_rows": answered_rows,
        "is_supervisor": user.has_role(Role.SUPERVISOR),
        "open_form": OpenCaseForm(auto_id="id_open_%s"),
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
    messages.success(request, _("Supervision case opened for order %(n)s.") % {"n": form.cleaned_data["order"]})
    return redirect(_next_url(request, reverse("workorders:detail", args=[sc.case.number])))


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
    return redirect(_next_url(request, reverse("workorders:detail", args=[sc.case.number])))


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
