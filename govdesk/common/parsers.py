"""The API's request parsers: DRF's own, except that JSON has a depth limit.

Its own module because DRF reads DEFAULT_PARSER_CLASSES while `rest_framework.views` is imported, which `api.py` does.
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Mapping
from typing import IO, Any

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.parsers import JSONParser
from rest_framework.utils import json as drf_json

# No request GovDesk takes nests deeper than a few levels; far deeper bodies are attacks on the parser (Python's json
# recurses per level and ends in RecursionError, a 500) or on whatever walks the parsed data afterwards.
MAX_JSON_DEPTH = 32


class JSONTooDeepError(ValueError):
    """A JSON document nested deeper than MAX_JSON_DEPTH."""

    def __init__(self, max_depth: int = MAX_JSON_DEPTH) -> None:
        super().__init__(
            _("The JSON body is nested more than %(depth)s levels deep; no request needs that.") % {"depth": max_depth}
        )


def _nested_deeper_than(value: Any, max_depth: int) -> bool:
    # A stack, not recursion: the check must not fail the way the parser does.
    pending: list[tuple[Any, int]] = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        children = item.values() if isinstance(item, Mapping) else item if isinstance(item, list) else None
        if children is None:
            continue
        if depth > max_depth:
            return True
        pending.extend((child, depth + 1) for child in children if isinstance(child, Mapping | list))
    return False


def json_loads_bounded(text: str | bytes, *, max_depth: int = MAX_JSON_DEPTH, **kwargs: Any) -> Any:
    """`json.loads` for request bodies: JSONTooDeepError (a ValueError) beyond `max_depth` levels of arrays/objects."""
    try:
        value = json.loads(text, **kwargs)
    except RecursionError:
        raise JSONTooDeepError(max_depth) from None
    if _nested_deeper_than(value, max_depth):
        raise JSONTooDeepError(max_depth)
    return value


class BoundedJSONParser(JSONParser):
    """DRF's JSON parser with a depth limit: a body nested too deep is a 400 with a message, never a 500."""

    def parse(
        self, stream: IO[Any], media_type: str | None = None, parser_context: Mapping[str, Any] | None = None
    ) -> Any:
        encoding = (parser_context or {}).get("encoding") or settings.DEFAULT_CHARSET
        parse_constant = drf_json.strict_constant if self.strict else None
        try:
            text = codecs.getreader(encoding)(stream).read()
            return json_loads_bounded(text, parse_constant=parse_constant)
        except JSONTooDeepError as exc:
            raise exceptions.ParseError(str(exc)) from None
        except ValueError as exc:
            raise exceptions.ParseError(_("JSON parse error - %(error)s") % {"error": exc}) from None
