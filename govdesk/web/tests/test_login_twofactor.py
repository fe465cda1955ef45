"""Two-factor login in the browser (等保2.0 8.1.4.1 d): password, then TOTP or a recovery code; enrolment where the
role requires it; a half-way session is unusable; the security administrator's audited reset."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from base64 import b32encode
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from govdesk.audit.models import AuditEvent
from govdesk.common import clock
from govdesk.common.errors import PermissionDenied, ValidationFailed
from govdesk.org.tests.factories import TEST_PASSWORD, login_verified
from govdesk.security.services import twofactor_reset
from govdesk.security.tests.helpers import code_for, enrol

pytestmark = pytest.mark.django_db

LOGIN = "/login/"
VERIFY = "/login/verify/"
ENROL = "/login/enrol/"


def password_step(client: Client, username: str, next_url: str = "") -> Any:
    data = {"username": username, "password": TEST_PASSWORD}
    if next_url:
        data["next"] = next_url
    return client.post(LOGIN, data)


def logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def test_an_administrator_without_a_device_is_sent_to_enrolment_not_logged_in(people: Any) -> None:
    client = Client()
    response = password_step(client, "sysadmin")
    assert response.status_code == 302
    assert response["Location"] == ENROL
    assert not logged_in(client)
    assert client.get("/admin/").status_code == 302  # the admin's own login, which sends here again
    assert client.get("/admin/login/")["Location"].startswith(LOGIN)


def test_enrolment_shows_a_qr_code_and_the_secret_then_ten_recovery_codes_once(people: Any) -> None:
    client = Client()
    password_step(client, "secadmin", next_url="/admin/")
    page = client.get(ENROL)
    assert page.status_code == 200
    body = page.content.decode()
    assert "<svg" in body and 'name="otp"' in body
    secret = re.search(r'id="totp-secret"[^>]*>([A-Z2-7]+)<', body).group(1)  # type: ignore[union-attr]
    device = TOTPDevice.objects.get(user=people.secadmin, confirmed=False)
    assert secret == b32encode(device.bin_key).decode()
    # Reloading keeps the same secret (the person may have scanned it already).
    assert secret in client.get(ENROL).content.decode()

    wrong = client.post(ENROL, {"otp": "000000" if code_for(device) != "000000" else "111111"})
    assert wrong.status_code == 400
    assert not logged_in(client)

    with time_machine.travel(clock.now() + timedelta(seconds=5), tick=False):
        done = client.post(ENROL, {"otp": code_for(device)})
    assert done.status_code == 200
    codes = re.findall(r"<li><code>([a-z2-7]{8})</code></li>", done.content.decode())
    assert len(codes) == 10
    assert set(StaticToken.objects.filter(device__user=people.secadmin).values_list("token", flat=True)) == set(codes)
    assert logged_in(client)
    assert client.get("/admin/").status_code == 200
    assert 'href="/admin/"' in done.content.decode()
    assert AuditEvent.objects.filter(action="twofactor.enrol", actor=people.secadmin, success=True).exists()
    assert AuditEvent.objects.filter(action="twofactor.enrol", actor=people.secadmin, success=False).exists()
    # Enrolled now: the enrolment page cannot add another device.
    assert client.get(ENROL)["Location"] == reverse("web:home")


def test_an_enrolled_administrator_logs_in_with_password_and_code(people: Any) -> None:
    device = enrol(people.auditor)
    client = Client()
    assert password_step(client, "auditor", next_url="/admin/")["Location"] == VERIFY
    assert not logged_in(client)
    assert 'autocomplete="one-time-code"' in client.get(VERIFY).content.decode()
    response = client.post(VERIFY, {"otp": code_for(device)})
    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    assert logged_in(client)
    assert client.get("/admin/").status_code == 200
    assert AuditEvent.objects.filter(action="twofactor.verify", actor=people.auditor, success=True).exists()


def test_wrong_codes_count_as_failed_logins_and_lock_the_account(people: Any) -> None:
    device = enrol(people.sysadmin)
    client = Client()
    password_step(client, "sysadmin")
    wrong = "000000" if code_for(device) != "000000" else "111111"
    start = clock.now()
    with time_machine.travel(start, tick=False) as traveller:
        statuses = []
        for _i in range(5):
            traveller.shift(timedelta(seconds=20))  # past django-otp's own growing delay after a wrong code
            statuses.append(client.post(VERIFY, {"otp": wrong}).status_code)
        assert statuses == [400, 400, 400, 400, 429]
        traveller.shift(timedelta(seconds=20))
        # Locked: the right password and the right code do not get in either.
        assert password_step(client, "sysadmin").status_code == 429
        assert client.post(VERIFY, {"otp": code_for(device)}).status_code in (302, 429)
    assert not logged_in(client)


def test_a_recovery_code_logs_in_once(people: Any) -> None:
    enrol(people.secadmin)
    static = StaticDevice.objects.create(user=people.secadmin, name="recovery", confirmed=True)
    StaticToken.objects.create(device=static, token="abcd2345")
    client = Client()
    password_step(client, "secadmin")
    assert client.post(VERIFY, {"otp": "abcd 2345"}).status_code == 302
    assert logged_in(client)
    assert not StaticToken.objects.exists()
    assert AuditEvent.objects.filter(action="twofactor.recovery_code_used", actor=people.secadmin).exists()
    other = Client()
    password_step(other, "secadmin")
    with time_machine.travel(clock.now() + timedelta(minutes=1), tick=False):
        assert other.post(VERIFY, {"otp": "abcd2345"}).status_code == 400


def test_the_password_step_is_remembered_for_five_minutes_only(people: Any) -> None:
    device = enrol(people.auditor)
    client = Client()
    start = clock.now()
    with time_machine.travel(start, tick=False) as traveller:
        password_step(client, "auditor")
        traveller.shift(timedelta(minutes=6))
        response = client.post(VERIFY, {"otp": code_for(device)})
    assert response["Location"] == LOGIN
    assert not logged_in(client)


def test_accounts_without_a_second_factor_log_in_with_the_password_alone(people: Any) -> None:
    client = Client()
    response = password_step(client, "operator")
    assert response.status_code == 302 and response["Location"] == "/"
    assert logged_in(client)


def test_a_business_account_that_enrolled_anyway_needs_its_code(people: Any) -> None:
    device = enrol(people.handler_a)
    client = Client()
    assert password_step(client, "handler_a")["Location"] == VERIFY
    assert not logged_in(client)
    assert client.post(VERIFY, {"otp": code_for(device)}).status_code == 302
    assert logged_in(client)


def test_the_roles_setting_decides_who_must_enrol(people: Any, settings: Any) -> None:
    settings.GOVDESK = {**settings.GOVDESK, "TWO_FACTOR_ROLES": ["operator"]}
    client = Client()
    assert password_step(client, "operator")["Location"] == ENROL
    assert not logged_in(client)
    assert password_step(Client(), "dispatcher")["Location"] == "/"
    # The administrators stay required whatever the setting says.
    assert password_step(Client(), "auditor")["Location"] == ENROL


def test_the_roles_setting_is_read_from_govdesk_2fa_roles() -> None:
    root = Path(__file__).resolve().parents[3]
    env = {**os.environ, "GOVDESK_2FA_ROLES": "operator, dispatcher"}
    script = "from govdesk.settings import base; print(','.join(base.GOVDESK['TWO_FACTOR_ROLES']))"
    command = [sys.executable, "-c", script]
    result = subprocess.run(command, env=env, cwd=root, capture_output=True, text=True, check=False)  # noqa: S603
    assert result.stdout.strip() == "operator,dispatcher", result.stderr


@pytest.mark.parametrize("role", ["sysadmin", "secadmin", "auditor"])
def test_a_half_way_session_of_an_administrator_is_unusable(people: Any, role: str) -> None:
    client = Client()
    client.force_login(getattr(people, role))  # a password alone, as an attacker who has it
    assert client.get("/admin/")["Location"].startswith(ENROL)
    assert client.get("/")["Location"].startswith(ENROL)
    api = client.get("/api/v1/me/")
    assert api.status_code == 401
    assert api.json()["code"] == "otp_required"
    enrol(getattr(people, role))
    assert client.get("/admin/")["Location"] == f"{VERIFY}?next=%2Fadmin%2F"
    # Logging out still works.
    assert client.post("/logout/").status_code == 302


def test_a_verified_session_and_business_sessions_are_not_stopped(people: Any) -> None:
    client = Client()
    login_verified(client, people.secadmin)
    assert client.get("/admin/").status_code == 200
    assert client.get("/api/v1/me/").status_code == 200
    business = Client()
    business.force_login(people.operator)
    assert business.get("/api/v1/me/").status_code == 200


def test_the_security_administrator_resets_a_lost_second_factor(people: Any) -> None:
    enrol(people.auditor)
    StaticDevice.objects.create(user=people.auditor, name="recovery", confirmed=True)
    from govdesk.org.services import role_groups_sync

    role_groups_sync()
    admin = Client()
    login_verified(admin, people.secadmin)
    listing = admin.get("/admin/security/twofactoraccount/")
    assert listing.status_code == 200
    response = admin.post(
        "/admin/security/twofactoraccount/",
        {"action": "reset_two_factor", "_selected_action": [people.auditor.pk]},
    )
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=people.auditor).exists()
    assert not StaticDevice.objects.filter(user=people.auditor).exists()
    event = AuditEvent.objects.get(action="twofactor.reset")
    assert event.actor == people.secadmin and event.object_id == "auditor"
    # At the next login the auditor enrols again.
    assert password_step(Client(), "auditor")["Location"] == ENROL


def test_only_a_security_administrator_resets_and_never_their_own(people: Any) -> None:
    from govdesk.org.services import role_groups_sync

    role_groups_sync()
    enrol(people.auditor)
    with pytest.raises(PermissionDenied):
        twofactor_reset(people.auditor, people.sysadmin)
    with pytest.raises(ValidationFailed):
        twofactor_reset(people.secadmin, people.secadmin)
    assert TOTPDevice.objects.filter(user=people.auditor).exists()
    sysadmin = Client()
    login_verified(sysadmin, people.sysadmin)
    assert sysadmin.get("/admin/security/twofactoraccount/").status_code == 403
