"""GOVDESK_DEMO_TOTP_SECRET: the demo administrators' authenticator, so a demo can log in as them."""

from __future__ import annotations

from base64 import b32encode
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from govdesk.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

SECRET = b32encode(b"demo-secret-20-bytes").decode()  # 32 base32 characters, 160 bits
PASSWORD = "Demo-Passw0rd-2026!"


def seed(monkeypatch: Any, tmp_path: Path, secret: str) -> str:
    monkeypatch.setenv("GOVDESK_DEMO_PASSWORD", PASSWORD)
    monkeypatch.setenv("GOVDESK_DEMO_TOTP_SECRET", secret)
    out = StringIO()
    call_command("seed_demo", "--orders", "0", "--password-file", str(tmp_path / "pw"), stdout=out)
    return out.getvalue()


def test_the_secret_becomes_the_administrators_confirmed_authenticator(monkeypatch: Any, tmp_path: Path) -> None:
    output = seed(monkeypatch, tmp_path, SECRET.lower())  # as people paste it: any case
    devices = TOTPDevice.objects.filter(confirmed=True).select_related("user")
    assert sorted(d.user.username for d in devices) == ["auditor", "secadmin", "sysadmin"]
    assert {d.bin_key for d in devices} == {b"demo-secret-20-bytes"}
    assert "GOVDESK_DEMO_TOTP_SECRET" in output
    assert AuditEvent.objects.filter(action="twofactor.enrol", note="GOVDESK_DEMO_TOTP_SECRET").count() == 3

    code = f"{totp(b'demo-secret-20-bytes'):06d}"
    payload = {"username": "sysadmin", "password": PASSWORD}
    assert APIClient().post("/api/v1/auth/token/", payload, format="json").json()["code"] == "otp_required"
    response = APIClient().post("/api/v1/auth/token/", {**payload, "otp": code}, format="json")
    assert response.status_code == 200
    # Business accounts keep logging in with the password alone.
    operator = APIClient().post("/api/v1/auth/token/", {"username": "operator", "password": PASSWORD}, format="json")
    assert operator.status_code == 200

    # A second run with the same secret changes nothing.
    seed(monkeypatch, tmp_path, SECRET)
    assert TOTPDevice.objects.count() == 3
    assert AuditEvent.objects.filter(action="twofactor.enrol", note="GOVDESK_DEMO_TOTP_SECRET").count() == 3


@pytest.mark.parametrize("secret", ["not base32!", "ABCDEFGH"])
def test_a_secret_an_app_could_not_use_is_refused(monkeypatch: Any, tmp_path: Path, secret: str) -> None:
    with pytest.raises(CommandError, match="GOVDESK_DEMO_TOTP_SECRET"):
        seed(monkeypatch, tmp_path, secret)
    from govdesk.org.models import User

    assert not User.objects.exists()  # refused before anything was written
