"""Masking of personal data for display (GB/T 35273 展示限制): done on the server, before any output."""

from __future__ import annotations

import re
from collections.abc import Iterable


def mask_phone(phone: str) -> str:
    """`13812345678` → `138****5678`; landlines keep their last 4 digits."""
    if not phone:
        return ""
    digits = phone.strip()
    if len(digits) == 11 and digits.isdigit():
        return f"{digits[:3]}****{digits[-4:]}"
    if len(digits) <= 4:
        return "*" * len(digits)
    return "*" * (len(digits) - 4) + digits[-4:]


def mask_id_number(id_number: str) -> str:
    """First 6 and last 4 kept: `110101********1234`."""
    if not id_number:
        return ""
    value = id_number.strip()
    if len(value) <= 10:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_name(name: str) -> str:
    """`张三丰` → `张**`."""
    if not name:
        return ""
    return name[0] + "*" * (len(name) - 1)


# --- personal data inside free text ------------------------------------------------------------------------------
# Citizens type their phone and ID numbers into the text itself, written every way a person writes them: with spaces,
# hyphens or dots between the groups, with +86 / 0086 / (+86) in front, in full-width digits (１３８…), or with an
# invisible character between the digits. A number is therefore read as a run of digit groups joined by at most a few
# such separators, and each stretch of consecutive groups is checked against the shapes of a mobile number, a
# landline with its area code and a resident ID number. A stretch is taken only when it is exactly one of these, so
# order numbers (14 digits), dates, times, amounts and house numbers stay as written.

_SEPARATOR = "\\s\\-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\uff0d.\uff0e\u00b7\u30fb()\uff08\uff09+\uff0b" + (
    "\u200b\u200c\u200d\u2060\ufeff\u202a-\u202e\u2066-\u2069"
)
_GROUP = re.compile(r"\d+(?:[Xx\uff38\uff58](?![A-Za-z]))?")
_DIGIT_RUN = re.compile(
    rf"\d+(?:[Xx\uff38\uff58](?![A-Za-z]))?(?:[{_SEPARATOR}]{{1,3}}\d+(?:[Xx\uff38\uff58](?![A-Za-z]))?)*"
)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_MOBILE = re.compile(r"1[3-9]\d{9}")
_LANDLINE = re.compile(r"0\d{9,11}")
_AREA_CODE = re.compile(r"0\d{2,3}")
_LOCAL_NUMBER = re.compile(r"\d{7,8}")
_FOREIGN_LANDLINE = re.compile(r"[1-9]\d{8,10}")  # a landline after +86: the area code loses its 0
_ID = re.compile(r"\d{17}[\dX]")
_COUNTRY_PREFIXES = ("0086", "86")
_INTERNATIONAL_MARKS = frozenset("+\uff0b")
# No number this function looks for has more digits than this (0086 + an 11-digit mobile: 15; an ID number: 18).
_LONGEST = 18


def _ascii_digits(group: str) -> str:
    return "".join("X" if ch in "Xx\uff38\uff58" else str(int(ch)) for ch in group)


def _plausible_id(value: str) -> bool:
    """An area code and a birth date where an ID number has them; written in one piece it counts without them."""
    year, month, day = int(value[6:10]), int(value[10:12]), int(value[12:14])
    return value[0] != "0" and 1900 <= year <= 2099 and 1 <= month <= 12 and 1 <= day <= 31


def _kept_positions(digits: str, groups: list[str], *, international: bool) -> range | None:
    """The positions of `digits` to hide if it is a phone or ID number, else None."""
    one_piece = len(groups) == 1
    if _ID.fullmatch(digits) and (one_piece or _plausible_id(digits)):
        return range(6, 14)
    if _MOBILE.fullmatch(digits):
        return range(3, 7)
    if _LANDLINE.fullmatch(digits) and (
        one_piece or (_AREA_CODE.fullmatch(groups[0]) and _LOCAL_NUMBER.fullmatch("".join(groups[1:])))
    ):
        return range(0, len(digits) - 4)
    for prefix in _COUNTRY_PREFIXES:
        if not digits.startswith(prefix):
            continue
        rest = digits[len(prefix) :]
        if _MOBILE.fullmatch(rest):
            return range(len(prefix) + 3, len(prefix) + 7)
        if (international or prefix == "0086") and _FOREIGN_LANDLINE.fullmatch(rest) and not one_piece:
            return range(len(prefix), len(digits) - 4)
    return None


def _mask_digit_run(text: str, run: re.Match[str]) -> str:
    groups = [(m.start(), m.end(), _ascii_digits(m.group(0))) for m in _GROUP.finditer(run.group(0))]
    chars = list(run.group(0))
    before = text[max(0, run.start() - 3) : run.start()]
    start = 0
    while start < len(groups):
        international = start == 0 and bool(_INTERNATIONAL_MARKS & set(before))
        if start > 0:
            between = run.group(0)[groups[start - 1][1] : groups[start][0]]
            international = bool(_INTERNATIONAL_MARKS & set(between))
        # The longest stretch of groups from here that is a number; groups are never split.
        candidates: list[tuple[int, str]] = []
        digits = ""
        for end in range(start, len(groups)):
            digits += groups[end][2]
            if len(digits) > _LONGEST:
                break
            candidates.append((end, digits))
        matched = None
        for end, digits in reversed(candidates):
            hidden = _kept_positions(digits, [g[2] for g in groups[start : end + 1]], international=international)
            if hidden is not None:
                matched = (end, hidden)
                break
        if matched is None:
            start += 1
            continue
        end, hidden = matched
        position = 0
        for group_start, group_end, _digits in groups[start : end + 1]:
            for index in range(group_start, group_end):
                if position in hidden:
                    chars[index] = "*"
                position += 1
        start = end + 1
    return "".join(chars)


def mask_personal_data_in_text(text: str, *, names: Iterable[str] = ()) -> str:
    """Free text with the phone and ID numbers, e-mail addresses and the given names of people masked.

    The one scrubber for every place where text a citizen or a unit wrote is published (Open311, the public track
    page): numbers keep what `mask_phone` and `mask_id_number` keep, in the place and width they were written.
    """
    if not text:
        return text
    text = _DIGIT_RUN.sub(lambda run: _mask_digit_run(text, run), text)
    text = _EMAIL.sub("***@***", text)
    for name in names:
        if name and len(name) >= 2:
            text = text.replace(name, mask_name(name))
    return text
