"""API contract: GET /api/v1/workorders/ — visibility, every filter, pagination, bad filters, query count."""

from __future__ import annotations

from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from govdesk.calendar.core import SHANGHAI
from govdesk.cases.models import Case
from govdesk.cases.services import case_deadlines_sweep
from govdesk.common import clock
from govdesk.org.models import User
from govdesk.workorders.models import WorkOrder
from govdesk.workorders.states import Status
from govdesk.workorders.tests.api_support import url
from govdesk.workorders.tests.factories import make_order

pytestmark = pytest.mark.django_db


def numbers(response: Any) -> set[str]:
    assert response.status_code == 200, response.json()
    return {row["number"] for row in response.json()["results"]}


@pytest.fixture
def orders(people: SimpleNamespace, district: SimpleNamespace, categories: SimpleNamespace) -> SimpleNamespace:
    """A handful of orders on different days, units, categories, types and channels."""
    with time_machine.travel(datetime(2026, 9, 1, 10, 0, tzinfo=SHANGHAI), tick=False):
        new = make_order(
            people, district, categories.facilities, Status.NEW, title="井盖缺失", citizen_user=people.citizen
        )
    with time_machine.travel(datetime(2026, 9, 8, 10, 0, tzinfo=SHANGHAI), tick=False):
        handling = make_order(people, district, categories.housing, Status.HANDLING, co_units=[district.street])
        wages = make_order(
            people,
            district,
            categories.wages,
            Status.DISPATCHED,
            unit=district.dept_b,
            handler=people.handler_b,
            request_type="help",
            channel="web",
            urgency="urgent",
            citizen_phone="13900001111",
        )
    with time_machine.travel(datetime(2026, 9, 15, 10, 0, tzinfo=SHANGHAI), tick=False):
        closed = make_order(people, district, categories.bus, Status.CLOSED, request_type="suggestion")
    return SimpleNamespace(new=new, handling=handling, wages=wages, closed=closed)


def test_each_role_lists_only_what_it_may_see(
    people: SimpleNamespace, orders: SimpleNamespace, api_client_for: Any
) -> None:
    everything = {orders.new.number, orders.handling.number, orders.wages.number, orders.closed.number}
    for centre in (people.operator, people.dispatcher, people.supervisor):
        assert numbers(api_client_for(centre).get(url())) == everything
    assert numbers(api_client_for(people.handler_a).get(url())) == {orders.handling.number, orders.closed.number}
    assert numbers(api_client_for(people.handler_b).get(url())) == {orders.wages.number}
    # The street is a co-unit of `handling`; the street admin also sees what is below the street.
    assert numbers(api_client_for(people.street_handler).get(url())) == {orders.handling.number}
    assert numbers(api_client_for(people.street_admin).get(url())) == {orders.handling.number}
    assert numbers(api_client_for(people.community_handler).get(url())) == set()
    assert numbers(api_client_for(people.citizen).get(url())) == {orders.new.number}
    assert numbers(api_client_for(people.other_citizen).get(url())) == set()
    assert numbers(api_client_for(people.sysadmin).get(url())) == set()


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"status": "new"}, {"new"}),
        ({"status": "new,closed"}, {"new", "closed"}),
        ({"status": " handling , dispatched "}, {"handling", "wages"}),
        ({"unit": "LS-ZJ"}, {"handling", "closed"}),
        ({"unit": "LS-BH"}, {"handling"}),
        ({"unit": "LS-RS"}, {"wages"}),
        ({"category": "城乡建设"}, {"new", "handling"}),
        ({"category": "城乡建设/住房保障"}, {"handling"}),
        ({"type": "help"}, {"wages"}),
        ({"type": "suggestion"}, {"closed"}),
        ({"channel": "web"}, {"wages"}),
        ({"channel": "phone"}, {"new", "handling", "closed"}),
        ({"urgency": "urgent"}, {"wages"}),
        ({"created_from": "2026-09-08"}, {"handling", "wages", "closed"}),
        ({"created_to": "2026-09-08"}, {"new", "handling", "wages"}),
        ({"created_from": "2026-09-02", "created_to": "2026-09-14"}, {"handling", "wages"}),
        ({"text": "井盖"}, {"new"}),
        ({"text": "滨河北路"}, {"new", "handling", "wages", "closed"}),
        ({"status": "handling", "unit": "LS-ZJ", "category": "城乡建设"}, {"handling"}),
        ({"overdue": "0"}, {"new", "handling", "wages", "closed"}),
        # The statistics' drill-downs: the primary unit (not co-units), its subtree or itself, and the street.
        ({"primary_unit": "LS-ZJ"}, {"handling", "closed"}),
        ({"primary_unit": "LS-ZJ", "primary_unit_only": "true"}, {"handling", "closed"}),
        ({"primary_unit": "LS-BH"}, set()),
        ({"primary_unit": "none"}, {"new"}),
        ({"street": "LS-BH"}, {"new", "handling", "wages", "closed"}),
    ],
)
def test_filters(
    people: SimpleNamespace, orders: SimpleNamespace, api_client_for: Any, params: dict[str, str], expected: set[str]
) -> None:
    got = numbers(api_client_for(people.supervisor).get(url(), params))
    assert got == {getattr(orders, name).number for name in expected}


def test_category_filter_by_id_and_text_by_number(
    people: SimpleNamespace, orders: SimpleNamespace, categories: SimpleNamespace, api_client_for: Any
) -> None:
    client = api_client_for(people.dispatcher)
    assert numbers(client.get(url(), {"category": categories.wages.pk})) == {orders.wages.number}
    assert numbers(client.get(url(), {"text": orders.closed.number})) == {orders.closed.number}


def test_overdue_and_due_soon_are_exact_at_the_moment_of_listing(
    people: SimpleNamespace, orders: SimpleNamespace, api_client_for: Any
) -> None:
    now = clock.now()
    Case.objects.update(due_at=now + timedelta(days=30), is_overdue=False)
    Case.objects.filter(pk=orders.handling.pk).update(due_at=now - timedelta(hours=1))
    Case.objects.filter(pk=orders.wages.pk).update(due_at=now + timedelta(minutes=30))
    # A closed order is never listed as overdue, whatever its deadline and flag say.
    Case.objects.filter(pk=orders.closed.pk).update(due_at=now - timedelta(days=3), is_overdue=True)
    client = api_client_for(people.supervisor)
    # Before the sweep has flagged anything: the deadlines decide.
    assert numbers(client.get(url(), {"overdue": "1"})) == {orders.handling.number}
    assert numbers(client.get(url(), {"due_soon": "1"})) == {orders.wages.number}
    case_deadlines_sweep(now=now)
    assert numbers(client.get(url(), {"overdue": "1"})) == {orders.handling.number}
    row = next(r for r in client.get(url(), {"overdue": "1"}).json()["results"])
    assert row["is_overdue"] is True


def test_rows_are_newest_first_and_masked(
    people: SimpleNamespace, orders: SimpleNamespace, api_client_for: Any
) -> None:
    rows = api_client_for(people.supervisor).get(url()).json()["results"]
    assert rows[-1]["number"] == orders.new.number
    assert rows[0]["number"] == orders.closed.number
    wages = next(r for r in rows if r["number"] == orders.wages.number)
    assert wages["citizen_phone"] == "139****1111"
    assert wages["citizen_name"] == "王**"  # supervisors see masked names in lists
    assert "citizen_id_number" not in wages
    assert wages["primary_unit"] == {"code": "LS-RS", "name": "区人社局"}
    assert wages["request_type"]["code"] == "help"
    assert wages["status_display"]
    operator_rows = api_client_for(people.operator).get(url()).json()["results"]
    assert {r["citizen_name"] for r in operator_rows} == {"王小明"}
    assert {r["citizen_phone"] for r in operator_rows} == {"138****5678", "139****1111"}


def test_pagination(people: SimpleNamespace, orders: SimpleNamespace, api_client_for: Any) -> None:
    client = api_client_for(people.operator)
    first = client.get(url(), {"page_size": 3})
    body = first.json()
    assert body["count"] == 4
    assert len(body["results"]) == 3
    assert body["previous"] is None
    second = client.get(body["next"])
    assert len(second.json()["results"]) == 1
    assert {r["number"] for r in body["results"]} | numbers(second) == numbers(client.get(url()))
    beyond = client.get(url(), {"page": 9})
    assert beyond.status_code == 404
    assert set(beyond.json()) == {"code", "message"}


BAD_FILTERS = [
    {"status": "bogus"},
    {"status": "new,nope"},
    {"unit": "NO-SUCH-UNIT"},
    {"type": "gossip"},
    {"channel": "fax"},
    {"urgency": "high"},
    {"created_from": "2026-13-01"},
    {"created_from": "01/09/2026"},
    {"created_to": "yesterday"},
    {"overdue": "maybe"},
    {"due_soon": "2"},
    {"primary_unit": "NO-SUCH-UNIT"},
    {"primary_unit_only": "perhaps"},
    {"street": "LS-ZJ"},  # a unit, but not a street
    {"text": "x" * 201},
    {"text": "井盖\x00"},
    {"category": "9" * 30},
    {"category": "城乡\x00建设"},
]


@pytest.mark.parametrize("params", BAD_FILTERS)
def test_bad_filters_are_400(
    people: SimpleNamespace, orders: SimpleNamespace, api_client_for: Any, params: dict[str, str]
) -> None:
    response = api_client_for(people.supervisor).get(url(), params)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert set(body["fields"]) == set(params)


def _count_queries(client: APIClient) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url(), {"page_size": 100})
    assert response.status_code == 200
    return len(captured)


def test_list_queries_do_not_grow_with_the_rows(
    people: SimpleNamespace, district: SimpleNamespace, categories: SimpleNamespace, django_assert_max_num_queries: Any
) -> None:
    """No N+1: the same number of queries for 2 rows and for 12, for centre staff and for a unit."""
    for _i in range(2):
        make_order(people, district, categories.housing, Status.HANDLING, co_units=[district.street])

    def client_for(username: str) -> APIClient:
        client = APIClient()
        client.force_authenticate(User.objects.get(username=username))  # a fresh user: roles not cached
        return client

    small = {name: _count_queries(client_for(name)) for name in ("operator", "handler_a")}
    for _i in range(10):
        make_order(people, district, categories.housing, Status.HANDLING, co_units=[district.street])
    assert WorkOrder.objects.count() == 12
    large = {name: _count_queries(client_for(name)) for name in ("operator", "handler_a")}
    assert small == large, (small, large)
    # roles, count, page (a handler also: its unit); nothing per row.
    operator, handler = client_for("operator"), client_for("handler_a")
    with django_assert_max_num_queries(3):
        operator.get(url())
    with django_assert_max_num_queries(4):
        handler.get(url())
