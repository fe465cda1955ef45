"""A session whose account must log in with two factors is unusable until it did (等保2.0 8.1.4.1 d).

The login view never logs such an account in before its second factor; this catches every other way a session can
be half-way: the role changed during the session, GOVDESK_2FA_ROLES changed, a reset removed the device the
session was verified with. Runs after django_otp's OTPMiddleware, which sets `request.user.is_verified()`.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from .selectors import twofactor_enrolled, twofactor_required

# The login pages (browser and API), logging out, and what a page needs to render.
EXEMPT_URL_NAMES = ("web:login", "web:logout", "web:login_otp", "web:login_enrol", "api-token")


@cache
def _exempt_prefixes() -> tuple[str, ...]:
    return (*(reverse(name) for name in EXEMPT_URL_NAMES), settings.STATIC_URL or "/static/", "/i18n/")


class TwoFactorRequiredMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user: Any = request.user  # django_otp's OTPMiddleware adds is_verified()
        if (
            user.is_authenticated
            and not user.is_verified()
            and not request.path.startswith(_exempt_prefixes())
            and twofactor_required(user)
        ):
            return self._second_factor_first(request)
        return self.get_response(request)

    def _second_factor_first(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith("/api/"):
            return JsonResponse(
                {"code": "otp_required", "message": _("Complete two-factor login in the browser first.")}, status=401
            )
        target = "web:login_otp" if twofactor_enrolled(request.user) else "web:login_enrol"
        return redirect(f"{reverse(target)}?{urlencode({'next': request.get_full_path()})}")
