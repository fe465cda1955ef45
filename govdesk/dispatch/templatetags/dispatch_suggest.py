"""`{% dispatch_suggestion order as s %}`: the latest stored model suggestion of an order (or None)."""

from __future__ import annotations

from typing import Any

from django import template

from govdesk.dispatch.models import DispatchSuggestion
from govdesk.dispatch.selectors import suggestion_latest

register = template.Library()


@register.simple_tag
def dispatch_suggestion(order: Any) -> DispatchSuggestion | None:
    return suggestion_latest(order.pk) if getattr(order, "pk", None) else None
