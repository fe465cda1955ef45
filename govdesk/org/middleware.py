from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

SESSION_STARTED_KEY = "govdesk_session_started"


class SessionAbsoluteTimeoutMiddleware:
    """Ends a browser session 12 hours after login however active it was (ASVS 3.3.2, 等保 8.1.4.1 b).

    The idle timeout is Django's own SESSION_COOKIE_AGE with SESSION_SAVE_EVERY_REQUEST.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated and hasattr(request, "session"):
            started = request.session.get(SESSION_STARTED_KEY)
            now = timezone.now().timestamp()
            if started is None:
                request.session[SESSION_STARTED_KEY] = now
            elif now - float(started) > settings.SESSION_ABSOLUTE_TIMEOUT.total_seconds():
                logout(request)
        return self.get_response(request)
