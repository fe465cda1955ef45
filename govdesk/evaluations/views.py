"""好差评 pages: rating (signed-in citizen, rating link, counter pad), the supervisor's and the unit's rectification
lists, one rectification, and the rates.

Each POST parses one form and calls one service; service errors become an error page with the service's status
(400 / 403 / 404 / 409), never a 500.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_ratelimit.decorators import ratelimit

from govdesk.cases.models import Case, CaseKind
from govdesk.common import clock
from govdesk.common.errors import ApplicationError, PermissionDenied
from govdesk.common.pages import application_error_page, client_ip, error_page, staff_page
from govdesk.org.models import Role

from . import selectors, services
from .forms import ACTION_FORMS, ActionForm, PadLookupForm, PadRateForm, RateForm, RatesFilterForm
from .models import EvaluationChannel, Level, Rectification
from .permissions import PAD_ROLES, RATES_ROLES, UNIT_ROLES, rectification_check_actor
from .states import RectificationAction, actions_from

LINK_RATE = "30/h"


def _form_error(request: HttpRequest, form: Any) -> HttpResponse:
    errors = form.errors.get_json_data()
    field, items = next(iter(errors.items()))
    label = form.fields[field].label if field in form.fields else ""
    message = f"{label}: {items[0]['message']}" if label else items[0]["message"]
    return error_page(request, message, 400)


def _levels() -> list[tuple[int, str]]:
    return [(value, str(label)) for value, label in Level.choices]


def _rating_context(case: Case, channel: str) -> dict[str, Any]:
    """What a rating page shows about a case: its ratings, and the rectification of a bad one with its answer."""
    rectification = selectors.rectification_of_case(case)
    rect_ratings = selectors.evaluations_of_case(rectification) if rectification is not None else []
    evaluations = selectors.evaluations_of_case(case)
    return {
        "case": case,
        "channel": channel,
        "levels": _levels(),
        "evaluations": evaluations,
        "channel_rated": any(e.channel == channel for e in evaluations),
        "finished": case.kind == CaseKind.RECTIFICATION or services.case_is_finished(case),
        "rectification": rectification,
        "rectification_ratings": rect_ratings,
        "rectification_rateable": rectification is not None and rectification.answered_at is not None,
        "rectification_channel_rated": any(e.channel == channel for e in rect_ratings),
    }


def _rate(
    request: HttpRequest, form: RateForm, *, number: str, channel: str, link_token: str | None = None
) -> ApplicationError | None:
    try:
        evaluation = services.evaluation_create(
            case=number,
            level=form.cleaned_data["level"],
            comment=form.cleaned_data["comment"],
            channel=channel,
            actor=request.user,
            link_token=link_token,
            ip_address=client_ip(request),
        )
    except ApplicationError as exc:
        return exc
    rectification = getattr(evaluation, "rectification", None)
    if rectification is not None:
        messages.success(
            request,
            _("Thank you. Your rating was recorded; rectification %(n)s was opened for the unit.")
            % {"n": rectification.number},
        )
    else:
        messages.success(request, _("Thank you. Your rating was recorded."))
    return None


def _target_number(request: HttpRequest, case: Case) -> str | None:
    """A rating page rates its case, or (target=rectification) the case's answered rectification."""
    if request.POST.get("target") != "rectification":
        return case.number
    rectification = selectors.rectification_of_case(case)
    return rectification.number if rectification is not None else None


@require_http_methods(["GET", "POST"])
@ratelimit(key="ip", rate=LINK_RATE, method="POST", block=True)
def link_rate(request: HttpRequest, token: str) -> HttpResponse:
    """The rating link's page: no login; whoever holds the signed link rates the case (and its rectification)."""
    try:
        number = services.evaluation_link_case_number(token)
    except ApplicationError as exc:
        return application_error_page(request, exc)
    case = selectors.case_for_rating(number)
    if case is None:
        return error_page(request, _("No case with number %(n)s.") % {"n": number}, 404)
    if request.method == "POST":
        form = RateForm(request.POST)
        if not form.is_valid():
            return _form_error(request, form)
        target = _target_number(request, case)
        if target is None:
            return error_page(request, _("This case has no rectification to rate."), 404)
        error = _rate(request, form, number=target, channel=EvaluationChannel.LINK, link_token=token)
        if error is not None:
            return application_error_page(request, error)
        return redirect(request.path)
    context = {**_rating_context(case, EvaluationChannel.LINK), "form": RateForm()}
    response = render(request, "evaluations/rate.html", context)
    add_never_cache_headers(response)
    return response


@staff_page(Role.CITIZEN)
@require_http_methods(["GET", "POST"])
def citizen_rate(request: HttpRequest, number: str) -> HttpResponse:
    """A signed-in citizen rates their own finished case on the web (and later its rectification)."""
    case = selectors.citizen_case_for_rating(user=request.user, number=number)
    if case is None:
        return error_page(request, _("No case with number %(n)s.") % {"n": number}, 404)
    if request.method == "POST":
        form = RateForm(request.POST)
        if not form.is_valid():
            return _form_error(request, form)
        target = _target_number(request, case)
        if target is None:
            return error_page(request, _("This case has no rectification to rate."), 404)
        error = _rate(request, form, number=target, channel=EvaluationChannel.WEB)
        if error is not None:
            return application_error_page(request, error)
        return redirect(request.path)
    context = {**_rating_context(case, EvaluationChannel.WEB), "form": RateForm()}
    return render(request, "evaluations/rate.html", context)


@staff_page(*PAD_ROLES)
@require_http_methods(["GET", "POST"])
def pad(request: HttpRequest) -> HttpResponse:
    """The counter pad: the clerk enters a case number, the citizen taps a level."""
    if request.method == "POST":
        form = PadRateForm(request.POST)
        if not form.is_valid():
            return _form_error(request, form)
        error = _rate(request, form, number=form.cleaned_data["case"].strip(), channel=EvaluationChannel.PAD)
        if error is not None:
            return application_error_page(request, error)
        return redirect(reverse("evaluations:pad"))
    lookup = PadLookupForm(request.GET or None)
    context: dict[str, Any] = {"lookup": lookup, "levels": _levels(), "form": RateForm()}
    if request.GET and lookup.is_valid():
        case = selectors.case_for_rating(lookup.cleaned_data["case"].strip())
        if case is None:
            return error_page(request, _("No case with number %(n)s.") % {"n": lookup.cleaned_data["case"]}, 404)
        context.update(_rating_context(case, EvaluationChannel.PAD))
    return render(request, "evaluations/pad.html", context)


def _action_forms(user: Any, rectification: Rectification) -> list[ActionForm]:
    """The forms this user may use on this rectification now (the service checks again when one is sent)."""
    forms: list[ActionForm] = []
    for action in actions_from(rectification.status):
        if action not in ACTION_FORMS:
            continue
        if action is RectificationAction.APPEAL and rectification.appealed_at is not None:
            continue
        try:
            rectification_check_actor(user, rectification, action)
        except PermissionDenied:
            continue
        forms.append(ACTION_FORMS[action](auto_id=f"id_{rectification.number}_{action.value}_%s"))
    return forms


def _rows(user: Any, items: list[Rectification]) -> list[dict[str, Any]]:
    return [{"r": r, "forms": _action_forms(user, r)} for r in items]


@staff_page(Role.SUPERVISOR, Role.DISPATCHER, Role.LEADER)
@require_GET
def worklist(request: HttpRequest) -> HttpResponse:
    """The supervisor's list: bad ratings to verify, appeals to decide, answers not yet rated, work under way."""
    user: Any = request.user
    work = selectors.rectification_worklist(user=user)
    context = {
        "to_verify": _rows(user, work.to_verify),
        "appeals": _rows(user, work.appeals),
        "answered": _rows(user, work.answered),
        "rectifying": _rows(user, work.rectifying),
        "now": clock.now(),
    }
    return render(request, "evaluations/worklist.html", context)


@staff_page(*UNIT_ROLES)
@require_GET
def unit_inbox(request: HttpRequest) -> HttpResponse:
    """The unit's rectifications: answer, or appeal a rating it thinks unjustified."""
    user: Any = request.user
    rows = _rows(user, selectors.rectification_unit_inbox(user=user))
    return render(request, "evaluations/unit.html", {"rows": rows, "now": clock.now()})


@staff_page()
@require_GET
def rectification_detail(request: HttpRequest, number: str) -> HttpResponse:
    user: Any = request.user
    rectification = selectors.rectification_get(user=user, number=number)
    if rectification is None:
        if Rectification.objects.filter(number=number).exists() and not user.has_role(Role.CITIZEN):
            return error_page(request, _("This rectification is not for your unit."), 403)
        return error_page(request, _("No rectification with number %(n)s.") % {"n": number}, 404)
    context = {
        "r": rectification,
        "forms": _action_forms(user, rectification),
        "timeline": selectors.rectification_timeline(rectification, public_only=user.has_role(Role.CITIZEN)),
        "now": clock.now(),
    }
    return render(request, "evaluations/rectification.html", context)


@staff_page()
@require_POST
def rectification_action(request: HttpRequest, number: str, action: str) -> HttpResponse:
    """One rectification action; the actor (404, 403) before the form (400), the status (409) last."""
    try:
        act = RectificationAction(action)
    except ValueError:
        raise Http404 from None
    if act not in ACTION_FORMS:
        raise Http404
    try:
        services.rectification_check(request.user, number, act)
    except ApplicationError as exc:
        return application_error_page(request, exc)
    form = ACTION_FORMS[act](request.POST)
    if not form.is_valid():
        return _form_error(request, form)
    try:
        services.ACTION_SERVICES[act](number=number, actor=request.user, **form.service_kwargs())
    except ApplicationError as exc:
        return application_error_page(request, exc)
    messages.success(request, _("%(action)s: done.") % {"action": form.label})
    return redirect(reverse("evaluations:rectification", args=[number]))


@staff_page(*RATES_ROLES)
@require_GET
def rates(request: HttpRequest) -> HttpResponse:
    """好差评 rates per unit and channel, with a bar chart (vendored ECharts, no inline script)."""
    today = timezone.localdate(clock.now())
    initial = {"date_from": today - timedelta(days=29), "date_to": today}
    form = RatesFilterForm(request.GET or None, initial=initial)
    if request.GET and not form.is_valid():
        return render(request, "evaluations/rates.html", {"form": form}, status=400)
    data: dict[str, Any] = form.cleaned_data if request.GET else initial
    report = selectors.evaluation_rates(
        (data["date_from"], data["date_to"]), unit=data.get("unit"), channel=data.get("channel") or None
    )
    chart = {
        "units": [r.label for r in report.by_unit],
        "satisfaction": [
            None if r.satisfaction_rate is None else round(r.satisfaction_rate * 100, 1) for r in report.by_unit
        ],
        "bad": [r.bad for r in report.by_unit],
        "labels": {"satisfaction": _("Satisfaction rate (%)"), "bad": _("Bad ratings")},
    }
    context = {
        "form": form,
        "report": report,
        "levels": _levels(),
        "chart": chart,
    }
    return render(request, "evaluations/rates.html", context)
