"""The home redirect and the public citizen pages (submit and track, no login). Logging in: login.py."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from django_ratelimit.decorators import ratelimit

from govdesk.common.errors import ValidationFailed
from govdesk.org.models import Role
from govdesk.workorders import selectors as workorder_selectors
from govdesk.workorders import services as workorder_services

from .forms import PublicSubmitForm, PublicTrackForm
from .public_intake import public_category_choose
from .shortcuts import client_ip

# Each role's main page, in order of precedence for accounts that hold several roles.
ROLE_HOME: tuple[tuple[str, str], ...] = (
    (Role.DISPATCHER, "workorders:dispatch_queue"),
    (Role.OPERATOR, "workorders:console"),
    (Role.SUPERVISOR, "workorders:supervision"),
    (Role.HANDLER, "workorders:inbox"),
    (Role.UNIT_ADMIN, "workorders:inbox"),
    (Role.WINDOW_CLERK, "window:counter"),
    (Role.CITIZEN, "workorders:list"),
)


def home(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    if not user.is_authenticated:
        return redirect("web:login")
    for role, url_name in ROLE_HOME:
        if user.has_role(role):
            return redirect(url_name)
    # System, security and audit administrators work in the admin site, not in the work-order pages.
    response = render(request, "web/home.html", {"admin_url": reverse("admin:index") if user.is_staff else ""})
    add_never_cache_headers(response)
    return response


def _rate(key: str) -> Any:
    """The rate from settings at request time, so deployments and tests can change it without a reload."""

    def rate(group: str, request: HttpRequest) -> str:
        return str(settings.GOVDESK[key])

    return rate


def ratelimited(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Answer for a client over a rate limit (settings.RATELIMIT_VIEW)."""
    return render(request, "web/429.html", status=429)


def _public_response(response: HttpResponse) -> HttpResponse:
    add_never_cache_headers(response)
    return response


@require_http_methods(["GET", "POST"])
@ratelimit(key="ip", rate=_rate("PUBLIC_SUBMIT_RATE"), method="POST", block=True)
def public_submit(request: HttpRequest) -> HttpResponse:
    """A citizen's request from the web: captcha, rate limit by address, registered like any other channel.

    No category tree: the citizen may pick a plain-language topic; the system proposes the category (marked as a
    proposal in the register event) and the dispatcher decides it when dispatching."""
    status = 200
    if request.method == "POST":
        form = PublicSubmitForm(request.POST)
        if form.is_valid():
            data = form.intake_data()
            chosen = public_category_choose(
                title=str(data.get("title") or ""), content=str(data.get("content") or ""), topic=form.topic_chosen()
            )
            data["category"] = chosen.category
            try:
                order = workorder_services.workorder_register(
                    actor=None,
                    data=data,
                    ip_address=client_ip(request),
                    category_proposal=chosen.event_data(),
                )
            except ValidationFailed as exc:
                for field, messages in exc.fields.items():
                    if field == "category":
                        # Only a tree without leaves gets here; the citizen never chose a category.
                        form.add_error(None, _("Online submission is unavailable at the moment: please call 12345."))
                        continue
                    for message in messages:
                        form.add_error(field if field in form.fields else None, message)
            else:
                context = {"order": order, "phone_last4": order.citizen_phone[-4:]}
                return _public_response(render(request, "web/public_submitted.html", context))
        else:
            _add_intake_errors(form)
        # The captcha widget draws a new challenge on every render: an answered one is used up.
        status = 400
    else:
        form = PublicSubmitForm()
    return _public_response(render(request, "web/public_submit.html", {"form": form}, status=status))


def _add_intake_errors(form: PublicSubmitForm) -> None:
    """Show the intake's own problems too, not only the form's (e.g. a wrong captcha), so one try shows them all."""
    data = {k: v for k, v in getattr(form, "cleaned_data", {}).items() if k != "captcha"}
    data["channel"] = "web"
    try:
        workorder_services.workorder_intake_clean(data)
    except ValidationFailed as exc:
        for field, messages in exc.fields.items():
            if field in form.fields and field not in form.errors:
                for message in messages:
                    form.add_error(field, message)


@require_http_methods(["GET", "POST"])
@ratelimit(key="ip", rate=_rate("PUBLIC_TRACK_RATE"), method="POST", block=True)
def public_track(request: HttpRequest) -> HttpResponse:
    """Status by number + last 4 digits of the phone. Unknown number and wrong digits get the same answer."""
    context: dict[str, Any] = {}
    status = 200
    if request.method == "POST":
        form = PublicTrackForm(request.POST)
        if form.is_valid():
            order = workorder_selectors.workorder_public_track(
                number=form.cleaned_data["number"].strip(), phone_last4=form.cleaned_data["phone_last4"]
            )
            if order is None:
                context["not_found"] = _("No request matches this number and these digits. Check both and try again.")
                status = 404
            else:
                context["order"] = order
                context["timeline"] = workorder_selectors.workorder_timeline(order=order, public_only=True)
        else:
            status = 400
    else:
        form = PublicTrackForm()
    context["form"] = form
    return _public_response(render(request, "web/public_track.html", context, status=status))
