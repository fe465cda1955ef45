"""The interface language: the person's own choice (the language switch), otherwise the site's default.

Django's LocaleMiddleware would follow the browser's Accept-Language; a district intranet must show Chinese by
default even in an English browser, so the header is ignored on purpose.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.cache import patch_vary_headers

SESSION_LANGUAGE_KEY = "_language"


def language_chosen(request: HttpRequest) -> str:
    """The supported language chosen by cookie (or, for old sessions, the session), else LANGUAGE_CODE."""
    session = getattr(request, "session", None)
    candidates = [
        request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME),
        session.get(SESSION_LANGUAGE_KEY) if session is not None else None,
    ]
    for code in candidates:
        if not code:
            continue
        try:
            return translation.get_supported_language_variant(str(code))
        except LookupError:
            continue
    return settings.LANGUAGE_CODE


class LanguageMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        language = language_chosen(request)
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        patch_vary_headers(response, ("Cookie",))
        response.headers.setdefault("Content-Language", language)
        return response
