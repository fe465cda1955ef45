"""Template filters of the 好差评 pages."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext_lazy as _

from govdesk.common import clock

from ..models import Level

register = template.Library()

LEVEL_LABELS = dict(Level.choices)
# A rectification's timeline: this app's own actions (the work order's "answer" means something else).
EVENT_LABELS: dict[str, Any] = {
    "open": _("Opened by a bad rating"),
    "verify": _("Verified"),
    "answer": _("Rectification answered"),
    "appeal": _("Appealed by the unit"),
    "decide-appeal": _("Appeal decided"),
    "close": _("Closed"),
    "evaluate": _("Rated by the citizen"),
}


@register.filter
def event_label(action: str) -> str:
    return str(EVENT_LABELS.get(action, action))


@register.filter
def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


@register.filter
def level_label(value: int) -> str:
    return str(LEVEL_LABELS.get(value, value))


@register.filter
def level_count(levels: dict[int, int], level: int) -> int:
    return levels.get(level, 0)


@register.filter
def rectification_overdue(rectification: Any) -> bool:
    due = getattr(rectification, "due_at", None)
    return bool(getattr(rectification, "is_open", False) and due is not None and due < clock.now())


@register.filter
def on_time_label(rectification: Any) -> str:
    on_time = getattr(rectification, "answered_on_time", None)
    if on_time is None:
        return ""
    return str(_("on time") if on_time else _("late"))
