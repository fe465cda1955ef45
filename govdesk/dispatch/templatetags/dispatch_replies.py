"""The reply check on the work-order pages: the order's check (detail), a weak-reply marker per order (return
visits) and the weak replies awaiting their visit (supervision). Smart dispatch renders its own pieces, so the work
orders' views know nothing of it; each tag shows only what `replycheck` lets the page's user see."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import template

from govdesk.org.models import Role

from .. import replycheck

register = template.Library()

# The supervision page lists at most this many weak replies (the oldest first).
WEAK_REPLIES_SHOWN = 100


def _user(context: template.Context) -> Any:
    return getattr(context.get("request"), "user", None)


@register.inclusion_tag("dispatch/_reply_check.html", takes_context=True)
def reply_check_panel(context: template.Context, order: Any) -> dict[str, Any]:
    """The check of the order's current reply, for centre staff and the replying unit."""
    user = _user(context)
    return {"reply_check": replycheck.reply_check_for_display(user, order) if user is not None else None}


@register.simple_tag(takes_context=True)
def reply_checks_for(context: template.Context, orders: Iterable[Any]) -> dict[int, Any]:
    """The latest check of each listed order the user may see, in one query: {order pk: assessment}."""
    user = _user(context)
    return replycheck.reply_assessments_for_orders(user, list(orders)) if user is not None else {}


@register.inclusion_tag("dispatch/_reply_check.html")
def reply_check_marker(checks: dict[int, Any], order: Any) -> dict[str, Any]:
    """A "weak reply" marker for one order of a queue, from `reply_checks_for`."""
    return {"reply_check": checks.get(order.pk), "compact": True}


@register.inclusion_tag("dispatch/_weak_replies.html", takes_context=True)
def weak_replies_panel(context: template.Context) -> dict[str, Any]:
    """Weak replies of orders waiting for their return visit; supervisors may mark them reviewed."""
    user = _user(context)
    weak = list(replycheck.reply_assessments_weak(user=user)[:WEAK_REPLIES_SHOWN]) if user is not None else []
    return {
        "weak_replies": weak,
        "can_supervise": user is not None and user.is_authenticated and user.has_role(Role.SUPERVISOR),
        "csrf_token": context.get("csrf_token"),
    }
