"""Open311 fixtures: public services with attributes of all six datatypes, an API key, a client speaking both formats.

Service codes are read from GET services (the server's choice), never guessed from database ids.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client

from govdesk.catalog.models import AttributeDatatype, CategoryAttribute

from . import spec

# The spec's own example service definition (DMV66 / WHISHETN) and POST example (WHISPAWN, WHISDORN) use these codes.
ATTRIBUTES: list[dict[str, Any]] = [
    {
        "code": "WHISHETN",
        "datatype": AttributeDatatype.SINGLEVALUELIST,
        "required": True,
        "order": 1,
        "description": "What is the ticket/tag/DL number?",
        "values": [{"key": "123", "name": "Ford"}, {"key": "124", "name": "Chrysler"}],
    },
    {"code": "WHISPAWN", "datatype": AttributeDatatype.STRING, "required": False, "order": 2, "description": "编号"},
    {"code": "WHISDORN", "datatype": AttributeDatatype.STRING, "required": False, "order": 3, "description": "编码"},
    {"code": "lamps", "datatype": AttributeDatatype.NUMBER, "order": 4, "description": "几盏灯不亮？"},
    {"code": "since", "datatype": AttributeDatatype.DATETIME, "order": 5, "description": "从什么时候开始？"},
    {"code": "details", "datatype": AttributeDatatype.TEXT, "order": 6, "description": "补充说明"},
    {
        "code": "kinds",
        "datatype": AttributeDatatype.MULTIVALUELIST,
        "order": 7,
        "description": "哪些设施？",
        "datatype_description": "可多选",
        "values": [{"key": "lamp", "name": "路灯"}, {"key": "pole", "name": "灯杆"}, {"key": "wire", "name": "电线"}],
    },
    {
        "code": "notice",
        "datatype": AttributeDatatype.TEXT,
        "variable": False,
        "order": 8,
        "description": "夜间请注意安全",
    },
    {"code": "retired", "datatype": AttributeDatatype.STRING, "order": 9, "description": "旧问题", "is_active": False},
]
VALID_ANSWERS = {"attribute[WHISHETN]": "123"}


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> Iterator[None]:
    """Rate-limit counters live in the cache; no test inherits another's."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def services(categories: SimpleNamespace) -> SimpleNamespace:
    """Public: facilities (with attributes), greening and housing (without). Internal: wages. Inactive: bus."""
    categories.facilities.__class__.objects.filter(pk=categories.facilities.pk).update(
        public=True, description="路灯、井盖、道路等市政设施损坏", keywords="路灯,井盖,道路"
    )
    for category in (categories.greening, categories.housing):
        category.__class__.objects.filter(pk=category.pk).update(public=True, description=f"{category.name}问题")
    categories.bus.__class__.objects.filter(pk=categories.bus.pk).update(public=True, is_active=False)
    for row in ATTRIBUTES:
        CategoryAttribute.objects.create(category=categories.facilities, **row)
    for name in ("facilities", "greening", "housing", "bus", "wages"):
        getattr(categories, name).refresh_from_db()
    return categories


def key_create(name: str) -> str:
    out = io.StringIO()
    call_command("open311_key", "create", name, stdout=out)
    keys = re.findall(r"[A-Za-z0-9_\-]{24,}", out.getvalue())
    assert len(keys) == 1, f"open311_key create should print the key once: {out.getvalue()!r}"
    return keys[0]


@pytest.fixture
def api_key(db: Any) -> str:
    return key_create("FixMyStreet 离石")


class Open311:
    """A client of /open311/v2/ speaking both formats."""

    def __init__(self, client: Client, api_key: str) -> None:
        self.client = client
        self.api_key = api_key

    def get(self, resource: str, fmt: str, **params: Any) -> Any:
        return self.client.get(spec.url(resource, fmt), params)

    def post(self, fmt: str, data: dict[str, Any], *, with_key: bool = True) -> Any:
        body = {"api_key": self.api_key, **data} if with_key else data
        return self.client.post(spec.url("requests", fmt), body)

    def services(self, fmt: str = "json") -> list[dict[str, Any]]:
        response = self.get("services", fmt)
        assert response.status_code == 200, response.content[:300]
        data: list[dict[str, Any]] = spec.parse(response, fmt, "services")
        return data

    def code(self, category: Any) -> str:
        """The service_code the server gives a public category, found by its name in GET services."""
        matches = [s for s in self.services() if category.name in spec.text(s["service_name"])]
        assert len(matches) == 1, (category.name, matches)
        return spec.text(matches[0]["service_code"])

    def create(self, category: Any, fmt: str = "json", **data: Any) -> str:
        """POST a valid request; the new service_request_id."""
        body = {"service_code": self.code(category), "address_string": "离石区滨河北路18号", **data}
        if category.attributes.filter(required=True, is_active=True).exists():
            body = {**VALID_ANSWERS, **body}
        response = self.post(fmt, body)
        assert response.status_code in (200, 201), response.content[:500]
        created = spec.parse(response, fmt, "service_requests")
        return spec.text(created[0]["service_request_id"])

    def request(self, service_request_id: str, fmt: str = "json", **params: Any) -> dict[str, Any]:
        response = self.get(f"requests/{service_request_id}", fmt, **params)
        assert response.status_code == 200, response.content[:500]
        records = spec.parse(response, fmt, "service_requests")
        assert len(records) == 1, records
        record: dict[str, Any] = records[0]
        return record

    def requests(self, fmt: str = "json", **params: Any) -> list[dict[str, Any]]:
        response = self.get("requests", fmt, **params)
        assert response.status_code == 200, response.content[:500]
        data: list[dict[str, Any]] = spec.parse(response, fmt, "service_requests")
        return data


@pytest.fixture
def o311(services: SimpleNamespace, api_key: str) -> Open311:
    return Open311(Client(), api_key)
