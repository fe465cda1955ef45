"""Helpers every server-rendered page uses: role checks, error pages, the client's address, a safe "next" address.

In `common` so that the pages of every app can use them without importing `web`, the top layer (docs/architecture.md,
"Layers"); `web` owns the templates they render (`web/error.html`).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from govdesk.common.errors import ApplicationError

View = Callable[..., HttpResponseBase]


def error_page(request: HttpRequest, message: str, status: int) -> HttpResponse:
    response = render(request, "web/error.html", {"message": message, "status": status}, status=status)
    add_never_cache_headers(response)
    return response


def application_error_page(request: HttpRequest, error: ApplicationError) -> HttpResponse:
    return error_page(request, str(error.message), error.status_code)


def forbidden(request: HttpRequest, message: str | None = None) -> HttpResponse:
    return error_page(request, message or _("You do not have permission to open this page."), 403)


def staff_page(*roles: str) -> Callable[[View], View]:
    """Login required (redirect to the login page), one of `roles` required (403), never cached.

    Every staff page shows personal data or work in progress, so no page is stored by the browser or a proxy.
    """

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            user: Any = request.user
            if not user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if roles and not user.has_role(*roles):
                return forbidden(request)
            response = view(request, *args, **kwargs)
            add_never_cache_headers(response)
            return response

        return wrapper

    return decorator


def client_ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def next_url(request: HttpRequest, default: str) -> str:
    """The form's "next" address if it stays on this site, else `default` (no open redirect)."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(candidate, {request.get_host()}, request.is_secure()):
        return candidate
    return default
