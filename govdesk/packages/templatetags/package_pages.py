"""Template filters of the package pages."""

from __future__ import annotations

from django import template

from govdesk.packages.case_selectors import package_status_label

register = template.Library()


@register.filter
def package_status(status: str) -> str:
    """A package application's status in words."""
    return package_status_label(status)
