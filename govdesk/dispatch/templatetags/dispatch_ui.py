"""Template tags of smart dispatch's UI pieces, so pages include them with one line and no change to their views."""

from __future__ import annotations

import logging
from typing import Any

from django import template

from govdesk.dispatch import hotspots

register = template.Library()
logger = logging.getLogger(__name__)


@register.simple_tag(takes_context=True)
def dispatch_hotspots(context: dict[str, Any], limit: int = 10) -> dict[str, Any]:
    """Hotspots for the page's user: {"days", "items" (each with bar widths in %), "error"}. Never raises: a failure
    is logged and shown as "not available", the page itself keeps working."""
    request = context.get("request")
    user = getattr(request, "user", None)
    raw = request.GET.get("hot_days", "") if request is not None else ""
    days = int(raw) if raw.isdigit() and hotspots.MIN_DAYS <= int(raw) <= hotspots.MAX_DAYS else hotspots.DEFAULT_DAYS
    try:
        items = hotspots.hotspots_list(user=user, days=days, limit=limit) if user is not None else []
    except Exception:  # a hotspot failure must never take the supervision page down
        logger.exception("hotspots failed")
        return {"days": days, "items": [], "error": True}
    top = max([max(i["size"], i["previous_size"]) for i in items], default=1) or 1
    rows = [
        {**item, "bar": round(100 * item["size"] / top), "previous_bar": round(100 * item["previous_size"] / top)}
        for item in items
    ]
    return {"days": days, "items": rows, "error": False, "choices": (1, 7, 30, 90)}
