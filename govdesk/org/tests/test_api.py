"""API contract: token authentication (with the axes lockout), /me/ and /units/."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from govdesk.org.tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token/"


def test_token_is_issued_for_good_credentials_and_works_as_a_header(people: SimpleNamespace) -> None:
    client = APIClient()
    response = client.post(TOKEN_URL, {"username": "handler_a", "password": TEST_PASSWORD}, format="json")
    assert response.status_code == 200
    token = response.json()["token"]
    assert token == Token.objects.get(user=people.handler_a).key

    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    me = client.get("/api/v1/me/")
    assert me.status_code == 200
    assert me.json() == {"username": "handler_a", "display_name": "handler_a", "roles": ["handler"], "unit": "LS-ZJ"}

    # Asking again gives the same token, so several clients of one account do not log each other out.
    again = APIClient().post(TOKEN_URL, {"username": "handler_a", "password": TEST_PASSWORD}, format="json")
    assert again.json()["token"] == token


def test_wrong_password_is_a_400_with_a_readable_message(people: SimpleNamespace) -> None:
    response = APIClient().post(TOKEN_URL, {"username": "operator", "password": "wrong-password"}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid_credentials"
    assert "password" in body["message"].lower() or "密码" in body["message"]
    assert not Token.objects.exists()


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"username": "operator"},
        {"username": ["operator"], "password": "x"},
        {"username": "a\x00b", "password": "x"},
    ],
)
def test_malformed_token_requests_are_400(people: SimpleNamespace, payload: dict[str, Any]) -> None:
    response = APIClient().post(TOKEN_URL, payload, format="json")
    assert response.status_code == 400
    assert set(response.json()) >= {"code", "message"}


def test_five_failures_lock_the_account_even_for_the_right_password(people: SimpleNamespace) -> None:
    client = APIClient()
    statuses = [
        client.post(TOKEN_URL, {"username": "dispatcher", "password": f"bad-{i}"}, format="json").status_code
        for i in range(5)
    ]
    assert statuses[:4] == [400, 400, 400, 400]
    assert statuses[4] == 429  # the fifth failure is the one that locks
    locked = client.post(TOKEN_URL, {"username": "dispatcher", "password": TEST_PASSWORD}, format="json")
    assert locked.status_code == 429
    assert locked.json()["code"] == "locked"
    assert not Token.objects.filter(user=people.dispatcher).exists()
    # Another account is not affected: the lock is per username.
    other = client.post(TOKEN_URL, {"username": "operator", "password": TEST_PASSWORD}, format="json")
    assert other.status_code == 200


def test_four_failures_then_success_resets_the_counter(people: SimpleNamespace) -> None:
    client = APIClient()
    for i in range(4):
        assert (
            client.post(TOKEN_URL, {"username": "operator", "password": f"bad-{i}"}, format="json").status_code == 400
        )
    assert client.post(TOKEN_URL, {"username": "operator", "password": TEST_PASSWORD}, format="json").status_code == 200
    for i in range(4):
        assert (
            client.post(TOKEN_URL, {"username": "operator", "password": f"bad-{i}"}, format="json").status_code == 400
        )


def test_inactive_account_gets_no_token(people: SimpleNamespace) -> None:
    people.auditor.is_active = False
    people.auditor.save()
    response = APIClient().post(TOKEN_URL, {"username": "auditor", "password": TEST_PASSWORD}, format="json")
    assert response.status_code == 400


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
