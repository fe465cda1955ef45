from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from govdesk.org.models import Role

# (URL name, label, roles that see it). Pages check the roles again: the menu is only a convenience.
NAVIGATION: tuple[tuple[str, Any, frozenset[str]], ...] = (
    ("workorders:console", _("Console"), frozenset({Role.OPERATOR, Role.DISPATCHER})),
    ("workorders:dispatch_queue", _("Dispatch"), frozenset({Role.DISPATCHER})),
    ("workorders:inbox", _("Inbox"), frozenset({Role.HANDLER, Role.UNIT_ADMIN})),
    ("workorders:supervision", _("Supervision"), frozenset({Role.SUPERVISOR, Role.DISPATCHER})),
    ("supervision:worklist", _("Supervision worklist"), frozenset({Role.SUPERVISOR, Role.DISPATCHER})),
    ("supervision:unit", _("Supervision cases"), frozenset({Role.HANDLER, Role.UNIT_ADMIN})),
    ("workorders:visits", _("Return visits"), frozenset({Role.OPERATOR, Role.DISPATCHER})),
    ("evaluations:worklist", _("Ratings"), frozenset({Role.SUPERVISOR})),
    ("evaluations:unit", _("Rectifications"), frozenset({Role.HANDLER, Role.UNIT_ADMIN})),
    ("window:counter", _("Window"), frozenset({Role.WINDOW_CLERK})),
    ("applications:list", _("Applications"), frozenset({Role.WINDOW_CLERK, Role.HANDLER, Role.UNIT_ADMIN})),
    (
        "package_staff:list",
        _("Package applications"),
        frozenset({Role.WINDOW_CLERK, Role.HANDLER, Role.UNIT_ADMIN, Role.SUPERVISOR, Role.LEADER}),
    ),
    (
        "project_staff:portfolio",
        _("Construction projects"),
        frozenset({Role.WINDOW_CLERK, Role.HANDLER, Role.UNIT_ADMIN, Role.SUPERVISOR, Role.LEADER}),
    ),
    (
        "reporting:index",
        _("Unit reporting"),
        frozenset({Role.HANDLER, Role.UNIT_ADMIN, Role.SUPERVISOR, Role.LEADER}),
    ),
    (
        "permits:registry",
        _("Permit registry"),
        frozenset({Role.WINDOW_CLERK, Role.HANDLER, Role.UNIT_ADMIN, Role.SUPERVISOR, Role.LEADER}),
    ),
    ("online:index", _("Apply online"), frozenset({Role.CITIZEN})),
    ("package_online:index", _("One thing, done once"), frozenset({Role.CITIZEN})),
    ("project_online:index", _("Construction projects"), frozenset({Role.CITIZEN})),
    (
        "knowledge:article_list",
        _("Knowledge base"),
        frozenset({Role.OPERATOR, Role.DISPATCHER, Role.SUPERVISOR, Role.HANDLER, Role.UNIT_ADMIN}),
    ),
    ("evaluations:pad", _("Rating pad"), frozenset({Role.WINDOW_CLERK, Role.OPERATOR})),
    ("evaluations:rates", _("Rating rates"), frozenset({Role.LEADER})),
    (
        "ledgers:index",
        _("Ledgers"),
        frozenset({Role.SUPERVISOR, Role.LEADER, Role.HANDLER, Role.UNIT_ADMIN}),
    ),
    ("stats:dashboard", _("Statistics"), frozenset({Role.SUPERVISOR, Role.DISPATCHER, Role.LEADER, Role.UNIT_ADMIN})),
    (
        "assessment:ranking",
        _("Unit assessment"),
        frozenset({Role.SUPERVISOR, Role.DISPATCHER, Role.LEADER, Role.UNIT_ADMIN}),
    ),
    ("review:index", _("Work review"), frozenset({Role.SUPERVISOR, Role.LEADER, Role.SYSADMIN})),
    (
        "workorders:list",
        _("Orders"),
        frozenset(
            {Role.OPERATOR, Role.DISPATCHER, Role.SUPERVISOR, Role.HANDLER, Role.UNIT_ADMIN, Role.CITIZEN, Role.LEADER}
        ),
    ),
)


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    roles = user.roles if user is not None and user.is_authenticated else frozenset()
    current = request.path
    items = []
    for name, label, allowed in NAVIGATION:
        if roles & allowed:
            url = reverse(name)
            items.append({"url": url, "label": label, "active": current.startswith(url)})
    role_labels = [str(label) for code, label in Role.choices if code in roles]
    return {"user_roles": roles, "nav_items": items, "role_labels": role_labels}
