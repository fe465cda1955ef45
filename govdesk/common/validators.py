"""Validators for personal identifiers and free text, with messages a person understands."""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
LANDLINE_RE = re.compile(r"^0\d{2,3}-?\d{7,8}$")
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"


def normalize_phone(value: str) -> str:
    return re.sub(r"[\s()（）]", "", value or "").replace("+86", "", 1)


def validate_phone(value: str) -> None:
    """A mainland mobile number (11 digits starting 13–19) or a landline with area code."""
    phone = normalize_phone(value)
    if not (MOBILE_RE.match(phone) or LANDLINE_RE.match(phone)):
        raise ValidationError(
            _("Enter a valid phone number: an 11-digit mobile number or a landline with area code."),
            code="phone",
        )


def id_number_checksum_ok(value: str) -> bool:
    """GB 11643-1999 check digit (ISO 7064 MOD 11-2)."""
    if len(value) != 18 or not value[:17].isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(value[:17], ID_WEIGHTS, strict=True))
    return ID_CHECK[total % 11] == value[17].upper()


def validate_id_number(value: str) -> None:
    """An 18-character resident ID number: digits, a real birth date and a correct check digit."""
    number = (value or "").strip().upper()
    if len(number) != 18 or not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        raise ValidationError(_("An ID number has 18 characters: 17 digits and a digit or X."), code="id_number")
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise ValidationError(_("The birth date inside this ID number does not exist."), code="id_number") from None
    if born.year < 1900 or born > timezone.localdate():
        raise ValidationError(_("The birth date inside this ID number does not exist."), code="id_number")
    if not id_number_checksum_ok(number):
        raise ValidationError(_("This ID number's check digit is wrong; please check it."), code="id_number")


def has_control_characters(value: str, *, allow_newlines: bool) -> bool:
    for ch in value:
        if allow_newlines and ch in "\n\r\t":
            continue
        # Cc: C0/C1 controls; Cs: lone surrogates; U+FFFE/U+FFFF are not characters. XML 1.0 carries none of them.
        if unicodedata.category(ch) in {"Cc", "Cs"} or ch in "\ufffe\uffff":
            return True
    return False


def validate_no_control_characters(value: str) -> None:
    """Single-line fields: no control characters at all (they break XML exports and logs)."""
    if has_control_characters(value, allow_newlines=False):
        raise ValidationError(_("This text contains invisible control characters; please remove them."), code="control")


def validate_multiline_text(value: str) -> None:
    """Multi-line fields: line breaks and tabs allowed, other control characters not."""
    if has_control_characters(value, allow_newlines=True):
        raise ValidationError(_("This text contains invisible control characters; please remove them."), code="control")
