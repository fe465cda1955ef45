from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from .lockout import lockout_reason


def lockout_message(request: HttpRequest) -> str:
    """Why this login was refused: this account from this address, or this address for every account."""
    if lockout_reason(request) == "address":
        minutes = int(str(settings.GOVDESK["LOGIN_ADDRESS_WINDOW_MINUTES"]))
        return _(
            "Too many failed logins from this address: logins from it are refused for up to %(minutes)d minutes."
        ) % {"minutes": minutes}
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return _(
        "Too many failed logins: this account is locked for %(minutes)d minutes from this address. "
        "The security administrator can unlock it sooner."
    ) % {"minutes": minutes}


def lockout_response(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """Answer for a locked login (axes' AXES_LOCKOUT_CALLABLE): JSON for the API, a page for people."""
    message = lockout_message(request)
    if request.path.startswith("/api/"):
        return JsonResponse({"code": "locked", "message": message}, status=429)
    return render(request, "web/locked.html", {"message": message}, status=429)
