from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone

from .selectors import calendar_missing_years


def calendar_warnings(request: HttpRequest) -> dict[str, Any]:
    """Staff see loudly when deadlines are computed without an official holiday arrangement."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"calendar_missing_years": calendar_missing_years(today=timezone.localdate())}
