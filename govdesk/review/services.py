"""Writes of the review app: the templates (loaded from their JSON, edited in the admin), each audited."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from govdesk.audit.services import audit_append
from govdesk.common.errors import ValidationFailed

from .models import ReviewParagraph, ReviewTemplate
from .rendering import TemplateError, template_placeholders

DEFAULT_TEMPLATE_PATH = Path(__file__).resolve().parent / "data" / "work_review_default.json"


def review_template_check(*, heading: str, paragraphs: list[dict[str, Any]]) -> dict[str, list[str]]:
    """Problems of a template, by field ("heading", "paragraphs.<n>.heading", "paragraphs.<n>.text", 1-based n):
    every placeholder must name a known figure, part and format."""
    problems: dict[str, list[str]] = {}
    texts = [("heading", heading)]
    for number, paragraph in enumerate(paragraphs, start=1):
        texts.append((f"paragraphs.{number}.heading", paragraph.get("heading", "")))
        texts.append((f"paragraphs.{number}.text", paragraph.get("text", "")))
        if not str(paragraph.get("text", "")).strip():
            problems.setdefault(f"paragraphs.{number}.text", []).append(_("A paragraph needs a text."))
    for key, text in texts:
        try:
            template_placeholders(str(text or ""))
        except TemplateError as error:
            problems.setdefault(key, []).append(str(error))
    return problems


def _checked(heading: str, paragraphs: list[dict[str, Any]]) -> None:
    problems = review_template_check(heading=heading, paragraphs=paragraphs)
    if problems:
        first = next(iter(problems.values()))[0]
        raise ValidationFailed(first, fields=problems)


def _paragraphs_replace(template: ReviewTemplate, paragraphs: list[dict[str, Any]]) -> None:
    template.paragraphs.all().delete()
    ReviewParagraph.objects.bulk_create(
        ReviewParagraph(template=template, order=number, heading=paragraph.get("heading", ""), text=paragraph["text"])
        for number, paragraph in enumerate(paragraphs, start=1)
    )


@transaction.atomic
def review_template_save(
    *, name: str, heading: str, paragraphs: list[dict[str, Any]], activate: bool = False, actor: Any = None
) -> ReviewTemplate:
    """Create or replace the template `name` (its heading and its paragraphs in order), audited; ValidationFailed
    naming every bad placeholder, nothing written. `activate` makes it the one the review renders."""
    _checked(heading, paragraphs)
    template, created = ReviewTemplate.objects.get_or_create(name=name, defaults={"heading": heading})
    template.heading = heading
    template.updated_by = actor if getattr(actor, "pk", None) else None
    if activate:
        ReviewTemplate.objects.filter(is_active=True).exclude(pk=template.pk).update(is_active=False)
        template.is_active = True
    template.save()
    _paragraphs_replace(template, paragraphs)
    audit_append(
        action="review.template.create" if created else "review.template.change",
        actor=actor,
        object_type="review_template",
        object_id=template.pk,
        note=name,
    )
    return template


@transaction.atomic
def review_template_update(
    *, template_id: int, heading: str, paragraphs: list[dict[str, Any]], actor: Any
) -> ReviewTemplate:
    """The office's edit of a template's heading and paragraphs (in the given order; a paragraph left without lead and
    text is dropped), audited; ValidationFailed naming every bad placeholder by field, nothing written."""
    kept = [p for p in paragraphs if str(p.get("heading", "")).strip() or str(p.get("text", "")).strip()]
    _checked(heading, kept)
    template = ReviewTemplate.objects.select_for_update().get(pk=template_id)
    template.heading = heading
    template.updated_by = actor if getattr(actor, "pk", None) else None
    template.save(update_fields=["heading", "updated_by", "updated_at"])
    _paragraphs_replace(template, kept)
    audit_append(
        action="review.template.change",
        actor=actor,
        object_type="review_template",
        object_id=template.pk,
        note=template.name,
    )
    return template


def review_template_load_default(*, actor: Any = None) -> ReviewTemplate:
    """The shipped template (data/work_review_default.json), saved and active."""
    data = json.loads(DEFAULT_TEMPLATE_PATH.read_text(encoding="utf-8"))
    return review_template_save(
        name=data["name"], heading=data["heading"], paragraphs=data["paragraphs"], activate=True, actor=actor
    )
