"""Finding 3 of the security review: a deeply nested JSON body is a 400 with the error shape, never a 500."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from govdesk.common.parsers import MAX_JSON_DEPTH, JSONTooDeepError, json_loads_bounded
from govdesk.workorders.models import WorkOrder
from govdesk.workorders.states import Status
from govdesk.workorders.tests.factories import make_order

pytestmark = pytest.mark.django_db

DEEP = "[" * 50_000 + "]" * 50_000
DEEP_OBJECT = '{"a":' * 50_000 + "1" + "}" * 50_000


def _too_deep(response: Any) -> None:
    assert response.status_code == 400, response.content[:300]
    body = response.json()
    assert body["code"] == "parse_error"
    assert str(MAX_JSON_DEPTH) in body["message"]


@pytest.mark.parametrize("payload", [DEEP, DEEP_OBJECT, "[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1)])
def test_token_endpoint_anonymous(payload: str, db: Any) -> None:
    response = Client().post(reverse("api-token"), payload, content_type="application/json")
    _too_deep(response)


def test_work_order_create_and_action(
    api_client_for: Any, people: SimpleNamespace, district: SimpleNamespace, categories: SimpleNamespace
) -> None:
    client = api_client_for(people.operator)
    _too_deep(client.post(reverse("api-workorders"), DEEP, content_type="application/json"))
    assert not WorkOrder.objects.exists()
    order = make_order(people, district, categories.facilities, Status.NEW)
    _too_deep(client.post(f"/api/v1/workorders/{order.number}/cancel/", DEEP, content_type="application/json"))
    order.refresh_from_db()
    assert order.status == Status.NEW


def test_supervision_and_dispatch_views_with_their_own_parsers(api_client_for: Any, people: SimpleNamespace) -> None:
    client = api_client_for(people.supervisor)
    _too_deep(client.post("/api/v1/supervision/escalations/1/handle/", DEEP, content_type="application/json"))
    _too_deep(api_client_for(people.operator).post("/api/v1/dispatch/suggest/", DEEP, content_type="application/json"))


def test_open311_post_with_a_json_body(db: Any) -> None:
    response = Client().post("/open311/v2/requests.json", DEEP, content_type="application/json")
    assert response.status_code == 400
    errors = response.json()
    assert errors[0]["code"] == 400 and str(MAX_JSON_DEPTH) in errors[0]["description"]


def test_bodies_at_the_limit_still_parse() -> None:
    nested = "[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH
    assert json_loads_bounded(nested) == json.loads(nested)
    with pytest.raises(JSONTooDeepError):
        json_loads_bounded("[" + nested + "]")
