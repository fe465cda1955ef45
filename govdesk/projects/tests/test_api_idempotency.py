"""Idempotency-Key on POST /api/v1/projects/: a retried registration answers the first 201 (the same 项目代码)."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest

from govdesk.common.models import IdempotencyKey
from govdesk.projects.models import Project

pytestmark = pytest.mark.django_db
URL = "/api/v1/projects/"
BODY = {"name": "滨河综合楼", "owner": "吕梁滨河置业有限公司", "investment": "3500", "location": "离石区滨河北路"}
Client = Callable[[Any], Any]


def _post(client: Any, body: dict[str, Any], key: str | None) -> Any:
    extra: dict[str, Any] = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    return client.post(URL, body, format="json", **extra)


def test_the_same_key_twice_registers_one_project(construction: SimpleNamespace, api_client_for: Client) -> None:
    client = api_client_for(construction.clerk)
    body = {**BODY, "type": construction.type.code}
    first = _post(client, body, "proj-2026-01")
    second = _post(client, body, "proj-2026-01")
    assert first.status_code == second.status_code == 201, first.json()
    assert second.content == first.content
    assert second["Location"] == first["Location"] == f"{URL}{first.json()['code']}/"
    assert second["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first
    assert Project.objects.count() == 1


def test_the_same_key_with_another_body_is_a_conflict(construction: SimpleNamespace, api_client_for: Client) -> None:
    client = api_client_for(construction.clerk)
    assert _post(client, {**BODY, "type": construction.type.code}, "k").status_code == 201
    response = _post(client, {**BODY, "type": construction.type.code, "investment": "3600"}, "k")
    assert response.status_code == 409 and response.json()["code"] == "idempotency_key_reused"
    assert Project.objects.count() == 1


def test_without_the_header_each_post_registers(construction: SimpleNamespace, api_client_for: Client) -> None:
    client = api_client_for(construction.clerk)
    body = {**BODY, "type": construction.type.code}
    first, second = _post(client, body, None), _post(client, body, None)
    assert first.status_code == second.status_code == 201
    assert first.json()["code"] != second.json()["code"]
    assert Project.objects.count() == 2
    assert not IdempotencyKey.objects.exists()


def test_a_refused_registration_keeps_no_key(construction: SimpleNamespace, api_client_for: Client) -> None:
    client = api_client_for(construction.clerk)
    assert _post(client, {**BODY, "type": "NOPE"}, "k-fix").status_code == 400
    assert not IdempotencyKey.objects.exists()
    assert _post(client, {**BODY, "type": construction.type.code}, "k-fix").status_code == 201
    assert Project.objects.count() == 1
