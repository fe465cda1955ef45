"""Contract: POST requests (the spec's example request replayed), API keys, every bad parameter, rate limits."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from govdesk.workorders.models import Channel, WorkOrder
from govdesk.workorders.states import Status

from . import spec
from .conftest import VALID_ANSWERS, Open311, key_create

pytestmark = pytest.mark.django_db

SINKHOLE = "A large sinkhole is destroying the street"
MEDIA_URL = "http://farm3.static.flickr.com/2002/2212426634_5ed477a060.jpg"


def spec_example(code: str) -> dict[str, Any]:
    """The spec's example POST body (service code ours; phone a valid mobile number: the example's is 9 digits)."""
    return {
        "service_code": code,
        "lat": "37.76524078",
        "long": "-122.4212043",
        "address_string": "1234 5th street",
        "email": "smit333@sfgov.edu",
        "device_id": "tt222111",
        "account_id": "123456",
        "first_name": "john",
        "last_name": "smith",
        "phone": "13912345678",
        "description": SINKHOLE,
        "media_url": MEDIA_URL,
        "attribute[WHISPAWN]": "123456",
        "attribute[WHISDORN]": "COISL001",
        "attribute[WHISHETN]": "124",
    }


def created_order(response: Any, fmt: str) -> WorkOrder:
    assert response.status_code in (200, 201), response.content[:500]
    created = spec.parse(response, fmt, "service_requests")
    assert len(created) == 1
    record = created[0]
    assert set(record) <= spec.POST_RESPONSE_FIELDS, set(record)
    assert "token" not in record, "a realtime service answers the id, never a token"
    return WorkOrder.objects.get(number=spec.text(record["service_request_id"]))


@pytest.mark.parametrize("fmt", spec.FORMATS)
def test_the_spec_example_post_creates_an_order_through_the_open311_channel(
    o311: Open311, services: SimpleNamespace, fmt: str
) -> None:
    response = o311.post(fmt, spec_example(o311.code(services.facilities)))
    order = created_order(response, fmt)
    assert order.status == Status.NEW
    assert order.channel == Channel.OPEN311
    assert order.source == "FixMyStreet 离石", "the API key's owner is recorded"
    assert order.category_id == services.facilities.pk
    assert order.content == SINKHOLE
    assert order.address == "1234 5th street"
    assert float(order.latitude or 0) == pytest.approx(37.765241)
    assert float(order.longitude or 0) == pytest.approx(-122.421204)
    assert order.attributes["WHISPAWN"] == "123456"
    assert order.attributes["WHISDORN"] == "COISL001"
    assert order.attributes["WHISHETN"] == "124"
    assert order.citizen_phone == "13912345678"
    record = o311.request(order.number, fmt)
    assert record["description"] == SINKHOLE
    assert record["media_url"] == MEDIA_URL


@pytest.mark.parametrize("fmt", spec.FORMATS)
def test_the_spec_examples_own_phone_number_is_accepted_and_kept_off_the_order(
    o311: Open311, services: SimpleNamespace, fmt: str
) -> None:
    from govdesk.open311.models import Submission

    response = o311.post(fmt, {**spec_example(o311.code(services.facilities)), "phone": "111111111"})
    order = created_order(response, fmt)
    assert order.citizen_phone == "", "not a mainland number: the order's callback field stays empty"
    assert Submission.objects.get(order=order).phone == "111111111"
    assert b"111111111" not in o311.client.get(f"/open311/v2/requests/{order.number}.{fmt}").content


@pytest.mark.parametrize("fmt", spec.FORMATS)
def test_a_method_the_resource_does_not_have_is_a_400_error_list(o311: Open311, fmt: str) -> None:
    response = o311.client.delete(f"/open311/v2/services.{fmt}")
    assert response.status_code == 400
    assert "GET" in response["Allow"]
    errors = spec.parse(response, fmt, "errors")
    assert errors and spec.text(errors[0]["code"]) == "400"


@pytest.mark.parametrize("fmt", spec.FORMATS)
@pytest.mark.parametrize(
    "location",
    [{"lat": "37.5", "long": "111.1"}, {"address_string": "滨河北路与永宁路交叉口"}, {"address_id": "LS-000123"}],
)
def test_any_one_location_is_enough(
    o311: Open311, services: SimpleNamespace, fmt: str, location: dict[str, str]
) -> None:
    body = {"service_code": o311.code(services.greening), "description": "树倒了", **location}
    order = created_order(o311.post(fmt, body), fmt)
    if "address_id" in location:
        assert order.address_id == "LS-000123"
        assert o311.request(order.number, fmt)["address_id"] == "LS-000123"


def test_description_is_optional(o311: Open311, services: SimpleNamespace) -> None:
    body = {"service_code": o311.code(services.greening), "lat": "37.5", "long": "111.1"}
    order = created_order(o311.post("json", body), "json")
    assert order.content.strip(), "the order still says what it is about"


def test_all_six_datatypes_and_a_multivaluelist_are_accepted(o311: Open311, services: SimpleNamespace) -> None:
    body = {
        "service_code": o311.code(services.facilities),
        "address_string": "滨河北路",
        "attribute[WHISHETN]": "123",
        "attribute[WHISPAWN]": "A-1",
        "attribute[lamps]": "3",
        "attribute[since]": "2026-11-20T19:00:00+08:00",
        "attribute[details]": "第一行\n第二行",
        "attribute[kinds][]": ["lamp", "wire"],
    }
    order = created_order(o311.post("json", body), "json")
    assert order.attributes["WHISHETN"] == "123"
    assert sorted(order.attributes["kinds"]) == ["lamp", "wire"]
    assert str(order.attributes["lamps"]) in ("3", "3.0")
    assert "第二行" in order.attributes["details"]


@pytest.mark.parametrize("fmt", spec.FORMATS)
def test_missing_api_key_is_403(o311: Open311, services: SimpleNamespace, fmt: str) -> None:
    body = {"service_code": o311.code(services.greening), "address_string": "滨河北路"}
    spec.check_errors(o311.post(fmt, body, with_key=False), fmt, 403)
    spec.check_errors(o311.post(fmt, {**body, "api_key": ""}, with_key=False), fmt, 403)
    assert not WorkOrder.objects.exists()


@pytest.mark.parametrize("fmt", spec.FORMATS)
def test_invalid_api_key_is_403(o311: Open311, services: SimpleNamespace, fmt: str) -> None:
    body = {"service_code": o311.code(services.greening), "address_string": "滨河北路", "api_key": "xyz"}
    spec.check_errors(o311.post(fmt, body, with_key=False), fmt, 403)
    assert not WorkOrder.objects.exists()


def test_each_key_is_recorded_as_the_source(o311: Open311, services: SimpleNamespace) -> None:
    other = key_create("Mark-a-Spot")
    assert other != o311.api_key
    body = {"service_code": o311.code(services.greening), "address_string": "滨河北路", "api_key": other}
    order = created_order(o311.client.post(spec.url("requests", "json"), body), "json")
    assert order.source == "Mark-a-Spot"


LONG = "长" * 4001


@pytest.mark.parametrize("fmt", spec.FORMATS)
@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"service_code": None}, "service_code missing"),
        ({"service_code": ""}, "service_code empty"),
        ({"address_string": None}, "no location at all"),
        ({"address_string": None, "lat": "37.5"}, "lat without long"),
        ({"address_string": None, "long": "111.1"}, "long without lat"),
        ({"address_string": None, "lat": "north", "long": "111.1"}, "lat not a number"),
        ({"address_string": None, "lat": "91", "long": "111.1"}, "lat out of range"),
        ({"address_string": None, "lat": "37.5", "long": "181"}, "long out of range"),
        ({"address_string": None, "lat": "NaN", "long": "Infinity"}, "not finite"),
        ({"description": LONG}, "description over 4,000 characters"),
        ({"attribute[WHISHETN]": None}, "required attribute missing"),
        ({"attribute[WHISHETN]": ""}, "required attribute empty"),
        ({"attribute[WHISHETN]": "999"}, "singlevaluelist key unknown"),
        ({"attribute[kinds][]": ["lamp", "rocket"]}, "multivaluelist key unknown"),
        ({"attribute[lamps]": "three"}, "number not a number"),
        ({"attribute[since]": "yesterday"}, "datetime not ISO 8601"),
        ({"attribute[since]": "2026-11-20T19:00:00"}, "datetime without a time zone"),
        ({"attribute[WHISPAWN]": "一\n二"}, "string with a line break"),
        ({"description": "坏\x0b字符"}, "control character in description"),
        ({"address_string": "滨河\x1f北路"}, "control character in address"),
        ({"attribute[details]": "退格\x08"}, "control character in an attribute"),
        ({"first_name": "响铃\x07"}, "control character in a name"),
        ({"email": "not-an-email"}, "email malformed"),
        ({"media_url": "javascript:alert(1)"}, "media_url not a web address"),
    ],
)
def test_each_bad_parameter_is_400_and_writes_nothing(
    o311: Open311, services: SimpleNamespace, fmt: str, change: dict[str, Any], why: str
) -> None:
    body: dict[str, Any] = {
        "service_code": o311.code(services.facilities),
        "address_string": "滨河北路",
        "description": "路灯不亮",
        **VALID_ANSWERS,
    }
    for field, value in change.items():
        if value is None:
            body.pop(field, None)
        else:
            body[field] = value
    spec.check_errors(o311.post(fmt, body), fmt, 400)
    assert not WorkOrder.objects.exists(), why


@pytest.mark.parametrize("fmt", spec.FORMATS)
def test_unknown_or_internal_service_code_is_404(o311: Open311, services: SimpleNamespace, fmt: str) -> None:
    for code in ("NOPE", str(services.wages.pk), services.wages.path):
        body = {"service_code": code, "address_string": "滨河北路"}
        spec.check_errors(o311.post(fmt, body), fmt, 404)
    assert not WorkOrder.objects.exists()


def test_a_form_body_in_another_charset_declaration_is_still_utf8(o311: Open311, services: SimpleNamespace) -> None:
    """The spec's content type for POST: application/x-www-form-urlencoded; charset=utf-8."""
    from urllib.parse import urlencode

    body = urlencode(
        {"api_key": o311.api_key, "service_code": o311.code(services.greening), "address_string": "永宁路"}
    )
    response = o311.client.post(
        spec.url("requests", "json"), body, content_type="application/x-www-form-urlencoded; charset=utf-8"
    )
    order = created_order(response, "json")
    assert order.address == "永宁路"
