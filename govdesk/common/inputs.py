"""Checking the values a service receives, field by field, so that one answer names every field that is wrong.

Shared by every case type's services (work orders, applications): a 400 lists all the problems at once, in the
project's error shape (`ValidationFailed.fields`), instead of stopping at the first.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .errors import ValidationFailed
from .validators import clean_text, validate_multiline_text, validate_no_control_characters


class FieldErrors:
    """Messages collected per field; `raise_if_any` turns them into one ValidationFailed.

    `name_in_message`: the answer's message starts with the field's name (for inputs with many nested fields, such
    as an application's form, where a bare "This field is required." would not say which).
    """

    def __init__(self, *, name_in_message: bool = False) -> None:
        self.fields: dict[str, list[str]] = {}
        self.name_in_message = name_in_message

    def add(self, field: str, message: str) -> None:
        self.fields.setdefault(field, []).append(str(message))

    def check(self, field: str, validator: Callable[[str], None], value: str) -> None:
        try:
            validator(value)
        except ValidationError as exc:
            for message in exc.messages:
                self.add(field, message)

    def raise_if_any(self) -> None:
        if self.fields:
            field, messages = next(iter(self.fields.items()))
            message = f"{field}: {messages[0]}" if self.name_in_message else messages[0]
            raise ValidationFailed(message, fields=self.fields)


def text_field(
    errors: FieldErrors, field: str, value: Any, *, required: bool, max_length: int, multiline: bool = False
) -> str:
    """A text input cleaned (bidi overrides and stray zero-width characters removed), or "" with its errors noted."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors.add(field, _("Must be text."))
        return ""
    # Invisible text (zero-width or bidi-override characters only) is empty, so `required` refuses it.
    value = clean_text(value)
    if required and not value:
        errors.add(field, _("This field is required."))
    elif len(value) > max_length:
        errors.add(field, _("At most %(n)d characters (now %(len)d).") % {"n": max_length, "len": len(value)})
    errors.check(field, validate_multiline_text if multiline else validate_no_control_characters, value)
    return value


def text_input(value: Any, field: str, *, required: bool, max_length: int, name_in_message: bool = False) -> str:
    """One multi-line text input (a note, a reason, an answer), cleaned, or ValidationFailed naming the field."""
    errors = FieldErrors(name_in_message=name_in_message)
    text = text_field(errors, field, value, required=required, max_length=max_length, multiline=True)
    errors.raise_if_any()
    return text
