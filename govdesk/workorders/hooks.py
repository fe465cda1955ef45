"""Where the apps above work orders plug in, so that workorders never imports them (docs/architecture.md, "Layers").

What happens to an order is published as case events: `cases.services.case_event_record` calls the listeners that
`cases.services.case_event_listener_add` registered (statistics, smart dispatch). These hooks cover the two things
that are not events: the service behind an order action that an app above owns (督办 opens a supervision case), and
the URLs of an app's pieces on the work-order pages, which keep their `workorders:` names. Both are filled from the
owning app's `AppConfig.ready()`, which Django runs before any request and before the URLconf is loaded.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.urls import URLPattern

# Action value → the service that replaces the plain one (same keyword arguments, returns the order).
_ACTION_SERVICES: dict[str, Callable[..., Any]] = {}

# Pages of the apps above, served under the `workorders:` namespace (workorders/urls.py appends them).
PAGE_URLS: list[URLPattern] = []


def action_service_provide(action: str, service: Callable[..., Any]) -> None:
    """Make `service` run the order action `action` (e.g. supervision's 督办 for "supervise")."""
    _ACTION_SERVICES[str(action)] = service


def action_service_for(action: str) -> Callable[..., Any] | None:
    """The service an app above provided for `action`, or None (the work order's own service applies)."""
    return _ACTION_SERVICES.get(str(action))


def page_urls_add(*patterns: URLPattern) -> None:
    """Serve `patterns` under the `workorders:` namespace, each once (ready() may run again in tests)."""
    known = {pattern.name for pattern in PAGE_URLS}
    PAGE_URLS.extend(pattern for pattern in patterns if pattern.name not in known)
