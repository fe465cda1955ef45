"""The package catalogue API (contract in issue 12): GET /api/v1/packages/ and /api/v1/packages/{code}/."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from govdesk.packages.catalogue import package_version_publish

from .helpers import CERTIFICATE, INSURANCE, REGISTRATION, birth_matters, birth_package_data

pytestmark = pytest.mark.django_db

CONTRACT_KEYS = {"code", "name", "lead_unit", "matters", "fields", "materials", "promised_limit_days"}


@pytest.fixture
def package(district: Any) -> dict[str, Any]:
    data = birth_package_data(birth_matters(district.dept_a, district.dept_b), district.dept_a)
    package_version_publish(**copy.deepcopy(data))
    changed = copy.deepcopy(data)
    changed["attrs"]["promised_limit_days"] = 8
    package_version_publish(**changed)
    return data


def test_detail_contract(package: dict[str, Any], people: Any, api_client_for: Any) -> None:
    response = api_client_for(people.citizen).get("/api/v1/packages/BIRTH/")
    assert response.status_code == 200
    body = response.json()
    assert set(body) >= CONTRACT_KEYS
    assert (body["code"], body["name"], body["lead_unit"], body["promised_limit_days"], body["version"]) == (
        "BIRTH",
        "新生儿出生一件事",
        "LS-ZJ",
        8,
        2,
    )
    assert body["matters"] == [CERTIFICATE, REGISTRATION, INSURANCE]
    assert [f["name"] for f in body["fields"]] == [f["name"] for f in package["attrs"]["fields"]]
    phone = next(f for f in body["fields"] if f["name"] == "payer_phone")
    assert phone["required_if"] == {"field": "want_insurance", "equals": True}
    for material in body["materials"]:
        assert set(material) == {"code", "name", "required", "matters"}
    ids = next(m for m in body["materials"] if m["name"] == "父母身份证")
    assert ids["matters"] == [CERTIFICATE, REGISTRATION] and ids["required"] is True
    registration = next(i for i in body["items"] if i["matter"] == REGISTRATION)
    assert registration["depends_on"] == [CERTIFICATE] and registration["unit"] == "LS-RS"
    assert body["life_event"] == "birth"


def test_list_is_paginated_and_filters(package: dict[str, Any], people: Any, api_client_for: Any) -> None:
    client = api_client_for(people.operator)
    body = client.get("/api/v1/packages/").json()
    assert body["count"] == 1 and body["results"][0]["code"] == "BIRTH"
    assert set(body["results"][0]) >= CONTRACT_KEYS
    assert client.get("/api/v1/packages/", {"q": "xsecs"}).json()["count"] == 1
    assert client.get("/api/v1/packages/", {"q": "出生"}).json()["count"] == 1
    assert client.get("/api/v1/packages/", {"q": "退休"}).json()["count"] == 0
    assert client.get("/api/v1/packages/", {"life_event": "death"}).json()["count"] == 0
    assert client.get("/api/v1/packages/", {"lead_unit": "LS-ZJ"}).json()["count"] == 1
    assert client.get("/api/v1/packages/", {"life_event": "holiday"}).status_code == 400
    assert client.get("/api/v1/packages/", {"q": "x" * 51}).status_code == 400


def test_unknown_inactive_and_odd_codes_are_404(package: dict[str, Any], people: Any, api_client_for: Any) -> None:
    from govdesk.packages.models import Package

    client = api_client_for(people.citizen)
    for code in ("NOPE", "%00", "x" * 300):
        assert client.get(f"/api/v1/packages/{code}/").status_code == 404
    Package.objects.filter(code="BIRTH").update(is_active=False)
    assert client.get("/api/v1/packages/BIRTH/").status_code == 404
    assert client.get("/api/v1/packages/").json()["count"] == 0


def test_login_required_like_the_matters_api(package: dict[str, Any], api_client_for: Any) -> None:
    assert api_client_for().get("/api/v1/packages/").status_code in (401, 403)
    assert api_client_for().get("/api/v1/packages/BIRTH/").status_code in (401, 403)


def test_list_query_count_does_not_grow(
    package: dict[str, Any], people: Any, api_client_for: Any, django_assert_max_num_queries: Any
) -> None:
    client = api_client_for(people.operator)
    client.get("/api/v1/packages/")
    for n in range(5):
        data = copy.deepcopy(package)
        data["code"] = f"P{n}"
        package_version_publish(**data)
    with django_assert_max_num_queries(8):
        assert client.get("/api/v1/packages/").json()["count"] == 6


def test_in_the_openapi_schema(people: Any, api_client_for: Any) -> None:
    response = api_client_for(people.operator).get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = (
        response.json() if hasattr(response, "json") and response.get("Content-Type", "").endswith("json") else None
    )
    text = response.content.decode()
    assert "/api/v1/packages/" in text and "/api/v1/packages/{code}/" in text
    assert schema is None or "Package" in schema["components"]["schemas"]
