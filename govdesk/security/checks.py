from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, register

from govdesk.org.models import Role


@register()
def two_factor_roles_check(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """A misspelt role in GOVDESK_2FA_ROLES would silently leave that role on a password alone."""
    configured: Any = settings.GOVDESK.get("TWO_FACTOR_ROLES", ())
    unknown = sorted(set(configured) - set(Role.values))
    if not unknown:
        return []
    return [
        Error(
            f"GOVDESK_2FA_ROLES names unknown roles: {', '.join(unknown)}",
            hint=f"Use role codes: {', '.join(Role.values)}.",
            id="security.E001",
        )
    ]
