"""The Open311 GeoReport v2 contract, written from the spec text (wiki.open311.org/GeoReport_v2), not from the server.

Element names, list wrappers and the date format are the spec's; `parse` turns either format into the same Python
shape (the spec's "Spark convention": XML lists become arrays), so each contract test checks both formats alike.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from typing import Any

BASE = "/open311/v2"
FORMATS = ("xml", "json")

SERVICE_FIELDS = frozenset({"service_code", "service_name", "description", "metadata", "type", "keywords", "group"})
SERVICE_TYPES = frozenset({"realtime", "batch", "blackbox"})
DATATYPES = frozenset({"string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"})
ATTRIBUTE_FIELDS = frozenset(
    {"variable", "code", "datatype", "required", "datatype_description", "order", "description", "values"}
)
VALUE_FIELDS = frozenset({"key", "name"})
# GET requests / GET request: every field the spec lists. Those marked "May not be returned" may be absent.
REQUEST_FIELDS = frozenset(
    {
        "service_request_id",
        "status",
        "status_notes",
        "service_name",
        "service_code",
        "description",
        "agency_responsible",
        "service_notice",
        "requested_datetime",
        "updated_datetime",
        "expected_datetime",
        "address",
        "address_id",
        "zipcode",
        "lat",
        "long",
        "media_url",
    }
)
REQUEST_MAY_BE_ABSENT = frozenset({"status_notes", "agency_responsible", "service_notice", "expected_datetime"})
# The common extensions (Extensions.md #15 update history, #35 extended attributes), only with extensions=true.
EXTENSION_FIELDS = frozenset({"notes", "extended_attributes", "attributes"})
NOTE_FIELDS = frozenset({"datetime", "description", "type"})
POST_RESPONSE_FIELDS = frozenset({"service_request_id", "token", "service_notice", "account_id"})
TOKEN_FIELDS = frozenset({"service_request_id", "token"})
ERROR_FIELDS = frozenset({"code", "description"})
DISCOVERY_FIELDS = frozenset({"changeset", "contact", "key_service", "endpoints"})
ENDPOINT_FIELDS = frozenset({"specification", "url", "changeset", "type", "formats"})
SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"

# The root element and, for lists, the element of each item (XML); JSON has a top-level array instead.
ROOTS = {
    "services": ("services", "service"),
    "service_definition": ("service_definition", None),
    "service_requests": ("service_requests", "request"),
    "errors": ("errors", "error"),
    "discovery": ("discovery", None),
}
# Wrapper element → item element, wherever it appears (the Spark convention turns these into arrays).
LIST_ELEMENTS = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
    "notes": "note",
}

# W3C NOTE-datetime subset, time zone required (Z or ±HH:MM).
W3C_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$")
XML_DECLARATION = re.compile(rb"^<\?xml version=\"1\.0\" encoding=\"utf-8\"\?>", re.IGNORECASE)


def url(resource: str, fmt: str) -> str:
    return f"{BASE}/{resource}.{fmt}"


def check_headers(response: Any, fmt: str) -> None:
    """The spec's content types, UTF-8 declared."""
    content_type = response["Content-Type"].replace(" ", "").lower()
    expected = "text/xml" if fmt == "xml" else "application/json"
    assert content_type.split(";")[0] == expected, content_type
    assert "charset=utf-8" in content_type, content_type


def xml_root(body: bytes) -> ET.Element:
    """The document's root, after checking the declaration, UTF-8 and the absence of any namespace."""
    assert XML_DECLARATION.match(body), body[:80]
    body.decode("utf-8")  # strict: the bytes are UTF-8
    root = ET.fromstring(body)  # noqa: S314 (our own server's output, in a test)
    for element in root.iter():
        assert not element.tag.startswith("{"), f"namespaced element {element.tag}"
        assert not element.attrib, f"<{element.tag}> carries attributes {element.attrib}; the spec has none"
    return root


def element_to_data(element: ET.Element) -> Any:
    """Spark convention: a known wrapper → list of its items; an element with children → dict; a leaf → its text."""
    children = list(element)
    item_tag = LIST_ELEMENTS.get(element.tag)
    if item_tag is not None:
        assert all(child.tag == item_tag for child in children), (element.tag, [c.tag for c in children])
        return [element_to_data(child) for child in children]
    if not children:
        return element.text or ""
    data: dict[str, Any] = {}
    for child in children:
        assert child.tag not in data, f"<{element.tag}> repeats <{child.tag}>"
        data[child.tag] = element_to_data(child)
    return data


def parse(response: Any, fmt: str, root: str) -> Any:
    """The response body as Python, checking the format's envelope: XML root and item names, or JSON's top level."""
    check_headers(response, fmt)
    body = response.content
    wrapper, item = ROOTS[root]
    if fmt == "json":
        data = json.loads(body.decode("utf-8"))
        if item is None:
            assert isinstance(data, dict), f"{root}: expected a JSON object, got {type(data).__name__}"
        else:
            assert isinstance(data, list), f"{root}: expected a top-level JSON array, got {type(data).__name__}"
        return data
    element = xml_root(body)
    assert element.tag == wrapper, f"root <{element.tag}>, expected <{wrapper}>"
    return element_to_data(element)


def text(value: Any) -> str:
    """A scalar as text, the same in both formats (JSON null and XML empty element are both '')."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def boolean(value: Any, fmt: str) -> bool:
    if fmt == "json":
        assert isinstance(value, bool), f"{value!r} is not a JSON boolean"
        return value
    assert value in ("true", "false"), f"{value!r} is not true/false"
    return value == "true"


def integer(value: Any, fmt: str) -> int:
    if fmt == "json":
        assert isinstance(value, int) and not isinstance(value, bool), f"{value!r} is not a JSON integer"
        return value
    assert re.fullmatch(r"-?\d+", value), f"{value!r} is not an integer"
    return int(value)


def number(value: Any, fmt: str) -> float:
    if fmt == "json":
        assert isinstance(value, int | float) and not isinstance(value, bool), f"{value!r} is not a JSON number"
        return float(value)
    return float(value)


def check_datetime(value: Any) -> None:
    assert isinstance(value, str) and W3C_DATETIME.match(value), f"{value!r} is not a w3 date with a time zone"


def check_errors(response: Any, fmt: str, status: int) -> list[dict[str, Any]]:
    """The spec's error shape: HTTP status, then a list of {code, description} in the requested format."""
    assert response.status_code == status, (response.status_code, response.content[:300])
    errors = parse(response, fmt, "errors")
    assert errors, "an error response lists at least one error"
    for error in errors:
        assert set(error) == ERROR_FIELDS, set(error)
        assert text(error["code"]).strip(), "error code is empty"
        if fmt == "json":
            assert isinstance(error["code"], int | str) and not isinstance(error["code"], bool)
        assert isinstance(error["description"], str) and error["description"].strip(), "error description is empty"
    return list(errors)


def check_request_record(record: dict[str, Any], fmt: str, *, extensions: bool = False) -> None:
    """One service request in GET requests / GET request: only the spec's names, required ones present."""
    allowed = REQUEST_FIELDS | (EXTENSION_FIELDS if extensions else frozenset())
    assert set(record) <= allowed, f"unexpected fields {set(record) - allowed}"
    missing = (REQUEST_FIELDS - REQUEST_MAY_BE_ABSENT) - set(record)
    assert not missing, f"missing fields {missing}"
    assert text(record["service_request_id"]).strip()
    assert record["status"] in ("open", "closed"), record["status"]
    check_datetime(record["requested_datetime"])
    check_datetime(record["updated_datetime"])
    if text(record.get("expected_datetime")):
        check_datetime(record["expected_datetime"])
    for coordinate in ("lat", "long"):
        if text(record[coordinate]):
            number(record[coordinate], fmt)
    if extensions:
        assert "notes" in record and "extended_attributes" in record, "extensions=true adds notes and attributes"
        assert isinstance(record["notes"], list)
        for note in record["notes"]:
            assert set(note) >= NOTE_FIELDS, set(note)
            check_datetime(note["datetime"])
        assert isinstance(record["extended_attributes"], dict)
