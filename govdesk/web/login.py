"""Logging in: the password step, then the second factor (TOTP or a recovery code), or enrolment where a role
requires a second factor the account does not have yet (等保2.0 8.1.4.1 d).

An account that needs a second factor is not logged in after its password: the session only remembers, for a few
minutes, whose password was right. Django's `login()` (and with it the "logged in" audit event and axes' reset of
the failure count) happens once the second factor passed, so wrong codes keep counting towards the lockout.
"""

from __future__ import annotations

from base64 import b32encode
from typing import Any

import segno
from axes.handlers.proxy import AxesProxyHandler
from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth import login as auth_login
from django.contrib.auth.signals import user_login_failed
from django.contrib.auth.views import LoginView
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import add_never_cache_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login

from govdesk.common import clock
from govdesk.common.errors import ValidationFailed
from govdesk.org.views import lockout_response
from govdesk.security import selectors as security_selectors
from govdesk.security import services as security_services

from .shortcuts import client_ip

PENDING_KEY = "govdesk_2fa_pending"
# The password step is remembered this long: enough to open the app and type a code, too short to leave around.
PENDING_SECONDS = 5 * 60


class SecondFactorForm(forms.Form):
    otp = forms.CharField(
        label=gettext_lazy("Code"),
        max_length=32,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": "autofocus", "size": 12}
        ),
        help_text=gettext_lazy("The 6 digits your authenticator app shows, or one of your recovery codes."),
    )


class GovDeskLoginView(LoginView):
    """The password step. Accounts without a second factor are logged in here as before."""

    template_name = "web/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form: Any) -> HttpResponse:
        user = form.get_user()
        if not security_selectors.twofactor_needed(user):
            return super().form_valid(form)
        self.request.session.cycle_key()
        self.request.session[PENDING_KEY] = {
            "user_id": user.pk,
            "backend": user.backend,
            "at": clock.now().timestamp(),
            "next": self.get_success_url(),
        }
        step = "web:login_otp" if security_selectors.twofactor_enrolled(user) else "web:login_enrol"
        return redirect(step)


def _candidate(request: HttpRequest) -> Any:
    """Whose second factor this is: the logged-in user (a half-way session the middleware sent here), or the
    account whose password was right a moment ago."""
    if request.user.is_authenticated:
        return request.user
    pending = request.session.get(PENDING_KEY)
    if not isinstance(pending, dict) or clock.now().timestamp() - float(pending.get("at", 0)) > PENDING_SECONDS:
        request.session.pop(PENDING_KEY, None)
        return None
    user: Any = get_user_model().objects.filter(pk=int(pending.get("user_id") or 0), is_active=True).first()
    if user is not None:
        user.backend = pending.get("backend")
    return user


def _verified(request: HttpRequest) -> bool:
    user: Any = request.user  # django_otp's OTPMiddleware adds is_verified()
    return bool(user.is_authenticated and user.is_verified())


def _next_url(request: HttpRequest) -> str:
    pending = request.session.get(PENDING_KEY) or {}
    wanted = request.POST.get("next") or request.GET.get("next") or pending.get("next") or "/"
    allowed = url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    if not allowed:
        return "/"
    return str(wanted)


def _finish(request: HttpRequest, user: Any, device: Any) -> None:
    """Log in (or, for a session already logged in, mark it verified) with the device that passed."""
    if request.user.is_authenticated:
        otp_login(request, device)
    else:
        user.otp_device = device  # django_otp's user_logged_in receiver keeps it in the session
        auth_login(request, user, backend=user.backend)
    request.session.pop(PENDING_KEY, None)


def _page(request: HttpRequest, template: str, context: dict[str, Any], status: int = 200) -> HttpResponse:
    response = render(request, template, context, status=status)
    add_never_cache_headers(response)
    return response


def _is_allowed(request: HttpRequest, user: Any) -> bool:
    """Not locked (django-axes with govdesk.org.lockout's rules), checked again before each code."""
    return bool(AxesProxyHandler.is_allowed(request, {"username": user.get_username()}))


@require_http_methods(["GET", "POST"])
def login_otp(request: HttpRequest) -> HttpResponse:
    """Step two: the authenticator's code, or a recovery code. A wrong one counts as a failed login."""
    user = _candidate(request)
    if user is None:
        return redirect("web:login")
    if _verified(request):
        return redirect(_next_url(request))
    if not security_selectors.twofactor_enrolled(user):
        return redirect("web:login_enrol")
    form = SecondFactorForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        if not _is_allowed(request, user):
            request.session.pop(PENDING_KEY, None)
            return lockout_response(request)
        device = security_services.twofactor_verify(
            user=user, code=form.cleaned_data["otp"], ip_address=client_ip(request)
        )
        if device is not None:
            target = _next_url(request)
            _finish(request, user, device)
            return redirect(target)
        user_login_failed.send(sender=__name__, credentials={"username": user.get_username()}, request=request)
        if getattr(request, "axes_locked_out", False):
            request.session.pop(PENDING_KEY, None)
            return lockout_response(request)
        form.add_error("otp", _("The code is not right. Check the time on your phone and try the newest code."))
        status = 400
    elif request.method == "POST":
        status = 400
    context = {"form": form, "next": _next_url(request), "account": user}
    return _page(request, "web/login_otp.html", context, status)


def _qr_svg(uri: str) -> str:
    # Drawn here as inline SVG: the secret never leaves the page, no image service, no CDN.
    return str(segno.make(uri, error="m").svg_inline(scale=5, border=2, dark="#1a1a1a"))


@require_http_methods(["GET", "POST"])
def login_enrol(request: HttpRequest) -> HttpResponse:
    """Set up an authenticator app: QR code and secret, a code to confirm it, then the recovery codes (shown once)."""
    user = _candidate(request)
    if user is None:
        return redirect("web:login")
    if security_selectors.twofactor_enrolled(user):
        if _verified(request):
            return redirect("web:home")
        return redirect("web:login_otp")
    device = security_services.totp_enrolment_start(user=user)
    form = SecondFactorForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            codes = security_services.totp_enrolment_confirm(
                user=user, device=device, code=form.cleaned_data["otp"], ip_address=client_ip(request)
            )
        except ValidationFailed as exc:
            form.add_error("otp", exc.fields.get("otp", [exc.message])[0])
            status = 400
        else:
            target = _next_url(request)
            _finish(request, user, device)
            return _page(request, "web/login_recovery_codes.html", {"codes": codes, "next": target})
    elif request.method == "POST":
        status = 400
    secret = b32encode(device.bin_key).decode("ascii")
    context = {
        "form": form,
        "next": _next_url(request),
        "account": user,
        "secret": secret,
        "qr_svg": mark_safe(_qr_svg(device.config_url)),  # noqa: S308  (segno's own SVG, no user input in markup)
        "required": security_selectors.twofactor_required(user),
    }
    return _page(request, "web/login_enrol.html", context, status)
