"""End to end: a request from an Open311 app reaches the dispatcher, is handled like any order, and the app sees it
closed with the unit's reply."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.test import Client
from rest_framework.test import APIClient

from govdesk.workorders import services as wo

from . import spec
from .conftest import Open311

pytestmark = pytest.mark.django_db

REPLY = "经现场核实，滨河北路3号井盖已于今日更换，道路恢复通行。"


def test_an_open311_request_goes_through_the_hotline_and_comes_back_closed(
    o311: Open311, people: SimpleNamespace, district: SimpleNamespace, services: SimpleNamespace
) -> None:
    number = o311.create(
        services.facilities,
        fmt="xml",
        description="滨河北路3号井盖丢失，很危险",
        address_string="离石区滨河北路3号",
        lat="37.519",
        long="111.134",
    )

    # The dispatcher sees it in the queue page and through the API, marked as an Open311 order.
    dispatcher = Client()
    dispatcher.force_login(people.dispatcher)
    queue = dispatcher.get("/dispatch/")
    assert queue.status_code == 200
    assert number in queue.content.decode()
    api = APIClient()
    api.force_authenticate(people.dispatcher)
    detail = api.get(f"/api/v1/workorders/{number}/")
    assert detail.status_code == 200
    assert detail.json()["channel"] == "open311"
    listed = api.get("/api/v1/workorders/", {"status": "new", "channel": "open311"})
    assert number in [row["number"] for row in listed.json()["results"]]

    for fmt in spec.FORMATS:
        record = o311.request(number, fmt)
        assert record["status"] == "open"
        assert spec.text(record["agency_responsible"]) == ""

    wo.workorder_dispatch(order=number, actor=people.dispatcher, unit=district.dept_a)
    assert o311.request(number)["agency_responsible"] == district.dept_a.name
    wo.workorder_sign(order=number, actor=people.handler_a)
    wo.workorder_reply(order=number, actor=people.handler_a, reply=REPLY)
    replied = o311.request(number)
    assert replied["status"] == "open", "replied is not closed until the return visit"
    wo.workorder_visit(order=number, actor=people.operator, resolved=True, satisfaction="satisfied")

    for fmt in spec.FORMATS:
        record = o311.request(number, fmt)
        spec.check_request_record(record, fmt)
        assert record["status"] == "closed"
        assert REPLY in spec.text(record["status_notes"])
        assert record["agency_responsible"] == district.dept_a.name
        listed_closed = o311.requests(fmt, status="closed")
        assert number in [spec.text(r["service_request_id"]) for r in listed_closed]
        timeline = o311.request(number, fmt, extensions="true")
        assert REPLY in " ".join(spec.text(n["description"]) for n in timeline["notes"])
