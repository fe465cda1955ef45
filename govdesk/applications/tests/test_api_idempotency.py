"""Idempotency-Key on POST /api/v1/applications/: a retry answers the first 201 again and registers nothing more."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest
from rest_framework.test import APIClient

from govdesk.applications.models import Application
from govdesk.applications.tests.factories import submission
from govdesk.audit.models import AuditEvent
from govdesk.common.models import IdempotencyKey

pytestmark = pytest.mark.django_db
Client = Callable[[Any], APIClient]
URL = "/api/v1/applications/"


def _post(client: APIClient, payload: dict[str, Any], key: str | None) -> Any:
    extra: dict[str, Any] = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    return client.post(URL, payload, format="json", **extra)


def test_the_same_key_twice_registers_one_application(hall: SimpleNamespace, api_client_for: Client) -> None:
    client = api_client_for(hall.clerk)
    payload = submission(materials=["M01"])
    first = _post(client, payload, "window-3-0001")
    audit_after_first = AuditEvent.objects.count()
    second = _post(client, payload, "window-3-0001")
    assert first.status_code == second.status_code == 201, first.json()
    assert second.content == first.content
    assert second["Location"] == first["Location"]
    assert second["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first
    assert Application.objects.count() == 1
    assert AuditEvent.objects.count() == audit_after_first


def test_the_same_key_with_another_body_is_a_conflict(hall: SimpleNamespace, api_client_for: Client) -> None:
    client = api_client_for(hall.clerk)
    assert _post(client, submission(materials=["M01"]), "k-1").status_code == 201
    response = _post(client, submission(materials=["M01", "M03"]), "k-1")
    assert response.status_code == 409
    assert response.json()["code"] == "idempotency_key_reused"
    assert Application.objects.count() == 1


def test_without_the_header_each_post_registers(hall: SimpleNamespace, api_client_for: Client) -> None:
    client = api_client_for(hall.clerk)
    first, second = _post(client, submission(), None), _post(client, submission(), None)
    assert first.status_code == second.status_code == 201
    assert first.json()["number"] != second.json()["number"]
    assert Application.objects.count() == 2
    assert not IdempotencyKey.objects.exists()


def test_a_citizens_key_is_not_the_clerks(hall: SimpleNamespace, api_client_for: Client) -> None:
    online = submission(channel="online", materials=["M02"])
    clerk = _post(api_client_for(hall.clerk), submission(), "same")
    applicant = _post(api_client_for(hall.applicant), online, "same")
    assert clerk.status_code == applicant.status_code == 201
    assert "Idempotent-Replayed" not in applicant
    assert Application.objects.count() == 2
