from __future__ import annotations

import contextlib
import ipaddress
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

# Scripts only from our own static files: no inline script, no CDN (ASVS V14.4, 等保 8.1.4.4).
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "frame-ancestors 'none'",
        "base-uri 'self'",
        "form-action 'self'",
    ]
)


class SecurityHeadersMiddleware:
    """Content-Security-Policy on every response; no caching of anything shown to a signed-in user (ASVS V8.2.1)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        user = getattr(request, "user", None)
        personal = (user is not None and user.is_authenticated) or request.path.startswith("/api/")
        if personal and "Cache-Control" not in response.headers:
            response.headers["Cache-Control"] = "no-store, private"
        return response


class ProxyClientAddressMiddleware:
    """Behind the TLS proxy (GOVDESK["BEHIND_PROXY"]), REMOTE_ADDR becomes the client's address the proxy wrote.

    gunicorn listens on loopback behind the proxy, so every request would come from 127.0.0.1: one address for the
    whole district, in the login lockout, the rate limits, Open311's per-address limit and the audit trail alike. The
    proxy appends the address it saw as the last X-Forwarded-For entry; earlier entries are the client's own claims
    and are never trusted. Without the setting the header is ignored, since any client could forge it.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if settings.GOVDESK.get("BEHIND_PROXY"):
            forwarded = str(request.META.get("HTTP_X_FORWARDED_FOR", "")).split(",")[-1].strip()
            with contextlib.suppress(ValueError):
                request.META["REMOTE_ADDR"] = str(ipaddress.ip_address(forwarded))
        return self.get_response(request)
