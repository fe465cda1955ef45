"""Forms of the knowledge pages. They parse and keep what was typed; the services do the real checking.

Fields are lenient (`required=False` on the server, `required` only as an HTML hint) so that one submission shows
every problem the services find, with the services' own messages, next to the field it concerns. What a form refuses
itself (a date that is no date, a text far too long, control characters) never reaches a service: nothing is written.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from govdesk.common.validators import validate_multiline_text, validate_no_control_characters, validate_supported_date
from govdesk.org.models import Unit

from .services import ANSWER_MAX_LENGTH, AREA_MAX_LENGTH, NOTE_MAX_LENGTH, POLICY_BASIS_MAX_LENGTH, TITLE_MAX_LENGTH

# Room for 10 tags of 20 characters and their separators (the service checks the tags themselves).
TAGS_TEXT_MAX_LENGTH = 300
# The search API's own limit on a question.
QUERY_MAX_LENGTH = 500
# Tags are typed in one box, separated the ways people separate words in Chinese and English text.
TAG_SEPARATORS_RE = re.compile(r"[,，、;；\s]+")
TAG_JOINER = "、"

STATE_CHOICES = (
    ("", _("All")),
    ("published", _("Published")),
    ("unpublished", _("Not yet published")),
    ("withdrawn", _("Withdrawn")),
    ("expiring", _("Expiring within 30 days")),
)


def tags_parse(text: str) -> list[str]:
    return [tag for tag in TAG_SEPARATORS_RE.split(text or "") if tag]


def tags_text(tags: Any) -> str:
    return TAG_JOINER.join(str(tag) for tag in (tags or []))


def _text(label: Any, max_length: int, *, required_hint: bool = False, **attrs: Any) -> forms.CharField:
    widget_attrs = {"maxlength": str(max_length), **attrs}
    if required_hint:
        widget_attrs["required"] = "required"
    return forms.CharField(
        label=label,
        required=False,
        max_length=max_length,
        validators=[validate_no_control_characters],
        widget=forms.TextInput(attrs=widget_attrs),
    )


def _area(label: Any, max_length: int, *, rows: int, required_hint: bool = False) -> forms.CharField:
    attrs = {"rows": str(rows), "maxlength": str(max_length)}
    if required_hint:
        attrs["required"] = "required"
    return forms.CharField(
        label=label,
        required=False,
        max_length=max_length,
        validators=[validate_multiline_text],
        widget=forms.Textarea(attrs=attrs),
    )


def _date(label: Any, *, help_text: Any = "") -> forms.DateField:
    return forms.DateField(
        label=label,
        required=False,
        help_text=help_text,
        validators=[validate_supported_date],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


def writer_unit_choices() -> list[tuple[str, str]]:
    """Units that answer the hotline's orders: the ones an article can belong to."""
    units = Unit.objects.filter(is_active=True, accepts_orders=True).order_by("kind", "sort_order", "code")
    return [(u.code, u.name) for u in units.only("code", "name")]


class DraftForm(forms.Form):
    """An article's draft (a revision's fields), as the unit writes it."""

    title = _text(_("Question (as callers ask it)"), TITLE_MAX_LENGTH, required_hint=True)
    answer = _area(_("Answer"), ANSWER_MAX_LENGTH, rows=10, required_hint=True)
    policy_basis = _area(_("Policy basis"), POLICY_BASIS_MAX_LENGTH, rows=3)
    area = _text(_("Area it applies to"), AREA_MAX_LENGTH, placeholder=_("e.g. the whole district, or a street"))
    valid_from = _date(_("Valid from"))
    valid_to = _date(_("Valid to"), help_text=_("Leave empty when the answer has no end date."))
    tags = _text(
        _("Tags"),
        TAGS_TEXT_MAX_LENGTH,
        placeholder=_("Separated by commas or spaces, at most 10"),
    )

    def __init__(self, *args: Any, with_unit: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["answer"].widget.attrs["data-counter"] = str(ANSWER_MAX_LENGTH)
        if with_unit:
            # The centre writes an article for a unit: the unit keeps it current afterwards.
            self.fields["unit"] = forms.ChoiceField(
                label=_("Responsible unit"), choices=[("", _("— choose —")), *writer_unit_choices()], required=False
            )
            self.order_fields(["unit"])

    @classmethod
    def initial_from(cls, source: Any) -> dict[str, Any]:
        """The form's initial values from a revision (its draft) or a published version."""
        return {
            "title": source.title,
            "answer": source.answer,
            "policy_basis": source.policy_basis,
            "area": source.area,
            "valid_from": source.valid_from,
            "valid_to": source.valid_to,
            "tags": tags_text(source.tags),
        }

    def draft_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        valid_from: date | None = data.get("valid_from")
        valid_to: date | None = data.get("valid_to")
        return {
            "title": (data.get("title") or "").strip(),
            "answer": (data.get("answer") or "").strip(),
            "policy_basis": (data.get("policy_basis") or "").strip(),
            "area": (data.get("area") or "").strip(),
            "valid_from": valid_from,
            "valid_to": valid_to,
            "tags": tags_parse(data.get("tags") or ""),
        }

    def unit_code(self) -> str | None:
        return (self.cleaned_data.get("unit") or None) if "unit" in self.fields else None


class NoteForm(forms.Form):
    """The centre's note: required to return a draft or withdraw an article (the service says so)."""

    note = _area(_("Note"), NOTE_MAX_LENGTH, rows=3)

    def note_text(self) -> str:
        return str(self.cleaned_data.get("note") or "").strip()


class ArticleFilterForm(forms.Form):
    q = _text(_("Search"), QUERY_MAX_LENGTH, type="search")
    unit = forms.ChoiceField(label=_("Unit"), choices=(), required=False)
    state = forms.ChoiceField(label=_("State"), choices=STATE_CHOICES, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        unit_field = self.fields["unit"]
        assert isinstance(unit_field, forms.ChoiceField)
        unit_field.choices = [("", _("All units")), *writer_unit_choices()]

    def filters(self) -> dict[str, str]:
        data = self.cleaned_data if self.is_bound else {}
        return {
            "q": str(data.get("q") or "").strip(),
            "unit": str(data.get("unit") or ""),
            "state": str(data.get("state") or ""),
        }


class PublicSearchForm(forms.Form):
    q = _text(_("What would you like to know?"), QUERY_MAX_LENGTH, type="search")

    def query(self) -> str:
        return str(self.cleaned_data.get("q") or "").strip() if self.is_bound else ""
