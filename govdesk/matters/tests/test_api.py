from __future__ import annotations

from typing import Any

import pytest

from .helpers import make_matter

pytestmark = pytest.mark.django_db

CONTRACT_KEYS = {
    "code",
    "name",
    "type",
    "unit",
    "legal_limit_days",
    "promised_limit_days",
    "instant",
    "fields",
    "materials",
    "version",
}


@pytest.fixture
def catalogue(district: Any) -> None:
    make_matter(district.dept_a, code="A1", name="营业执照遗失补领")
    make_matter(district.dept_a, code="A1", name="营业执照遗失补领（新）")
    make_matter(district.dept_b, code="B1", name="失业保险金申领", instant=True, promised_limit_days=0)


def test_detail_contract(catalogue: None, people: Any, api_client_for: Any) -> None:
    response = api_client_for(people.citizen).get("/api/v1/matters/A1/")
    assert response.status_code == 200
    body = response.json()
    assert set(body) >= CONTRACT_KEYS
    assert (body["code"], body["name"], body["type"], body["unit"], body["version"]) == (
        "A1",
        "营业执照遗失补领（新）",
        "licensing",
        "LS-ZJ",
        2,
    )
    assert (body["legal_limit_days"], body["promised_limit_days"], body["instant"]) == (20, 5, False)
    for field in body["fields"]:
        assert {"name", "label", "type", "required", "choices"} <= set(field)
    assert [m["code"] for m in body["materials"]] == ["M01", "M02", "M03"]
    assert {"code", "name", "required"} <= set(body["materials"][0])


def test_list_is_paginated_and_filters(catalogue: None, people: Any, api_client_for: Any) -> None:
    client = api_client_for(people.operator)
    body = client.get("/api/v1/matters/").json()
    assert body["count"] == 2 and [m["code"] for m in body["results"]] == ["A1", "B1"]
    assert set(body["results"][0]) >= CONTRACT_KEYS
    assert [m["code"] for m in client.get("/api/v1/matters/", {"q": "sybx"}).json()["results"]] == ["B1"]
    assert [m["code"] for m in client.get("/api/v1/matters/", {"q": "补领"}).json()["results"]] == ["A1"]
    assert [m["code"] for m in client.get("/api/v1/matters/", {"unit": "LS-RS"}).json()["results"]] == ["B1"]
    assert client.get("/api/v1/matters/", {"unit": "NOPE"}).json()["count"] == 0
    assert client.get("/api/v1/matters/", {"q": "x" * 51}).status_code == 400


def test_list_query_count_does_not_grow(
    catalogue: None, district: Any, people: Any, api_client_for: Any, django_assert_max_num_queries: Any
) -> None:
    client = api_client_for(people.operator)
    client.get("/api/v1/matters/")
    for n in range(10):
        make_matter(district.dept_b, code=f"C{n}", name=f"事项{n}")
    with django_assert_max_num_queries(5):
        assert client.get("/api/v1/matters/").json()["count"] == 12


def test_unknown_code_is_404(catalogue: None, people: Any, api_client_for: Any) -> None:
    response = api_client_for(people.citizen).get("/api/v1/matters/NOPE/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_login_required(catalogue: None, api_client_for: Any) -> None:
    assert api_client_for().get("/api/v1/matters/").status_code in (401, 403)
    assert api_client_for().get("/api/v1/matters/A1/").status_code in (401, 403)


@pytest.mark.parametrize(
    "params",
    [{"q": "\x00"}, {"unit": "a\x00"}, {"page": "abc"}, {"page": "99"}, {"page_size": "-1"}, {"q": "%_'\""}],
)
def test_odd_query_parameters_are_4xx_or_empty_never_500(
    catalogue: None, people: Any, api_client_for: Any, params: dict
) -> None:
    response = api_client_for(people.operator).get("/api/v1/matters/", params)
    assert response.status_code in (200, 400, 404)
    if response.status_code == 200 and "q" in params:
        assert response.json()["count"] == 0


@pytest.mark.parametrize("code", ["%00", "x" * 300, "../A1", "A1%20"])
def test_odd_codes_are_404(catalogue: None, people: Any, api_client_for: Any, code: str) -> None:
    assert api_client_for(people.operator).get(f"/api/v1/matters/{code}/").status_code == 404
