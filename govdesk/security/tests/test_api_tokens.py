"""Finding 5: API tokens are issued per login, stored hashed, expire (idle and absolute), and are revoked by
logout, by the account layer's credentials-changed signal and when the account is inactive."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
import time_machine
from rest_framework.test import APIClient

from govdesk.audit.models import AuditEvent
from govdesk.common import clock
from govdesk.org.signals import account_credentials_changed
from govdesk.org.tests.factories import TEST_PASSWORD
from govdesk.security.models import ApiToken
from govdesk.security.selectors import api_token_key_hash

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token/"
LOGOUT_URL = "/api/v1/auth/logout/"


def obtain(username: str, **extra: Any) -> Any:
    return APIClient().post(TOKEN_URL, {"username": username, "password": TEST_PASSWORD, **extra}, format="json")


def client_with(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def test_each_login_issues_a_new_token_stored_only_as_a_hash(people: SimpleNamespace) -> None:
    first = obtain("handler_a")
    assert first.status_code == 200
    body = first.json()
    assert set(body) == {"token", "expires_at"}
    second = obtain("handler_a").json()
    assert second["token"] != body["token"]

    rows = list(ApiToken.objects.filter(user=people.handler_a).order_by("pk"))
    assert len(rows) == 2
    assert rows[0].key_hash == api_token_key_hash(body["token"])
    assert rows[0].prefix == body["token"][:8]
    # The key itself is in no column.
    assert all(body["token"] not in str(value) for value in vars(rows[0]).values())
    assert rows[0].expires_at - rows[0].created_at == timedelta(hours=12)

    me = client_with(body["token"]).get("/api/v1/me/")
    assert me.status_code == 200
    assert me.json() == {"username": "handler_a", "display_name": "handler_a", "roles": ["handler"], "unit": "LS-ZJ"}
    assert AuditEvent.objects.filter(action="api_token.issue", actor=people.handler_a).count() == 2


def test_the_token_expires_after_30_idle_minutes_and_use_keeps_it_alive(people: SimpleNamespace) -> None:
    start = clock.now()
    with time_machine.travel(start, tick=False) as traveller:
        token = obtain("operator").json()["token"]
        client = client_with(token)
        for _step in range(4):  # used every 20 minutes: alive after 80 minutes
            traveller.shift(timedelta(minutes=20))
            assert client.get("/api/v1/me/").status_code == 200
        traveller.shift(timedelta(minutes=31))
        response = client.get("/api/v1/me/")
    assert response.status_code == 401
    assert "30" in response.json()["message"]


def test_last_used_is_written_at_most_once_a_minute(people: SimpleNamespace, django_assert_num_queries: Any) -> None:
    start = clock.now()
    with time_machine.travel(start, tick=False) as traveller:
        client = client_with(obtain("operator").json()["token"])
        traveller.shift(timedelta(seconds=30))
        client.get("/api/v1/units/")
        # token + user + unit in one query, then the view's own; no UPDATE within the minute.
        with django_assert_num_queries(2):
            client.get("/api/v1/units/")
        traveller.shift(timedelta(seconds=31))
        with django_assert_num_queries(3):  # the one UPDATE of last_used_at
            client.get("/api/v1/units/")
        row = ApiToken.objects.get()
        assert row.last_used_at == clock.now()


def test_the_token_expires_after_12_hours_however_active(people: SimpleNamespace) -> None:
    start = clock.now()
    with time_machine.travel(start, tick=False) as traveller:
        client = client_with(obtain("operator").json()["token"])
        for _step in range(12 * 4 - 1):
            traveller.shift(timedelta(minutes=15))
            assert client.get("/api/v1/me/").status_code == 200
        traveller.shift(timedelta(minutes=15))
        response = client.get("/api/v1/me/")
    assert response.status_code == 401
    assert "12" in response.json()["message"]


def test_lifetimes_come_from_settings(people: SimpleNamespace, settings: Any) -> None:
    settings.GOVDESK = {**settings.GOVDESK, "API_TOKEN_IDLE_MINUTES": 5, "API_TOKEN_MAX_HOURS": 1}
    start = clock.now()
    with time_machine.travel(start, tick=False) as traveller:
        body = obtain("operator").json()
        client = client_with(body["token"])
        traveller.shift(timedelta(minutes=6))
        assert client.get("/api/v1/me/").status_code == 401
    assert ApiToken.objects.get().expires_at == start + timedelta(hours=1)


def test_logout_revokes_the_token_used_and_only_that_one(people: SimpleNamespace) -> None:
    kept = obtain("operator").json()["token"]
    token = obtain("operator").json()["token"]
    client = client_with(token)
    assert client.post(LOGOUT_URL).status_code == 204
    response = client.get("/api/v1/me/")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert "revoked" in response.json()["message"] or "吊销" in response.json()["message"]
    assert client_with(kept).get("/api/v1/me/").status_code == 200
    row = ApiToken.objects.get(key_hash=api_token_key_hash(token))
    assert row.revoked_reason == "logout"
    assert AuditEvent.objects.filter(action="api_token.revoke", object_id=str(row.pk)).exists()
    # Logging out needs a token: anonymous is 401.
    assert APIClient().post(LOGOUT_URL).status_code == 401


@pytest.mark.parametrize("reason", ["password_changed", "deactivated", "locked_out", "roles_changed"])
def test_every_token_is_revoked_when_the_account_credentials_change(people: SimpleNamespace, reason: str) -> None:
    tokens = [obtain("handler_a").json()["token"] for _i in range(2)]
    other = obtain("handler_b").json()["token"]
    account_credentials_changed.send(sender=None, user=people.handler_a, reason=reason, acting_user=people.secadmin)
    for token in tokens:
        assert client_with(token).get("/api/v1/me/").status_code == 401
    assert client_with(other).get("/api/v1/me/").status_code == 200
    assert set(ApiToken.objects.filter(user=people.handler_a).values_list("revoked_reason", flat=True)) == {reason}
    event = AuditEvent.objects.get(action="api_token.revoke_all")
    assert event.actor == people.secadmin
    assert event.object_id == "handler_a"
    assert "tokens=2" in event.note


def test_a_token_of_an_inactive_account_is_refused_and_revoked(people: SimpleNamespace) -> None:
    token = obtain("handler_a").json()["token"]
    # Deactivated behind the services' back (a raw UPDATE): the token still dies.
    type(people.handler_a).objects.filter(pk=people.handler_a.pk).update(is_active=False)
    response = client_with(token).get("/api/v1/me/")
    assert response.status_code == 401
    assert ApiToken.objects.get().revoked_reason == "inactive"


def test_inactive_account_gets_no_token(people: SimpleNamespace) -> None:
    people.handler_a.is_active = False
    people.handler_a.save()
    assert obtain("handler_a").status_code == 400
    assert not ApiToken.objects.exists()


def test_wrong_password_is_a_400_with_a_readable_message(people: SimpleNamespace) -> None:
    response = APIClient().post(TOKEN_URL, {"username": "operator", "password": "wrong-password"}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid_credentials"
    assert "password" in body["message"].lower() or "密码" in body["message"]
    assert not ApiToken.objects.exists()


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"username": "operator"},
        {"username": ["operator"], "password": "x"},
        {"username": "a\x00b", "password": "x"},
        {"username": "operator", "password": TEST_PASSWORD, "otp": ["123456"]},
        {"username": "operator", "password": TEST_PASSWORD, "otp": "1" * 40},
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
    assert not ApiToken.objects.filter(user=people.dispatcher).exists()


def test_a_bad_token_is_401(db: Any) -> None:
    response = client_with("not-a-real-token").get("/api/v1/me/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_the_schema_documents_otp_expiry_and_logout(db: Any) -> None:
    schema = APIClient().get("/api/schema/", {"format": "json"}).json()
    assert "otp" in schema["components"]["schemas"]["TokenInput"]["properties"]
    assert "expires_at" in schema["components"]["schemas"]["TokenOutput"]["properties"]
    assert "/api/v1/auth/logout/" in schema["paths"]
    assert "401" in schema["paths"]["/api/v1/auth/token/"]["post"]["responses"]
