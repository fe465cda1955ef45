"""Reading Open311 input: dates in the W3C subset of ISO 8601 (time zone required) and `attribute[code]` fields."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from typing import Any

ATTRIBUTE_FIELD = re.compile(r"^attribute\[([^\[\]]*)\](\[\])?$")


def parse_w3_datetime(value: str) -> datetime | None:
    """`2010-01-01T00:00:00Z` or `…+08:00`; None for anything else, including a date-time without a time zone.

    Its year is not checked here: the caller checks the range (`validate_supported_date`) and says so.
    """
    text = value.strip()
    if "T" not in text and "t" not in text:
        return None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        return None
    return parsed


def attributes_from_pairs(pairs: Iterable[tuple[str, Any]]) -> dict[str, list[str]]:
    """`attribute[code]=v` and `attribute[code][]=v1&attribute[code][]=v2` as {code: [values]}; other keys ignored."""
    answers: dict[str, list[str]] = {}
    for key, value in pairs:
        match = ATTRIBUTE_FIELD.match(key)
        if match is None:
            continue
        values = value if isinstance(value, list) else [value]
        answers.setdefault(match.group(1), []).extend("" if v is None else str(v) for v in values)
    return answers


def attributes_from_json(value: Any) -> dict[str, list[str]]:
    """A JSON body's `"attribute": {"code": "v" | ["v1", "v2"]}`."""
    if not isinstance(value, dict):
        return {}
    answers: dict[str, list[str]] = {}
    for code, answer in value.items():
        values = answer if isinstance(answer, list) else [answer]
        answers[str(code)] = ["" if v is None else str(v) for v in values]
    return answers
