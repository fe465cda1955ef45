"""Contract: jurisdiction_id, batch tokens (GET tokens) and rate limits (429), in both formats."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from django.test import Client

from govdesk.workorders.models import WorkOrder

from . import spec
from .conftest import Open311, key_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def govdesk_settings(settings: Any) -> Any:
    """Change GOVDESK[...] entries for one test."""

    def change(**entries: Any) -> None:
        settings.GOVDESK = {**settings.GOVDESK, **entries}

    return change


@pytest.mark.parametrize("fmt", spec.FORMATS)
def test_single_jurisdiction_the_spec_sample_value_works_and_others_are_404(
    o311: Open311, services: SimpleNamespace, govdesk_settings: Any, fmt: str
) -> None:
    govdesk_settings(OPEN311_JURISDICTIONS=["city.gov"])
    code = o311.code(services.facilities)
    number = o311.create(services.facilities, jurisdiction_id="city.gov")
    for resource in ["services", f"services/{code}", "requests", f"requests/{number}"]:
        assert o311.get(resource, fmt, jurisdiction_id="city.gov").status_code == 200, resource
        assert o311.get(resource, fmt).status_code == 200, f"{resource}: optional with one jurisdiction"
        spec.check_errors(o311.get(resource, fmt, jurisdiction_id="elsewhere.gov"), fmt, 404)
    body = {
        "service_code": code,
        "address_string": "滨河北路",
        "jurisdiction_id": "elsewhere.gov",
        "attribute[WHISHETN]": "123",
    }
    spec.check_errors(o311.post(fmt, body), fmt, 404)
    assert WorkOrder.objects.count() == 1


@pytest.mark.parametrize("fmt", spec.FORMATS)
def test_several_jurisdictions_make_it_required(
    o311: Open311, services: SimpleNamespace, govdesk_settings: Any, fmt: str
) -> None:
    code = o311.code(services.facilities)
    govdesk_settings(OPEN311_JURISDICTIONS=["lishi.gov.cn", "lvliang.gov.cn"])
    for resource in ["services", f"services/{code}", "requests"]:
        spec.check_errors(o311.get(resource, fmt), fmt, 400)
        spec.check_errors(o311.get(resource, fmt, jurisdiction_id=""), fmt, 400)
        spec.check_errors(o311.get(resource, fmt, jurisdiction_id="city.gov"), fmt, 404)
        assert o311.get(resource, fmt, jurisdiction_id="lvliang.gov.cn").status_code == 200
    body = {"service_code": code, "address_string": "滨河北路", "attribute[WHISHETN]": "123"}
    spec.check_errors(o311.post(fmt, body), fmt, 400)
    assert o311.post(fmt, {**body, "jurisdiction_id": "lishi.gov.cn"}).status_code in (200, 201)
    discovery = o311.get("discovery", fmt)
    assert discovery.status_code == 200, "discovery routes clients before they know a jurisdiction"


@pytest.mark.parametrize("fmt", spec.FORMATS)
def test_a_batch_service_answers_a_token_which_resolves_to_the_request(
    o311: Open311, services: SimpleNamespace, govdesk_settings: Any, django_capture_on_commit_callbacks: Any, fmt: str
) -> None:
    govdesk_settings(OPEN311_BATCH_SERVICES=[services.greening.path])
    listed = {spec.text(s["service_code"]): s["type"] for s in o311.services(fmt)}
    assert listed[o311.code(services.greening)] == "batch"
    assert listed[o311.code(services.facilities)] == "realtime"

    code = o311.code(services.greening)
    with django_capture_on_commit_callbacks() as after_commit:
        response = o311.post(fmt, {"service_code": code, "address_string": "永宁路"})
    assert response.status_code in (200, 201), response.content[:300]
    (created,) = spec.parse(response, fmt, "service_requests")
    assert set(created) <= spec.POST_RESPONSE_FIELDS
    assert "service_request_id" not in created or spec.text(created["service_request_id"]) == "", "token xor id"
    token = spec.text(created["token"])
    assert token
    assert not WorkOrder.objects.exists(), "registered in the background, after the POST"
    pending = o311.get(f"tokens/{token}", fmt)
    assert pending.status_code == 200
    (waiting,) = spec.parse(pending, fmt, "service_requests")
    assert spec.text(waiting["token"]) == token
    assert spec.text(waiting.get("service_request_id")) == "", "no id until the order exists"

    for callback in after_commit:
        callback()
    resolved = o311.get(f"tokens/{token}", fmt)
    assert resolved.status_code == 200
    (record,) = spec.parse(resolved, fmt, "service_requests")
    assert set(record) == spec.TOKEN_FIELDS
    assert spec.text(record["token"]) == token
    number = spec.text(record["service_request_id"])
    assert WorkOrder.objects.get(number=number).address == "永宁路"
    assert spec.text(o311.request(number, fmt)["service_request_id"]) == number


@pytest.mark.parametrize("fmt", spec.FORMATS)
def test_unknown_token_is_404(o311: Open311, fmt: str) -> None:
    for token in ("12345", "no-such-token", "x" * 300):
        spec.check_errors(o311.get(f"tokens/{token}", fmt), fmt, 404)


@pytest.mark.parametrize("fmt", spec.FORMATS)
def test_posting_too_fast_with_one_key_is_429(
    o311: Open311, services: SimpleNamespace, govdesk_settings: Any, fmt: str
) -> None:
    code = o311.code(services.greening)
    govdesk_settings(OPEN311_KEY_RATE="3/h")
    for n in range(3):
        assert o311.post(fmt, {"service_code": code, "address_string": f"永宁路{n}号"}).status_code in (200, 201)
    errors = spec.check_errors(o311.post(fmt, {"service_code": code, "address_string": "永宁路9号"}), fmt, 429)
    assert spec.text(errors[0]["code"]) == "429"
    assert WorkOrder.objects.count() == 3
    # Another client's key is not slowed down by this one.
    other = key_create("Open311 Mobile")
    body = {"service_code": code, "address_string": "永宁路", "api_key": other}
    assert o311.client.post(spec.url("requests", fmt), body).status_code in (200, 201)


@pytest.mark.parametrize("fmt", spec.FORMATS)
def test_reading_too_fast_from_one_address_is_429(
    o311: Open311, services: SimpleNamespace, govdesk_settings: Any, fmt: str
) -> None:
    govdesk_settings(OPEN311_IP_RATE="5/h")
    client = Client(REMOTE_ADDR="203.0.113.7")
    answers = [client.get(spec.url("requests", fmt)).status_code for _ in range(5)]
    assert answers == [200] * 5
    spec.check_errors(client.get(spec.url("requests", fmt)), fmt, 429)
    assert Client(REMOTE_ADDR="203.0.113.8").get(spec.url("requests", fmt)).status_code == 200
