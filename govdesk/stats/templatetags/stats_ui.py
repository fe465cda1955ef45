"""Formatting of the statistics pages' figures."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import template
from django.utils import timezone

register = template.Library()


@register.filter
def stats_percent(value: float | None) -> str:
    """A rate as a percentage with one decimal; "—" when there is nothing to count."""
    return "—" if value is None else f"{value * 100:.1f}%"


@register.filter
def stats_hours(figure: dict[str, Any] | None) -> str:
    """An average time in hours with one decimal; "—" when no application finished the step."""
    if not figure or figure.get("hours") is None:
        return "—"
    return f"{figure['hours']:.1f}"


@register.filter
def stats_get(mapping: dict[str, Any], key: str) -> Any:
    return mapping.get(key) if isinstance(mapping, dict) else None


@register.filter
def stats_local_time(value: str | None) -> str:
    """An ISO moment from the overview as local (Asia/Shanghai) date and time."""
    if not value:
        return "—"
    return timezone.localtime(datetime.fromisoformat(value)).strftime("%Y-%m-%d %H:%M")
