"""Login lockout (django-axes, AXES_HANDLER): an account is locked per address, and an address is throttled across
usernames.

- Five failures for one username from one address lock that username *from that address* for 30 minutes
  (AXES_LOCKOUT_PARAMETERS): a stranger can no longer lock anyone out everywhere, and the owner can still log in
  from their own desk. The security administrator can lift a lock (admin, audited).
- GOVDESK["LOGIN_ADDRESS_FAILURE_LIMIT"] failures from one address within
  GOVDESK["LOGIN_ADDRESS_WINDOW_MINUTES"], whatever the usernames, refuse every login from that address until the
  window has passed (password spraying). Counted from axes' own records, so the web login, the second-factor step
  and POST /api/v1/auth/token/ all count and are all refused: each goes through `authenticate()` or axes.
"""

from __future__ import annotations

import ipaddress
from datetime import timedelta
from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum
from django.utils import timezone

# Why a request was refused before its password was checked: "account" (this username from this address) or
# "address" (too many failures from the address). Read by the lockout answer and the audit receivers.
LOCKOUT_REASON_ATTR = "govdesk_lockout_reason"


def client_address(request: Any) -> str | None:
    """The client's address, as axes counts it (AXES_CLIENT_IP_CALLABLE) and the login audit records it.

    Behind the TLS proxy (docs/deployment.md) every request comes from 127.0.0.1, which would make one address of
    the whole district: with GOVDESK_BEHIND_PROXY=1 the address is the last X-Forwarded-For entry, the one the proxy
    wrote (it overwrites what clients send). Without it the header is ignored, since any client could forge it.
    """
    remote = request.META.get("REMOTE_ADDR") or None
    if not settings.GOVDESK.get("BEHIND_PROXY"):
        return remote
    forwarded = str(request.META.get("HTTP_X_FORWARDED_FOR", "")).split(",")[-1].strip()
    try:
        return str(ipaddress.ip_address(forwarded))
    except ValueError:
        return remote


def address_window() -> timedelta:
    return timedelta(minutes=int(str(settings.GOVDESK["LOGIN_ADDRESS_WINDOW_MINUTES"])))


def address_failures(ip_address: str | None) -> int:
    """Failed logins from this address within the window, across usernames.

    Each axes record counts its failures since its first one; a record touched within the window counts whole, so
    the count errs on the side of throttling.
    """
    if not ip_address:
        return 0
    since = timezone.now() - address_window()
    total = AccessAttempt.objects.filter(ip_address=ip_address, attempt_time__gte=since).aggregate(
        n=Sum("failures_since_start")
    )["n"]
    return int(total or 0)


def address_throttled(ip_address: str | None) -> bool:
    return address_failures(ip_address) >= int(str(settings.GOVDESK["LOGIN_ADDRESS_FAILURE_LIMIT"]))


def lockout_reason(request: Any) -> str:
    """ "account", "address", or "" when this request was not refused before its password was checked."""
    return str(getattr(request, LOCKOUT_REASON_ATTR, None) or "")


class GovDeskAxesHandler(AxesDatabaseHandler):
    def is_locked(self, request: Any, credentials: dict[str, Any] | None = None) -> bool:
        reason = ""
        if super().is_locked(request, credentials):
            reason = "account"
        elif address_throttled(getattr(request, "axes_ip_address", None)):
            reason = "address"
        if reason and request is not None:
            if not lockout_reason(request):
                setattr(request, LOCKOUT_REASON_ATTR, reason)
            # axes marks only a lock of its own parameters; the address throttle must end in the same 429.
            request.axes_locked_out = True
        return bool(reason)
