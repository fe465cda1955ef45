"""Idempotency-Key on POST /api/v1/evaluations/: a retried rating answers the first 201 again instead of the 409
"already rated" the same request gets without the header."""

from __future__ import annotations

from typing import Any

import pytest

from govdesk.common.models import IdempotencyKey
from govdesk.evaluations.models import Evaluation, Rectification

from .helpers import citizen_order

pytestmark = pytest.mark.django_db
URL = "/api/v1/evaluations/"


def _post(client: Any, body: dict[str, Any], key: str | None) -> Any:
    extra: dict[str, Any] = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    return client.post(URL, body, format="json", **extra)


def test_a_retried_rating_is_answered_again_and_stored_once(people, district, categories, api_client_for) -> None:
    order = citizen_order(people, district, categories)
    client = api_client_for(people.citizen)
    body = {"case": order.number, "level": 1, "comment": "没人来修"}
    first = _post(client, body, "rate-1")
    second = _post(client, body, "rate-1")
    assert first.status_code == second.status_code == 201, first.json()
    assert second.content == first.content
    assert second["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first
    assert Evaluation.objects.count() == 1
    assert Rectification.objects.count() == 1  # the bad rating's 整改 opened once


def test_the_same_key_with_another_body_is_a_conflict(people, district, categories, api_client_for) -> None:
    order = citizen_order(people, district, categories)
    client = api_client_for(people.citizen)
    assert _post(client, {"case": order.number, "level": 5}, "rate-2").status_code == 201
    response = _post(client, {"case": order.number, "level": 4}, "rate-2")
    assert response.status_code == 409 and response.json()["code"] == "idempotency_key_reused"
    assert list(Evaluation.objects.values_list("level", flat=True)) == [5]


def test_without_the_header_the_second_post_is_the_services_own_refusal(
    people, district, categories, api_client_for
) -> None:
    order = citizen_order(people, district, categories)
    client = api_client_for(people.citizen)
    body = {"case": order.number, "level": 5}
    assert _post(client, body, None).status_code == 201
    again = _post(client, body, None)
    assert again.status_code == 409 and again.json()["code"] == "invalid_transition"
    assert Evaluation.objects.count() == 1
    assert not IdempotencyKey.objects.exists()


def test_a_malformed_key_is_refused(people, district, categories, api_client_for) -> None:
    order = citizen_order(people, district, categories)
    response = _post(api_client_for(people.citizen), {"case": order.number, "level": 5}, "x" * 256)
    assert response.status_code == 400 and response.json()["code"] == "idempotency_key_invalid"
    assert not Evaluation.objects.exists()
