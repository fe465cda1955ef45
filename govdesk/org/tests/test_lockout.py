"""Finding 6 of issue 10: the lockout is per username *and* address, one address is throttled across usernames, and
the security administrator can unlock (audited). Before: five failures from anywhere locked the username everywhere
for 30 minutes, and one address could try any number of usernames."""

from __future__ import annotations

from typing import Any

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from govdesk.audit.models import AuditEvent
from govdesk.audit.services import audit_chain_verify
from govdesk.org import services
from govdesk.org.signals import account_credentials_changed
from govdesk.org.tests.factories import TEST_PASSWORD, login_verified

pytestmark = pytest.mark.django_db
ATTACKER, OWNER = "203.0.113.66", "198.51.100.7"
TOKEN_URL = "/api/v1/auth/token/"


def web_login(address: str, username: str, password: str) -> Any:
    return Client(REMOTE_ADDR=address).post(reverse("web:login"), {"username": username, "password": password})


def fail_five_times(address: str, username: str) -> list[int]:
    return [web_login(address, username, f"wrong-{i}").status_code for i in range(5)]


def logged_in(response: Any) -> bool:
    return response.status_code == 302 and "_auth_user_id" in response.wsgi_request.session


def test_a_lock_from_one_address_leaves_the_owner_in_from_another(people: Any) -> None:
    assert fail_five_times(ATTACKER, "operator")[-1] == 429
    locked = web_login(ATTACKER, "operator", TEST_PASSWORD)
    assert locked.status_code == 429
    assert "登录失败次数过多" in locked.content.decode() and "此地址" in locked.content.decode()
    assert logged_in(web_login(OWNER, "operator", TEST_PASSWORD))
    # The API counts the same way: locked from the attacker's address, open from the owner's.
    api_locked = APIClient(REMOTE_ADDR=ATTACKER).post(
        TOKEN_URL, {"username": "operator", "password": TEST_PASSWORD}, format="json"
    )
    assert api_locked.status_code == 429 and api_locked.json()["code"] == "locked"
    api_owner = APIClient(REMOTE_ADDR=OWNER).post(
        TOKEN_URL, {"username": "operator", "password": TEST_PASSWORD}, format="json"
    )
    assert api_owner.status_code == 200


def test_the_lockout_is_audited_and_announced_once(people: Any) -> None:
    seen: list[tuple[str, str]] = []

    def listener(sender: Any, user: Any, reason: str, **kwargs: Any) -> None:
        seen.append((user.username, reason))

    account_credentials_changed.connect(listener, dispatch_uid="test.lockout")
    try:
        fail_five_times(ATTACKER, "dispatcher")
        web_login(ATTACKER, "dispatcher", TEST_PASSWORD)  # refused during the lock: not a new lockout
    finally:
        account_credentials_changed.disconnect(dispatch_uid="test.lockout")
    assert seen == [("dispatcher", "locked_out")]
    lockout = AuditEvent.objects.get(action="account.lockout")
    assert (lockout.object_id, lockout.ip_address, lockout.success) == ("dispatcher", ATTACKER, False)
    failures = AuditEvent.objects.filter(action="auth.login_failed", object_id="dispatcher")
    assert failures.count() == 6 and all(not e.success and e.ip_address == ATTACKER for e in failures)
    assert "refused=account" in failures.order_by("-id").first().note  # type: ignore[union-attr]
    assert audit_chain_verify().ok


@pytest.fixture
def low_address_limit(settings: Any) -> int:
    settings.GOVDESK = {**settings.GOVDESK, "LOGIN_ADDRESS_FAILURE_LIMIT": 6, "LOGIN_ADDRESS_WINDOW_MINUTES": 15}
    return 6


def test_password_spraying_from_one_address_is_throttled(people: Any, low_address_limit: int) -> None:
    usernames = ["operator", "dispatcher", "supervisor", "leader", "handler_a", "handler_b"]
    statuses = [web_login(ATTACKER, name, "Spring2026!").status_code for name in usernames]
    assert statuses == [200] * low_address_limit  # each username failed once: no account lock
    # Now every login from that address is refused, even a right password, on the web and on the API.
    refused = web_login(ATTACKER, "street_handler", TEST_PASSWORD)
    assert refused.status_code == 429
    assert "此地址登录失败次数过多" in refused.content.decode()
    api = APIClient(REMOTE_ADDR=ATTACKER).post(
        TOKEN_URL, {"username": "street_handler", "password": TEST_PASSWORD}, format="json"
    )
    assert api.status_code == 429 and "此地址" in api.json()["message"]
    # Other addresses are not affected.
    assert logged_in(web_login(OWNER, "street_handler", TEST_PASSWORD))
    assert AuditEvent.objects.filter(action="auth.login_failed", note__contains="refused=address").exists()


def test_the_security_administrator_unlocks_and_it_is_audited(people: Any) -> None:
    services.role_groups_sync()
    fail_five_times(ATTACKER, "handler_a")
    fail_five_times(OWNER, "handler_a")
    assert web_login(OWNER, "handler_a", TEST_PASSWORD).status_code == 429
    admin = Client()
    login_verified(admin, people.secadmin)
    assert admin.get("/admin/axes/accessattempt/").status_code == 200
    # Lift the lock of one address only, from the lockout list.
    attempt = AccessAttempt.objects.get(username="handler_a", ip_address=OWNER)
    response = admin.post("/admin/axes/accessattempt/", {"action": "unlock_selected", "_selected_action": [attempt.pk]})
    assert response.status_code == 302
    assert logged_in(web_login(OWNER, "handler_a", TEST_PASSWORD))
    assert web_login(ATTACKER, "handler_a", TEST_PASSWORD).status_code == 429
    # Lift every lock of the account, from the account list.
    response = admin.post("/admin/org/user/", {"action": "unlock_logins", "_selected_action": [people.handler_a.pk]})
    assert response.status_code == 302
    assert not AccessAttempt.objects.filter(username="handler_a").exists()
    unlocks = AuditEvent.objects.filter(action="account.unlock", object_id="handler_a", actor=people.secadmin)
    assert [e.note.split(";")[0] for e in unlocks.order_by("id")] == [f"address={OWNER}", "address=all"]
    assert audit_chain_verify().ok


def test_raw_deletion_of_lockout_records_is_not_offered(people: Any) -> None:
    services.role_groups_sync()
    fail_five_times(ATTACKER, "handler_b")
    attempt = AccessAttempt.objects.get(username="handler_b")
    admin = Client()
    login_verified(admin, people.secadmin)
    assert admin.post(f"/admin/axes/accessattempt/{attempt.pk}/delete/", {"post": "yes"}).status_code == 403
    assert AccessAttempt.objects.filter(pk=attempt.pk).exists()
    # Other administrators cannot see or lift lockouts at all.
    sysadmin = Client()
    login_verified(sysadmin, people.sysadmin)
    assert sysadmin.get("/admin/axes/accessattempt/").status_code == 403


def test_lockout_settings_lock_username_with_address() -> None:
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]


def test_behind_the_proxy_each_client_counts_by_its_forwarded_address(people: Any, settings: Any) -> None:
    """Without this, behind the TLS proxy every login comes from 127.0.0.1: one spraying client would lock out the
    whole district, and a username lock would again be a lock from everywhere."""
    settings.GOVDESK = {**settings.GOVDESK, "BEHIND_PROXY": True}
    proxy = "127.0.0.1"

    def login(forwarded: str, password: str) -> Any:
        return Client(REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR=forwarded).post(
            reverse("web:login"), {"username": "leader", "password": password}
        )

    assert [login(ATTACKER, f"wrong-{i}").status_code for i in range(5)][-1] == 429
    assert logged_in(login(OWNER, TEST_PASSWORD))
    assert AuditEvent.objects.get(action="account.lockout").ip_address == ATTACKER
    # Off (the default), the header is ignored: a client cannot spread its failures over forged addresses.
    settings.GOVDESK = {**settings.GOVDESK, "BEHIND_PROXY": False}
    forged = [f"192.0.2.{i}" for i in range(1, 6)]
    assert [login(address, "wrong").status_code for address in forged][-1] == 429
