"""API contract: /categories/ and /request-types/."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def test_categories_list_the_tree_with_leaf_flags(
    people: SimpleNamespace, categories: SimpleNamespace, api_client_for: Any, django_assert_max_num_queries: Any
) -> None:
    client = api_client_for(people.handler_b)
    with django_assert_max_num_queries(1):
        response = client.get("/api/v1/categories/")
    assert response.status_code == 200
    rows = {row["path"]: row for row in response.json()}
    assert len(rows) == 12  # 3 roots + 4 branches + 5 leaves of the small tree
    leaf = rows["城乡建设/城市建设和市政管理/市政设施"]
    assert leaf == {
        "id": categories.facilities.pk,
        "path": "城乡建设/城市建设和市政管理/市政设施",
        "name": "市政设施",
        "level": 3,
        "parent": categories.branch.pk,
        "is_leaf": True,
    }
    assert rows["城乡建设"]["parent"] is None
    assert rows["城乡建设"]["is_leaf"] is False
    assert rows["城乡建设/城市建设和市政管理"]["is_leaf"] is False


def test_leaf_filter_gives_only_what_an_order_can_be_filed_under(
    people: SimpleNamespace, categories: SimpleNamespace, api_client_for: Any
) -> None:
    response = api_client_for(people.citizen).get("/api/v1/categories/", {"leaf": "1"})
    assert response.status_code == 200
    assert sorted(row["id"] for row in response.json()) == sorted(
        c.pk for c in (categories.facilities, categories.greening, categories.housing, categories.wages, categories.bus)
    )
    assert all(row["is_leaf"] for row in response.json())


def test_inactive_children_do_not_hide_a_leaf(
    people: SimpleNamespace, categories: SimpleNamespace, api_client_for: Any
) -> None:
    categories.facilities.is_active = False
    categories.facilities.save()
    paths = {row["path"] for row in api_client_for(people.citizen).get("/api/v1/categories/?leaf=1").json()}
    assert "城乡建设/城市建设和市政管理/市政设施" not in paths
    assert "城乡建设/城市建设和市政管理/园林绿化环卫" in paths


def test_bad_leaf_value_is_400(people: SimpleNamespace, categories: SimpleNamespace, api_client_for: Any) -> None:
    response = api_client_for(people.citizen).get("/api/v1/categories/", {"leaf": "maybe"})
    assert response.status_code == 400
    assert "leaf" in response.json()["fields"]


def test_request_types(people: SimpleNamespace, api_client_for: Any) -> None:
    response = api_client_for(people.operator).get("/api/v1/request-types/")
    assert response.status_code == 200
    by_code = {row["code"]: row for row in response.json()}
    assert set(by_code) == {"consultation", "help", "complaint", "report", "suggestion", "praise"}
    assert by_code["consultation"]["allows_direct_answer"] is True
    assert by_code["complaint"]["allows_direct_answer"] is False
    assert set(by_code["complaint"]) == {"code", "name", "allows_direct_answer"}


@pytest.mark.parametrize("url", ["/api/v1/categories/", "/api/v1/request-types/"])
def test_catalogue_needs_a_login(db: Any, url: str) -> None:
    assert APIClient().get(url).status_code == 401
