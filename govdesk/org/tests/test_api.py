"""API contract: /me/ and /units/, anonymous and bad-token answers (logging in: govdesk/security/tests)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("url", ["/api/v1/me/", "/api/v1/units/", "/api/v1/workorders/"])
def test_anonymous_requests_are_401_with_www_authenticate(db: Any, url: str) -> None:
    response = APIClient().get(url)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response.json()["code"] == "not_authenticated"


def test_bad_token_is_401(db: Any) -> None:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    response = client.get("/api/v1/me/")
    assert response.status_code == 401
    assert set(response.json()) == {"code", "message"}


def test_session_login_works_for_the_web_ui(people: SimpleNamespace) -> None:
    client = APIClient()
    client.force_login(people.citizen)
    me = client.get("/api/v1/me/")
    assert me.status_code == 200
    assert me.json() == {"username": "citizen", "display_name": "citizen", "roles": ["citizen"], "unit": None}


def test_me_lists_every_role_and_the_display_name(people: SimpleNamespace, api_client_for: Any) -> None:
    from django.contrib.auth.models import Group

    people.supervisor.groups.add(Group.objects.get_or_create(name="dispatcher")[0])
    people.supervisor.display_name = "督办员李"
    people.supervisor.save()
    people.supervisor.__dict__.pop("roles", None)
    body = api_client_for(people.supervisor).get("/api/v1/me/").json()
    assert body["roles"] == ["dispatcher", "supervisor"]
    assert body["display_name"] == "督办员李"
    assert body["unit"] == "LS-12345"


def test_units_list_gives_the_tree_by_code(
    people: SimpleNamespace, district: SimpleNamespace, api_client_for: Any
) -> None:
    district.dept_b.is_active = False
    district.dept_b.save()
    response = api_client_for(people.citizen).get("/api/v1/units/")
    assert response.status_code == 200
    units = {u["code"]: u for u in response.json()}
    assert "LS-RS" not in units  # inactive units are not offered
    assert units["LS"] == {
        "code": "LS",
        "name": "离石区人民政府",
        "kind": "government",
        "parent": None,
        "accepts_orders": False,
    }
    assert units["LS-BH-01"]["parent"] == "LS-BH"
    assert units["LS-BH-01"]["kind"] == "community"
    assert units["LS-ZJ"]["accepts_orders"] is True
