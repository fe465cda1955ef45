"""Contract: GET requests (each parameter, the 90-day window, the 1,000 cap, paging, extensions) and GET request."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
import time_machine

from govdesk.workorders import services as wo
from govdesk.workorders.models import WorkOrder
from govdesk.workorders.states import Status
from govdesk.workorders.tests.factories import intake, make_order

from . import spec
from .conftest import Open311

pytestmark = pytest.mark.django_db

NOW = datetime.fromisoformat("2026-11-27T10:00:00+08:00")


@pytest.fixture
def frozen() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


def register_at(moment: datetime, people: SimpleNamespace, category: Any, **overrides: Any) -> WorkOrder:
    with time_machine.travel(moment, tick=False):
        return wo.workorder_register(actor=people.operator, data=intake(category, **overrides))


def w3(moment: datetime) -> str:
    return moment.isoformat()


def ids(records: list[dict[str, Any]]) -> list[str]:
    return [spec.text(r["service_request_id"]) for r in records]


@pytest.fixture
def history(frozen: None, people: SimpleNamespace, district: SimpleNamespace, services: SimpleNamespace) -> Any:
    """Orders of every age and status. Internal-category and confidential ones must never be published."""
    old = register_at(NOW - timedelta(days=91), people, services.facilities)
    edge = register_at(NOW - timedelta(days=89), people, services.greening)
    new = make_order(people, district, services.facilities, Status.NEW)
    handling = make_order(people, district, services.facilities, Status.HANDLING)
    closed = make_order(people, district, services.greening, Status.CLOSED)
    merged = make_order(people, district, services.facilities, Status.MERGED)
    internal = make_order(people, district, services.wages, Status.NEW)
    confidential = make_order(people, district, services.facilities, Status.NEW, confidential=True)
    return SimpleNamespace(
        old=old,
        edge=edge,
        new=new,
        handling=handling,
        closed=closed,
        merged=merged,
        master=merged.master,
        internal=internal,
        confidential=confidential,
    )


@pytest.mark.parametrize("fmt", spec.FORMATS)
def test_default_is_the_last_90_days_of_public_requests(o311: Open311, history: Any, fmt: str) -> None:
    records = o311.requests(fmt)
    for record in records:
        spec.check_request_record(record, fmt)
    expected = {history.edge, history.new, history.handling, history.closed, history.merged, history.master}
    assert set(ids(records)) == {o.number for o in expected}


@pytest.mark.parametrize("fmt", spec.FORMATS)
def test_the_spec_example_query_start_end_and_status(o311: Open311, history: Any, fmt: str) -> None:
    """requests.xml?start_date=…&end_date=…&status=open, with dates around our history."""
    params = {"start_date": w3(NOW - timedelta(days=30)), "end_date": w3(NOW + timedelta(hours=1)), "status": "open"}
    open_ones = {history.new, history.handling, history.master}
    # A merged duplicate is closed: the spec's own example is `closed` with "Duplicate request."
    closed_ones = {history.closed, history.merged}
    assert set(ids(o311.requests(fmt, **params))) == {o.number for o in open_ones}
    assert set(ids(o311.requests(fmt, **{**params, "status": "closed"}))) == {o.number for o in closed_ones}
    both = set(ids(o311.requests(fmt, **{**params, "status": "open,closed"})))
    assert both == {o.number for o in open_ones | closed_ones}


def test_dates_select_on_requested_datetime_and_accept_any_time_zone(o311: Open311, history: Any) -> None:
    start = NOW - timedelta(days=100)
    records = o311.requests(start_date=w3(start), end_date=w3(NOW - timedelta(days=85)))
    assert set(ids(records)) == {history.old.number, history.edge.number}
    utc = o311.requests(
        start_date=start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        end_date=(NOW - timedelta(days=85)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    )
    assert ids(utc) == ids(records)
    only_start = o311.requests(start_date=w3(NOW - timedelta(days=1)))
    assert history.old.number not in ids(only_start)
    assert history.new.number in ids(only_start)


def test_service_code_filters_and_takes_a_comma_list(o311: Open311, history: Any, services: SimpleNamespace) -> None:
    facilities, greening = o311.code(services.facilities), o311.code(services.greening)
    only = o311.requests(service_code=greening)
    assert set(ids(only)) == {history.edge.number, history.closed.number}
    assert {spec.text(r["service_code"]) for r in only} == {greening}
    both = o311.requests(service_code=f"{facilities},{greening}")
    assert set(ids(both)) == set(ids(o311.requests()))


def test_service_request_id_list_overrides_every_other_argument(o311: Open311, history: Any) -> None:
    wanted = f"{history.old.number},{history.closed.number}"
    records = o311.requests(service_request_id=wanted, status="open", start_date=w3(NOW - timedelta(days=1)))
    assert sorted(ids(records)) == sorted([history.old.number, history.closed.number])


def test_service_request_id_list_never_reveals_unpublished_orders(o311: Open311, history: Any) -> None:
    wanted = ",".join([history.new.number, history.internal.number, history.confidential.number])
    assert ids(o311.requests(service_request_id=wanted)) == [history.new.number]


@pytest.mark.parametrize("fmt", spec.FORMATS)
def test_get_request_maps_the_order_onto_every_spec_field(
    o311: Open311, history: Any, district: SimpleNamespace, services: SimpleNamespace, fmt: str
) -> None:
    order = WorkOrder.objects.get(pk=history.handling.pk)
    record = o311.request(order.number, fmt)
    spec.check_request_record(record, fmt)
    assert spec.text(record["service_request_id"]) == order.number
    assert record["status"] == "open"
    assert spec.text(record["service_code"]) == o311.code(services.facilities)
    assert services.facilities.name in record["service_name"]
    assert record["description"] == order.content
    assert record["address"] == order.address
    assert record["agency_responsible"] == district.dept_a.name
    assert datetime.fromisoformat(record["requested_datetime"].replace("Z", "+00:00")) == order.created_at
    assert datetime.fromisoformat(record["updated_datetime"].replace("Z", "+00:00")) == order.updated_at
    assert order.due_at is not None
    assert datetime.fromisoformat(record["expected_datetime"].replace("Z", "+00:00")) == order.due_at
    assert "extended_attributes" not in record and "notes" not in record, "extensions only on request"


@pytest.mark.parametrize("fmt", spec.FORMATS)
def test_a_closed_request_says_closed_with_the_reply_and_the_close_time(o311: Open311, history: Any, fmt: str) -> None:
    order = WorkOrder.objects.get(pk=history.closed.pk)
    record = o311.request(order.number, fmt)
    assert record["status"] == "closed"
    # The factory's reply ends with a contact phone number, which the server may mask; the rest is the reply.
    assert order.reply.startswith("经核实，已于当日修复路灯。")
    assert "经核实，已于当日修复路灯。" in spec.text(record["status_notes"])
    assert datetime.fromisoformat(record["updated_datetime"].replace("Z", "+00:00")) == order.closed_at


@pytest.mark.parametrize("fmt", spec.FORMATS)
def test_unknown_and_unpublished_requests_are_404(o311: Open311, history: Any, fmt: str) -> None:
    for number in ("NOPE", "20991231000001", history.internal.number, history.confidential.number):
        spec.check_errors(o311.get(f"requests/{number}", fmt), fmt, 404)


@pytest.mark.parametrize("fmt", spec.FORMATS)
@pytest.mark.parametrize(
    "params",
    [
        {"start_date": "2026-11-01"},  # no time
        {"start_date": "2026-11-01T00:00:00"},  # no time zone
        {"start_date": "yesterday"},
        {"end_date": "2026-13-01T00:00:00Z"},
        {"start_date": "2026-11-20T00:00:00Z", "end_date": "2026-11-10T00:00:00Z"},  # end before start
        {"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-11-01T00:00:00Z"},  # more than 90 days
        {"status": "pending"},
        {"status": "open,done"},
        {"page": "0"},
        {"page": "-1"},
        {"page": "first"},
        {"page_size": "0"},
        {"page_size": "-5"},
        {"page_size": "many"},
        {"page_size": "100000"},
        {"extensions": "maybe"},
        {"start_date": "2026-11-01T00:00:00Z\x00"},
    ],
)
def test_each_bad_query_parameter_is_400(o311: Open311, history: Any, fmt: str, params: dict[str, str]) -> None:
    spec.check_errors(o311.get("requests", fmt, **params), fmt, 400)


def test_empty_parameters_are_the_same_as_absent_ones(o311: Open311, history: Any) -> None:
    empty = {"service_code": "", "start_date": "", "end_date": "", "status": "", "service_request_id": ""}
    assert ids(o311.requests(**empty)) == ids(o311.requests())


def test_paging_walks_the_same_list_in_pieces(o311: Open311, history: Any) -> None:
    everything = ids(o311.requests())
    assert len(everything) == 6
    pages = [ids(o311.requests(page=str(n), page_size="4")) for n in (1, 2, 3)]
    assert [len(p) for p in pages] == [4, 2, 0]
    assert pages[0] + pages[1] == everything
    assert ids(o311.requests(page_size="4")) == pages[0], "page defaults to 1"


def test_default_cap_is_1000_requests(
    o311: Open311, frozen: None, people: SimpleNamespace, district: SimpleNamespace, services: SimpleNamespace
) -> None:
    template = make_order(people, district, services.greening, Status.NEW)
    clone = WorkOrder.objects.get(pk=template.pk)
    for n in range(1000):  # copies of a real order, saved directly: 1,001 orders in about a second
        clone.pk = clone.id = None
        clone.case_ptr_id = None  # type: ignore[assignment]
        clone._state.adding = True
        clone.number = f"C{n:07d}"
        clone.save()
    assert WorkOrder.objects.count() == 1001
    assert len(o311.requests()) == 1000
    assert len(o311.requests(page="2", page_size="100")) == 100


@pytest.mark.parametrize("fmt", spec.FORMATS)
def test_extensions_add_the_public_timeline_channel_and_parent(
    o311: Open311, history: Any, people: SimpleNamespace, fmt: str
) -> None:
    wo.workorder_supervise(order=history.handling.number, actor=people.supervisor, note="内部督办：请加快进度")
    record = o311.request(history.handling.number, fmt, extensions="true")
    spec.check_request_record(record, fmt, extensions=True)
    assert record["extended_attributes"]["channel"] == "phone"
    descriptions = " ".join(spec.text(n["description"]) for n in record["notes"])
    assert "内部督办" not in descriptions, "internal notes stay internal"
    assert len(record["notes"]) >= 3, "registered, dispatched, signed"
    times = [n["datetime"] for n in record["notes"]]
    assert times == sorted(times)

    merged = o311.request(history.merged.number, fmt, extensions="true")
    spec.check_request_record(merged, fmt, extensions=True)
    assert spec.text(merged["extended_attributes"]["parent_service_request_id"]) == history.master.number
    assert merged["status"] == "closed"
    assert spec.text(record["extended_attributes"].get("parent_service_request_id")) == ""
    listed = o311.requests(fmt, extensions="true")
    for listed_record in listed:
        spec.check_request_record(listed_record, fmt, extensions=True)
