"""GeoReport v2 documents in XML and JSON from one description.

A document is a root element name and a value. Values are dicts (child elements in order), `Items` (a repeated child
element; a JSON array), strings, numbers, booleans (`true`/`false`) and None (an empty element; JSON null). Lists of
records are top-level JSON arrays, as the spec's "Spark convention" wants. Text XML 1.0 cannot carry (control
characters, lone surrogates) is dropped here as a last line of defence: input checks reject it, so it should never be
stored, but no stored text may ever break an answer.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from xml.etree import ElementTree as ET

from django.http import HttpResponse

FORMATS = ("xml", "json")
CONTENT_TYPES = {"xml": "text/xml; charset=utf-8", "json": "application/json; charset=utf-8"}
XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'

# Everything outside XML 1.0's Char production.
_NOT_XML_CHAR = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@dataclass(frozen=True)
class Items:
    """A repeated element: `<services><service/>…</services>` in XML, an array in JSON."""

    tag: str
    values: list[Any] = field(default_factory=list)


def xml_safe(text: str) -> str:
    return _NOT_XML_CHAR.sub("", text)


def _scalar_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    return xml_safe(str(value))


def _fill(element: ET.Element, value: Any) -> None:
    if isinstance(value, dict):
        for key, child in value.items():
            _fill(ET.SubElement(element, key), child)
    elif isinstance(value, Items):
        for child in value.values:
            _fill(ET.SubElement(element, value.tag), child)
    else:
        element.text = _scalar_text(value)


def to_xml(root: str, value: Any) -> bytes:
    element = ET.Element(root)
    _fill(element, value)
    return (XML_DECLARATION + ET.tostring(element, encoding="unicode")).encode("utf-8")


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _plain(child) for key, child in value.items()}
    if isinstance(value, Items):
        return [_plain(child) for child in value.values]
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, str):
        return xml_safe(value)
    return value


def to_json(value: Any) -> bytes:
    return json.dumps(_plain(value), ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def render(fmt: str, root: str, value: Any, *, status: int = 200) -> HttpResponse:
    """The document in `fmt` ("xml" or "json"; anything else gets JSON)."""
    if fmt == "xml":
        return HttpResponse(to_xml(root, value), content_type=CONTENT_TYPES["xml"], status=status)
    return HttpResponse(to_json(value), content_type=CONTENT_TYPES["json"], status=status)


def render_errors(fmt: str, errors: list[tuple[int, str]], *, status: int) -> HttpResponse:
    """The spec's error list: `<errors><error><code/><description/></error></errors>` or `[{code, description}]`."""
    items = Items("error", [{"code": code, "description": description} for code, description in errors])
    return render(fmt, "errors", items, status=status)
