"""The knowledge base's piece on the work order's page: the cited article's link on the answer's timeline event
(workorders' template loads this library; workorders never imports the knowledge app)."""

from __future__ import annotations

from django import template
from django.urls import NoReverseMatch, reverse

register = template.Library()


@register.simple_tag
def knowledge_cite_url(code: object) -> str:
    """The staff page of the cited article, or "" (no code, or the pages not installed)."""
    if not isinstance(code, str) or not code:
        return ""
    try:
        return reverse("knowledge:article_detail", args=[code])
    except NoReverseMatch:
        return ""
