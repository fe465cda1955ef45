from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _


def lockout_response(request: HttpRequest, credentials: Any = None, *args: Any, **kwargs: Any) -> HttpResponse:
    """Answer for a locked account (5 failed logins): JSON for the API, a page for people."""
    message = _("Too many failed logins: this account is locked for 30 minutes.")
    if request.path.startswith("/api/"):
        return JsonResponse({"code": "locked", "message": message}, status=429)
    return render(request, "web/locked.html", {"message": message}, status=429)
