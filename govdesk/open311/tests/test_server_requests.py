"""The server's own checks: intake mapping, attribute datatypes, privacy of GET, batch processing, rate limits."""

from __future__ import annotations

import json
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from govdesk.catalog.models import AttributeDatatype, Category, CategoryAttribute
from govdesk.common import clock
from govdesk.open311.errors import Open311Error
from govdesk.open311.models import Submission
from govdesk.open311.parsing import attributes_from_pairs, parse_w3_datetime
from govdesk.open311.services import _Problems, api_key_create, attributes_clean, open311_submission_process
from govdesk.workorders import services as wo
from govdesk.workorders.models import Channel, WorkOrder
from govdesk.workorders.states import Status
from govdesk.workorders.tests.factories import intake, make_order

pytestmark = pytest.mark.django_db
URL = "/open311/v2/"


@pytest.fixture
def svc(categories: SimpleNamespace) -> SimpleNamespace:
    Category.objects.filter(pk__in=[categories.facilities.pk, categories.greening.pk]).update(public=True)
    rows = [
        (
            "kind",
            AttributeDatatype.SINGLEVALUELIST,
            True,
            [{"key": "lamp", "name": "路灯"}, {"key": "lid", "name": "井盖"}],
        ),
        ("count", AttributeDatatype.NUMBER, False, []),
        ("since", AttributeDatatype.DATETIME, False, []),
        ("more", AttributeDatatype.TEXT, False, []),
        ("label", AttributeDatatype.STRING, False, []),
        ("where", AttributeDatatype.MULTIVALUELIST, False, [{"key": "n", "name": "北"}, {"key": "s", "name": "南"}]),
    ]
    for order, (code, datatype, required, values) in enumerate(rows, start=1):
        CategoryAttribute.objects.create(
            category=categories.facilities,
            code=code,
            datatype=datatype,
            required=required,
            order=order,
            description=code,
            values=values,
        )
    _key, raw = api_key_create(name="测试客户端")
    categories.key = raw
    categories.client = Client()
    return categories


def post(svc: SimpleNamespace, fmt: str = "json", **data: Any) -> Any:
    body = {"api_key": svc.key, "service_code": str(svc.facilities.pk), "attribute[kind]": "lamp", **data}
    return svc.client.post(f"{URL}requests.{fmt}", {k: v for k, v in body.items() if v is not None})


def errors(response: Any) -> list[str]:
    return [e["description"] for e in json.loads(response.content)]


ANSWERS: dict[str, Any] = {
    "attribute[count]": "3",
    "attribute[where][]": ["n", "s"],
    "attribute[since]": "2026-11-01T20:00:00+08:00",
}


def test_a_post_becomes_an_open311_order_with_answers_source_and_location(svc: SimpleNamespace) -> None:
    response = post(
        svc,
        lat="37.517",
        long="111.143",
        address_id="LS-00042",
        description="滨河北路三盏路灯不亮\n已经一周",
        first_name="小明",
        last_name="王",
        phone="13812345678",
        email="wang@example.com",
        media_url="https://example.com/a.jpg",
        account_id="u-1",
        **ANSWERS,
    )
    assert response.status_code == 200, response.content
    (created,) = json.loads(response.content)
    assert set(created) == {"service_request_id", "service_notice", "account_id"}
    assert created["account_id"] == "u-1"
    order = WorkOrder.objects.get(number=created["service_request_id"])
    assert order.channel == Channel.OPEN311 and order.source == "测试客户端" and order.status == Status.NEW
    assert order.request_type.code == "help"
    assert order.attributes == {"kind": "lamp", "count": 3, "where": ["n", "s"], "since": "2026-11-01T20:00:00+08:00"}
    assert (str(order.latitude), str(order.longitude), order.address_id) == ("37.517000", "111.143000", "LS-00042")
    assert order.citizen_name == "王小明" and order.citizen_phone == "13812345678"
    assert order.title.startswith(svc.facilities.name) and "\n" not in order.title
    assert order.open311_submission.email == "wang@example.com"


def test_a_json_body_is_accepted_too(svc: SimpleNamespace) -> None:
    body = {
        "api_key": svc.key,
        "service_code": str(svc.facilities.pk),
        "address_string": "永宁路",
        "attribute": {"kind": "lid", "where": ["s"]},
    }
    response = svc.client.post(f"{URL}requests.json", json.dumps(body), content_type="application/json")
    assert response.status_code == 200, response.content
    order = WorkOrder.objects.get()
    assert order.attributes == {"kind": "lid", "where": ["s"]}


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        ({"address_string": None}, "lat"),
        ({"lat": "37.5"}, "long"),
        ({"lat": "91", "long": "111"}, "lat"),
        ({"lat": "abc", "long": "111"}, "lat"),
        ({"attribute[kind]": ""}, "attribute[kind]"),
        ({"attribute[kind]": "tree"}, "attribute[kind]"),
        ({"attribute[count]": "many"}, "attribute[count]"),
        ({"attribute[count]": "NaN"}, "attribute[count]"),
        ({"attribute[since]": "2026-11-01T20:00:00"}, "attribute[since]"),
        ({"attribute[where][]": ["n", "x"]}, "attribute[where]"),
        ({"attribute[label]": "x" * 201}, "attribute[label]"),
        ({"description": "长" * 4001}, "description"),
        ({"email": "not-an-email"}, "email"),
        ({"media_url": "javascript:alert(1)"}, "media_url"),
        ({"phone": "12345"}, "phone"),
        ({"first_name": "名" * 51}, "first_name"),
        ({"address_string": "a\x07b"}, "control"),
        ({"description": "ok\x00"}, "control"),
    ],
)
def test_bad_input_is_400_naming_the_parameter_and_writes_nothing(
    svc: SimpleNamespace, data: dict[str, Any], needle: str
) -> None:
    base = {"address_string": "永宁路"}
    response = post(svc, **{**base, **data})
    assert response.status_code == 400, response.content
    described = " ".join(errors(response))
    if needle == "control":
        assert "control" in described.lower() or "控制" in described, described
    else:
        assert needle in described, described
    assert not WorkOrder.objects.exists()


def test_all_problems_are_listed_at_once(svc: SimpleNamespace) -> None:
    response = post(svc, **{"attribute[kind]": "", "email": "x", "lat": "100", "long": "0"})
    assert response.status_code == 400
    described = errors(response)
    assert len(described) >= 3, described


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_key_and_service_errors(svc: SimpleNamespace, fmt: str) -> None:
    assert post(svc, fmt, api_key=None, address_string="x").status_code == 403
    assert post(svc, fmt, api_key="wrong-key-123", address_string="x").status_code == 403
    assert post(svc, fmt, service_code="999999", address_string="x").status_code == 404
    assert post(svc, fmt, service_code=str(svc.wages.pk), address_string="x").status_code == 404, "not public"
    assert post(svc, fmt, service_code=None, address_string="x").status_code == 400


def test_unknown_and_informational_attributes_are_ignored(svc: SimpleNamespace) -> None:
    CategoryAttribute.objects.filter(code="label").update(variable=False)
    response = post(svc, address_string="永宁路", **{"attribute[fixmystreet_id]": "42", "attribute[label]": "x"})
    assert response.status_code == 200
    assert WorkOrder.objects.get().attributes == {"kind": "lamp"}


def test_attributes_clean_keeps_numbers_as_numbers(svc: SimpleNamespace) -> None:
    problems = _Problems()
    clean = attributes_clean(svc.facilities, {"kind": ["lamp"], "count": ["2.5"], "more": ["a\nb"]}, problems)
    assert problems.items == []
    assert clean == {"kind": "lamp", "count": 2.5, "more": "a\nb"}


def test_w3_dates_need_a_time_zone() -> None:
    assert parse_w3_datetime("2010-01-01T00:00:00Z") is not None
    assert parse_w3_datetime("2010-01-01T00:00:00+08:00") is not None
    for bad in ("2010-01-01T00:00:00", "2010-01-01", "yesterday", ""):
        assert parse_w3_datetime(bad) is None, bad
    # Far-off years parse; their range is checked by the caller (validate_supported_date), which says so.
    assert parse_w3_datetime("0001-01-01T00:00:00+14:00") is not None
    assert attributes_from_pairs(
        [("attribute[a]", "1"), ("attribute[b][]", "x"), ("attribute[b][]", "y"), ("q", "")]
    ) == {
        "a": ["1"],
        "b": ["x", "y"],
    }


def test_batch_submission_registers_after_commit_and_drops_personal_data(
    svc: SimpleNamespace, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.GOVDESK = {**settings.GOVDESK, "OPEN311_BATCH_SERVICES": ["城乡建设/城市建设和市政管理"]}
    with django_capture_on_commit_callbacks(execute=True):
        response = post(svc, address_string="永宁路", phone="13812345678", email="a@example.com")
    (created,) = json.loads(response.content)
    assert "service_request_id" not in created and created["token"]
    submission = Submission.objects.get(token=created["token"])
    assert submission.order is not None and submission.pending_intake == {}
    assert submission.order.citizen_phone == "13812345678" and submission.order.source == "测试客户端"
    resolved = json.loads(svc.client.get(f"{URL}tokens/{created['token']}.json").content)
    assert resolved == [{"service_request_id": submission.order.number, "token": created["token"]}]
    # Idempotent: a retried task registers nothing twice.
    open311_submission_process(submission.pk)
    assert WorkOrder.objects.count() == 1


def test_a_batch_submission_whose_service_vanished_records_the_error(
    svc: SimpleNamespace, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.GOVDESK = {**settings.GOVDESK, "OPEN311_BATCH_SERVICES": ["*"]}
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = post(svc, address_string="永宁路")
    token = json.loads(response.content)[0]["token"]
    Category.objects.filter(pk=svc.facilities.pk).update(is_active=False)
    Submission.objects.filter(token=token).update(pending_intake={"category": 0})
    for callback in callbacks:
        callback()
    submission = Submission.objects.get(token=token)
    assert submission.order is None and submission.error and submission.processed_at is not None
    assert json.loads(svc.client.get(f"{URL}tokens/{token}.json").content)[0]["service_request_id"] is None


def test_get_shows_no_personal_data_and_hides_confidential_and_internal_orders(
    svc: SimpleNamespace, people: Any, district: Any
) -> None:
    closed = make_order(
        people,
        district,
        svc.facilities,
        Status.CLOSED,
        content="王小明反映：路灯不亮，电话13812345678，身份证11010519491231002X，邮箱wxm@example.com",
    )
    make_order(people, district, svc.facilities, Status.NEW, confidential=True, title="保密件")
    make_order(people, district, svc.wages, Status.NEW, title="内部类别")
    body = svc.client.get(f"{URL}requests.json?extensions=true").content.decode()
    data = json.loads(body)
    assert [r["service_request_id"] for r in data] == [closed.number]
    for secret in ("王小明", "13812345678", "11010519491231002X", "wxm@example.com", "0358-1234567"):
        assert secret not in body, secret
    (record,) = data
    assert record["status"] == "closed"
    assert record["status_notes"].startswith("经核实")
    assert record["agency_responsible"] == district.dept_a.name
    assert record["extended_attributes"]["channel"] == "phone"
    assert record["notes"][0]["type"] == "register"
    assert svc.client.get(f"{URL}requests/{closed.number}.xml").status_code == 200
    confidential = WorkOrder.objects.get(confidential=True)
    assert svc.client.get(f"{URL}requests/{confidential.number}.json").status_code == 404


def test_merged_orders_are_closed_duplicates_with_their_parent(
    svc: SimpleNamespace, people: Any, district: Any
) -> None:
    child = make_order(people, district, svc.facilities, Status.MERGED)
    (record,) = json.loads(svc.client.get(f"{URL}requests/{child.number}.json?extensions=true").content)
    assert record["status"] == "closed"
    assert record["extended_attributes"]["duplicate"] is True
    assert record["extended_attributes"]["parent_service_request_id"] == child.master.number  # type: ignore[union-attr]


def test_list_query_count_does_not_grow_with_orders(
    svc: SimpleNamespace, people: Any, django_assert_max_num_queries: Any
) -> None:
    for _ in range(6):
        wo.workorder_register(actor=people.operator, data=intake(svc.facilities))
    with django_assert_max_num_queries(4):
        response = svc.client.get(f"{URL}requests.json?extensions=true")
    assert len(json.loads(response.content)) == 6


def test_date_window_defaults_and_limits(svc: SimpleNamespace, people: Any) -> None:
    wo.workorder_register(actor=people.operator, data=intake(svc.facilities))
    now = clock.now()
    old_start = (now - timedelta(days=120)).isoformat()
    assert json.loads(svc.client.get(f"{URL}requests.json").content), "default: the last 90 days"
    assert json.loads(svc.client.get(f"{URL}requests.json", {"end_date": old_start}).content) == []
    too_long = {"start_date": old_start, "end_date": now.isoformat()}
    assert svc.client.get(f"{URL}requests.json", too_long).status_code == 400
    assert svc.client.get(f"{URL}requests.json", {"start_date": "2026-01-01"}).status_code == 400
    assert svc.client.get(f"{URL}requests.json", {"page_size": "1001"}).status_code == 400
    assert svc.client.get(f"{URL}requests.json", {"status": "pending"}).status_code == 400


def test_rate_limits_answer_429_in_the_error_format(svc: SimpleNamespace, settings: Any) -> None:
    cache.clear()
    settings.GOVDESK = {**settings.GOVDESK, "OPEN311_KEY_RATE": "2/h"}
    assert post(svc, address_string="永宁路").status_code == 200
    assert post(svc, address_string="永宁路").status_code == 200
    limited = post(svc, "xml", address_string="永宁路")
    assert limited.status_code == 429
    assert b"<errors><error><code>429</code>" in limited.content
    assert WorkOrder.objects.count() == 2
    settings.GOVDESK = {**settings.GOVDESK, "OPEN311_IP_RATE": "1/h"}
    cache.clear()
    assert svc.client.get(f"{URL}services.json").status_code == 200
    assert svc.client.get(f"{URL}services.json").status_code == 429
    cache.clear()


def test_xml_output_survives_text_that_xml_cannot_carry(svc: SimpleNamespace, people: Any) -> None:
    order = wo.workorder_register(actor=people.operator, data=intake(svc.facilities))
    WorkOrder.objects.filter(pk=order.pk).update(content="旧数据\x01\x0b\ufffe结束")
    response = svc.client.get(f"{URL}requests/{order.number}.xml")
    assert response.status_code == 200
    from xml.etree import ElementTree as ET

    root = ET.fromstring(response.content)  # noqa: S314 - our own output
    assert root.find("request/description").text == "旧数据结束"  # type: ignore[union-attr]


def test_open311_error_carries_status_and_descriptions() -> None:
    error = Open311Error(404, "a", "b")
    assert error.errors == [(404, "a"), (404, "b")]


@pytest.mark.parametrize("path", ["tokens/a%00b.json", "requests/1%00.xml", "services/1%00.json", "requests/%01.json"])
def test_control_characters_in_path_ids_are_404_not_a_database_error(svc: SimpleNamespace, path: str) -> None:
    response = svc.client.get(f"{URL}{path}")
    assert response.status_code == 404
