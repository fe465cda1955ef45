"""Account events in the audit trail (等保2.0 8.1.4.3): logins on the web and the API, logouts, failed logins (the
username tried and the address, never the password)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from govdesk.audit.models import AuditEvent
from govdesk.audit.services import audit_chain_verify
from govdesk.org.tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db
ADDRESS = "192.0.2.15"


def test_web_login_logout_and_failure_are_recorded(people: Any) -> None:
    client = Client(REMOTE_ADDR=ADDRESS)
    client.post(reverse("web:login"), {"username": "operator", "password": "Secret-Guess-99"})
    client.post(reverse("web:login"), {"username": "nobody-here", "password": "Secret-Guess-98"})
    assert client.post(reverse("web:login"), {"username": "operator", "password": TEST_PASSWORD}).status_code == 302
    client.post(reverse("web:logout"))

    failed = AuditEvent.objects.filter(action="auth.login_failed").order_by("id")
    assert [(e.object_id, e.success, e.ip_address) for e in failed] == [
        ("operator", False, ADDRESS),
        ("nobody-here", False, ADDRESS),
    ]
    login = AuditEvent.objects.get(action="auth.login")
    assert (login.actor, login.ip_address, login.success) == (people.operator, ADDRESS, True)
    logout = AuditEvent.objects.get(action="auth.logout")
    assert (logout.actor, logout.ip_address) == (people.operator, ADDRESS)
    for event in AuditEvent.objects.all():
        assert "Secret-Guess" not in event.note and TEST_PASSWORD not in event.note
    assert audit_chain_verify().ok


def test_api_token_login_and_failure_are_recorded(people: Any) -> None:
    client = APIClient(REMOTE_ADDR=ADDRESS)
    assert (
        client.post(
            "/api/v1/auth/token/", {"username": "citizen", "password": "Nope-Nope-123"}, format="json"
        ).status_code
        == 400
    )
    assert (
        client.post(
            "/api/v1/auth/token/", {"username": "citizen", "password": TEST_PASSWORD}, format="json"
        ).status_code
        == 200
    )
    failed = AuditEvent.objects.get(action="auth.login_failed")
    assert (failed.object_id, failed.ip_address, "/api/v1/auth/token/" in failed.note) == ("citizen", ADDRESS, True)
    login = AuditEvent.objects.get(action="auth.login")
    assert login.actor == people.citizen and "/api/v1/auth/token/" in login.note
    assert "Nope-Nope" not in failed.note
