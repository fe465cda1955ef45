"""Validators for personal identifiers and free text, with messages a person understands."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# Dates a filter or a form may ask for. Django and Python handle year 1 to 9999, but the day boundaries around them
# overflow once converted to the database's time zone (a 500); nothing GovDesk holds is older or that far ahead.
SUPPORTED_DATE_MIN = date(2000, 1, 1)
SUPPORTED_DATE_MAX = date(2099, 12, 31)
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


def validate_supported_date(value: date | None) -> None:
    """A date (or a date-time's day) between SUPPORTED_DATE_MIN and SUPPORTED_DATE_MAX: the one range check of every
    date a person or a client gives in a filter or a form."""
    if value is None:
        return
    day = value.date() if isinstance(value, datetime) else value
    if not SUPPORTED_DATE_MIN <= day <= SUPPORTED_DATE_MAX:
        raise ValidationError(
            _("Dates from %(first)s to %(last)s are supported.")
            % {"first": SUPPORTED_DATE_MIN.isoformat(), "last": SUPPORTED_DATE_MAX.isoformat()},
            code="date_range",
        )


# Bidi embeddings, overrides and isolates make stored text display differently from what it is ("Trojan Source"
# tricks in names and replies); people never need them in this application's text. LRM/RLM marks stay.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Zero-width characters: a joiner or non-joiner only means something between two characters that join (emoji
# sequences, Arabic or Indic letters); a zero-width space, word joiner or byte-order mark never in our text.
ZERO_WIDTH_ALWAYS_DROPPED = frozenset("\u200b\u2060\ufeff")
ZERO_WIDTH_JOINERS = frozenset("\u200c\u200d")
# Characters that show as nothing: text made only of these (and spaces) is empty, whatever its length.
INVISIBLE_FILLERS = frozenset("\u115f\u1160\u3164\uffa0\u2800\u180e\u00ad\u034f\u200e\u200f")
_CJK_RANGES = (
    (0x2E80, 0x9FFF),
    (0xAC00, 0xD7AF),
    (0xF900, 0xFAFF),
    (0xFE30, 0xFE4F),
    (0xFF00, 0xFFEF),
    (0x20000, 0x3FFFF),
)


def _joins(ch: str) -> bool:
    """Can a zero-width (non-)joiner between this and a neighbour change how they are drawn?"""
    code = ord(ch)
    if code < 0x0600 or any(low <= code <= high for low, high in _CJK_RANGES):
        return False
    return unicodedata.category(ch)[0] in "LMS"


def clean_text(value: str) -> str:
    """Free text as GovDesk stores it: bidi overrides and meaningless zero-width characters removed, the ends
    stripped; text that shows as nothing (only invisible characters and spaces) becomes "".

    The one cleaning step of every free-text input (intake from every channel, replies, notes, reasons, supervision),
    done before the required and length checks, so that invisible text is refused as empty.
    """
    if not value:
        return ""
    kept: list[str] = []
    for index, ch in enumerate(value):
        if ch in BIDI_CONTROLS or ch in ZERO_WIDTH_ALWAYS_DROPPED:
            continue
        if ch in ZERO_WIDTH_JOINERS:
            before = kept[-1] if kept else ""
            after = value[index + 1] if index + 1 < len(value) else ""
            if not (before and after and _joins(before) and _joins(after)):
                continue
        kept.append(ch)
    text = "".join(kept).strip()
    if all(ch.isspace() or ch in INVISIBLE_FILLERS or ch in ZERO_WIDTH_JOINERS for ch in text):
        return ""
    return text
