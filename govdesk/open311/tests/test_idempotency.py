"""Idempotency-Key on POST requests.(json|xml): a client's retry answers the first answer again, in the requested
format, and creates no second order; keys belong to the API key; errors in the spec's error list."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import pytest
from django.utils import translation

from govdesk.common.models import IdempotencyKey
from govdesk.open311.models import ApiKey
from govdesk.workorders.models import WorkOrder

from . import spec
from .conftest import VALID_ANSWERS, Open311, key_create

pytestmark = pytest.mark.django_db


def _body(o311: Open311, services: SimpleNamespace, **extra: Any) -> dict[str, Any]:
    return {
        "api_key": o311.api_key,
        "service_code": o311.code(services.facilities),
        "address_string": "离石区滨河北路18号",
        "description": "井盖丢失，夜里很危险",
        **VALID_ANSWERS,
        **extra,
    }


def _post(o311: Open311, fmt: str, body: dict[str, Any], key: str | None) -> Any:
    extra: dict[str, Any] = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    return o311.client.post(spec.url("requests", fmt), body, **extra)


@pytest.mark.parametrize("fmt", spec.FORMATS)
def test_the_same_key_twice_creates_one_order_and_replays_the_document(
    o311: Open311, services: SimpleNamespace, fmt: str
) -> None:
    before = WorkOrder.objects.count()
    body = _body(o311, services)
    first = _post(o311, fmt, body, "fms-report-81")
    second = _post(o311, fmt, body, "fms-report-81")
    assert first.status_code == second.status_code == 200
    assert second.content == first.content
    assert second["Content-Type"] == first["Content-Type"]
    assert second["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first
    created = spec.parse(first, fmt, "service_requests")
    assert WorkOrder.objects.count() == before + 1
    assert WorkOrder.objects.filter(number=spec.text(created[0]["service_request_id"])).exists()
    api_key = ApiKey.objects.get()
    assert IdempotencyKey.objects.get().scope == f"open311:{api_key.pk}"


def test_a_json_body_retry_is_replayed(o311: Open311, services: SimpleNamespace) -> None:
    body = _body(o311, services)
    url = spec.url("requests", "json")
    first = o311.client.post(url, json.dumps(body), content_type="application/json", HTTP_IDEMPOTENCY_KEY="j-1")
    reordered = json.dumps(dict(reversed(list(body.items()))), ensure_ascii=True, indent=1)
    second = o311.client.post(url, reordered, content_type="application/json", HTTP_IDEMPOTENCY_KEY="j-1")
    assert first.status_code == 200, first.content
    assert second.content == first.content and second["Idempotent-Replayed"] == "true"
    assert WorkOrder.objects.count() == 1


@pytest.mark.parametrize("fmt", spec.FORMATS)
def test_the_same_key_with_another_body_is_a_409_error_list(o311: Open311, services: SimpleNamespace, fmt: str) -> None:
    assert _post(o311, fmt, _body(o311, services), "k-1").status_code == 200
    before = WorkOrder.objects.count()
    with translation.override("en"):
        response = _post(o311, fmt, _body(o311, services, description="另一处井盖"), "k-1")
    errors = spec.check_errors(response, fmt, 409)
    assert "Idempotency-Key" in spec.text(errors[0]["description"])
    assert WorkOrder.objects.count() == before


def test_without_the_header_each_post_creates_an_order(o311: Open311, services: SimpleNamespace) -> None:
    body = _body(o311, services)
    first, second = _post(o311, "json", body, None), _post(o311, "json", body, None)
    assert first.status_code == second.status_code == 200
    assert first.content != second.content
    assert WorkOrder.objects.count() == 2
    assert not IdempotencyKey.objects.exists()


@pytest.mark.parametrize("fmt", spec.FORMATS)
def test_a_malformed_key_is_a_400_error_list(o311: Open311, services: SimpleNamespace, fmt: str) -> None:
    with translation.override("en"):
        response = _post(o311, fmt, _body(o311, services), "has space")
    errors = spec.check_errors(response, fmt, 400)
    assert "Idempotency-Key" in spec.text(errors[0]["description"])
    assert not WorkOrder.objects.exists()


def test_keys_belong_to_the_api_key(o311: Open311, services: SimpleNamespace) -> None:
    other_key = key_create("另一个客户端")
    mine = _post(o311, "json", _body(o311, services), "report-1")
    theirs = _post(o311, "json", _body(o311, services, api_key=other_key), "report-1")
    assert mine.status_code == theirs.status_code == 200
    assert "Idempotent-Replayed" not in theirs
    assert WorkOrder.objects.count() == 2


def test_a_refused_post_keeps_no_key(o311: Open311, services: SimpleNamespace) -> None:
    refused = _post(o311, "json", _body(o311, services, service_code="999999"), "k-fix")
    assert refused.status_code in (400, 404)
    assert not IdempotencyKey.objects.exists()
    assert _post(o311, "json", _body(o311, services), "k-fix").status_code == 200
    assert WorkOrder.objects.count() == 1
