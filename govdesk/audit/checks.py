from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, register

from .archive import MIN_ONLINE_DAYS


@register()
def audit_retention_check(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """Refuse to start with audit events kept online for less than six months (网络安全法 §21(三))."""
    days = settings.GOVDESK.get("AUDIT_ONLINE_DAYS", MIN_ONLINE_DAYS)
    if not isinstance(days, int) or days < MIN_ONLINE_DAYS:
        return [
            Error(
                f"GOVDESK_AUDIT_ONLINE_DAYS is {days}: audit events must stay online at least {MIN_ONLINE_DAYS} days.",
                id="govdesk.audit.E001",
            )
        ]
    return []
