"""The dashboard's drill-downs: each lists exactly the orders its figure counts; leaders read orders to drill into."""

from __future__ import annotations

import io
from datetime import date, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.utils import timezone
from openpyxl import load_workbook

from govdesk.audit.models import AuditEvent
from govdesk.cases.models import Case
from govdesk.cases.services import case_deadlines_sweep
from govdesk.catalog.models import Category
from govdesk.common import clock
from govdesk.org.models import Role, UnitKind
from govdesk.org.tests.factories import UnitFactory
from govdesk.stats.selectors import stats_filter_parse, stats_overview
from govdesk.workorders import services
from govdesk.workorders.forms import OrderFilterForm
from govdesk.workorders.models import WorkOrder
from govdesk.workorders.selectors import workorder_list
from govdesk.workorders.states import TRANSITIONS, Status
from govdesk.workorders.tests.factories import make_order

from .conftest import at

pytestmark = pytest.mark.django_db


def listed(user: Any, query: str, *, status: int = 200) -> tuple[str, Any]:
    client = Client()
    client.force_login(user)
    response = client.get("/orders/" + query)
    assert response.status_code == status
    return response.content.decode(), response


def test_the_order_list_filters_by_channel_overdue_and_due_soon(people: Any, district: Any, categories: Any) -> None:
    phone = make_order(people, district, categories.facilities, Status.HANDLING)
    web = make_order(people, district, categories.facilities, Status.HANDLING, channel="web", title="网上反映路灯")
    late = make_order(people, district, categories.housing, Status.HANDLING, title="住房保障申请无人答复")
    soon = make_order(
        people, district, categories.wages, Status.HANDLING, unit=district.dept_b, handler=people.handler_b
    )
    # Overdue and due soon are exact at the moment of listing: the deadlines decide, not the sweep's flags.
    now = clock.now()
    Case.objects.filter(pk=late.pk).update(due_at=now - timedelta(minutes=5))
    Case.objects.filter(pk=soon.pk).update(due_at=now + timedelta(minutes=30), is_overdue=True)

    html, response = listed(people.supervisor, "?channel=web")
    assert response.context["page"].paginator.count == 1
    assert web.number in html and phone.number not in html

    html, response = listed(people.supervisor, "?overdue=1")
    assert [o.number for o in response.context["page"].object_list] == [late.number]

    html, response = listed(people.supervisor, "?due_soon=1")
    assert [o.number for o in response.context["page"].object_list] == [soon.number]

    # Combined as a chart's link builds them: period, unit, category and type.
    day = timezone.localdate(phone.created_at).isoformat()  # the list filters by the Asia/Shanghai day
    query = f"?created_from={day}&created_to={day}&unit={district.dept_a.code}&category=城乡建设&type=complaint"
    _html, response = listed(people.supervisor, query)
    assert {o.number for o in response.context["page"].object_list} == {phone.number, web.number, late.number}


def test_the_order_list_links_its_excel_export_with_the_same_filters(people: Any) -> None:
    html, _response = listed(people.dispatcher, "?channel=web&overdue=1&page=2")
    assert 'href="/reports/orders.xlsx?channel=web&amp;overdue=1"' in html
    html, _response = listed(people.dispatcher, "")
    assert 'href="/reports/orders.xlsx"' in html


def test_citizens_get_no_export_link(people: Any) -> None:
    html, _response = listed(people.citizen, "")
    assert "orders.xlsx" not in html


# --- every drill-down lists exactly the orders its figure counts ---------------------------------------------------
#
# The links are built as dashboard.js builds them (ordersUrl / drillUrl / periodRange), then read through the order
# list's own form and selector, so a count here is the count the list page shows.

ROW_FILTERS = {"channel": "channel", "type": "type", "category": "category", "status": "status", "street": "street"}


def drill_params(applied: dict[str, Any], extra: dict[str, str], *, live: bool = False) -> dict[str, str]:
    """dashboard.js ordersUrl: the statistics filters as order-list filters, plus the clicked row's."""
    params: dict[str, str] = {}
    if not live:
        params["created_from"], params["created_to"] = applied["date_from"], applied["date_to"]
    for key, name in (("unit", "primary_unit"), ("category", "category"), ("type", "type"), ("channel", "channel")):
        if applied.get(key):
            params[name] = applied[key]
    return {**params, **extra}


def row_filter(name: str, row: dict[str, Any]) -> dict[str, str]:
    """dashboard.js drillUrl for one bar or slice."""
    if name == "unit":
        if row["key"] is None:
            return {"primary_unit": "none"}
        return {"primary_unit": row["key"], "primary_unit_only": "1"}
    assert row["key"], (name, row)
    return {ROW_FILTERS[name]: row["key"]}


def period_range(row: dict[str, Any], granularity: str, applied: dict[str, Any]) -> dict[str, str]:
    """dashboard.js periodRange: the days of one point of the volume series, clipped to the period."""
    start = date.fromisoformat(row["period"])
    if granularity == "month":
        end = (start.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    elif granularity == "week":
        end = start + timedelta(days=6 - start.weekday())
    else:
        end = start
    first = max(start.isoformat(), applied["date_from"])
    last = min(end.isoformat(), applied["date_to"])
    return {"created_from": first, "created_to": last}


def list_count(user: Any, params: dict[str, str]) -> int:
    form = OrderFilterForm(params)
    assert form.is_valid(), form.errors  # an invalid form would list every order instead
    return workorder_list(user=user, filters=form.filters()).count()


def listed_numbers(user: Any, params: dict[str, str]) -> list[str]:
    form = OrderFilterForm(params)
    assert form.is_valid(), form.errors
    return list(workorder_list(user=user, filters=form.filters()).values_list("number", flat=True))


def assert_every_drilldown_exact(user: Any, params: dict[str, str]) -> dict[str, Any]:
    overview = stats_overview(user=user, flt=stats_filter_parse(params, user))
    applied = overview["filters"]
    assert list_count(user, drill_params(applied, {})) == overview["total"]
    for name in ("channel", "type", "category", "status", "unit", "street"):
        for row in overview[f"by_{name}"]:
            got = list_count(user, drill_params(applied, row_filter(name, row)))
            assert got == row["total"], (name, row, got)
    for row in overview["series"]:
        days = period_range(row, overview["granularity"], applied)
        assert list_count(user, drill_params(applied, days)) == row["total"], row
        assert list_count(user, drill_params(applied, {**days, "status": "closed"})) == row["closed"], row
    for block, flag in (("overdue", "overdue"), ("due_soon", "due_soon")):
        assert list_count(user, drill_params(applied, {flag: "1"}, live=True)) == overview[block]["total"], block
    return overview


NOVEMBER = {"date_from": "2026-11-01", "date_to": "2026-11-30"}


@pytest.fixture
def drill(people: Any, district: Any, categories: Any) -> SimpleNamespace:
    """Orders through the real services where the old approximate links miscount: a co-unit assignment, a sub-unit,
    a community's order whose address names another street, orders with no unit, merged and cancelled orders."""
    p, d, c = people, district, categories
    sub = UnitFactory(code="LS-ZJ-WY", name="住建局物业科", kind=UnitKind.DEPARTMENT, parent=d.dept_a)
    east = UnitFactory(code="LS-FS", name="凤山街道", kind=UnitKind.STREET, parent=d.gov, place_names="凤山路")
    o: dict[str, Any] = {}
    with at(2026, 10, 30):  # the previous period
        o["october"] = make_order(p, d, c.facilities, Status.HANDLING)
    with at(2026, 11, 2):
        o["a"] = make_order(p, d, c.facilities, Status.HANDLING)  # address on 滨河北路: street LS-BH
        o["sub"] = make_order(p, d, c.housing, Status.DISPATCHED, unit=sub, address="离石区凤山路3号")
        o["co"] = make_order(
            p, d, c.wages, Status.HANDLING, unit=d.dept_b, co_units=[d.dept_a], handler=p.handler_b, channel="web"
        )
        o["street"] = make_order(p, d, c.greening, Status.HANDLING, unit=d.street, handler=p.street_handler, address="")
        # The community's street is its parent (LS-BH), whatever street the address names.
        o["community"] = make_order(p, d, c.facilities, Status.DISPATCHED, unit=d.community, address="凤山路9号")
        o["new"] = make_order(p, d, c.bus, Status.NEW, address="永宁路5号")
        o["nowhere"] = make_order(p, d, c.bus, Status.NEW, address="", request_type="consultation")
        o["cancelled"] = make_order(p, d, c.greening, Status.CANCELLED)
        o["merged"] = make_order(p, d, c.facilities, Status.MERGED)
    with at(2026, 11, 16):
        o["closed"] = make_order(p, d, c.housing, Status.CLOSED, channel="web", request_type="suggestion", address="")
        o["soon"] = make_order(p, d, c.facilities, Status.HANDLING)
        o["east"] = make_order(p, d, c.wages, Status.REPLIED, unit=d.dept_b, handler=p.handler_b, address="凤山路1号")
    soon = WorkOrder.objects.get(pk=o["soon"].pk)
    assert soon.due_at is not None
    moment = soon.due_at - timedelta(minutes=30)  # "soon" is due soon and the older orders overdue
    case_deadlines_sweep(now=moment)
    return SimpleNamespace(orders=o, sub=sub, east=east, moment=moment)


@pytest.mark.parametrize(
    "extra",
    [
        {},
        {"unit": "LS-ZJ"},  # a unit and its sub-unit, without the co-unit's order
        {"unit": "LS-BH"},  # a street and its community
        {"category": "城乡建设"},
        {"category": "城乡建设/住房保障"},  # level 2: the statistics read the facts
        {"category": "城乡建设/城市建设和市政管理/市政设施"},
        {"channel": "web"},
        {"type": "complaint"},
        {"date_from": "2026-09-01", "date_to": "2026-11-30"},  # by week
        {"date_from": "2025-11-01", "date_to": "2026-11-30"},  # by month
    ],
    ids=lambda extra: "-".join(f"{k}={v}" for k, v in extra.items()) or "all",
)
def test_each_drilldown_lists_exactly_the_orders_of_its_figure(
    people: Any, drill: SimpleNamespace, extra: dict[str, str]
) -> None:
    with clock.at(drill.moment):
        overview = assert_every_drilldown_exact(people.supervisor, {**NOVEMBER, **extra})
    assert overview["total"] > 0
    if extra.get("date_from") == "2025-11-01":
        assert overview["granularity"] == "month"
    if not extra:
        # The breakdowns the old links got wrong are all there, with figures that make the check meaningful.
        units = {row["key"]: row["total"] for row in overview["by_unit"]}
        assert units[None] == 5  # new, nowhere, cancelled, merged and its master: not dispatched
        assert units["LS-ZJ-WY"] == 1 and units["LS-BH"] == 1 and units["LS-BH-01"] == 1
        streets = {row["key"]: row["total"] for row in overview["by_street"]}
        assert streets["LS-BH"] >= 4 and streets["LS-FS"] == 2  # the sub-unit's and dept_b's 凤山路 orders
        assert overview["overdue"]["total"] > 0 and overview["due_soon"]["total"] > 0
        assert overview["series"][1]["total"] > 0 and overview["series"][1]["closed"] == 0


def test_the_old_approximate_unit_and_street_links_would_miscount(people: Any, drill: SimpleNamespace) -> None:
    user = people.supervisor
    overview = stats_overview(user=user, flt=stats_filter_parse({**NOVEMBER, "unit": "LS-ZJ"}, user))
    days = {"created_from": NOVEMBER["date_from"], "created_to": NOVEMBER["date_to"]}
    exact = set(listed_numbers(user, {**days, "primary_unit": "LS-ZJ"}))
    old = set(listed_numbers(user, {**days, "unit": "LS-ZJ"}))  # any active assignment, no subtree
    assert len(exact) == overview["total"]
    o = drill.orders
    assert o["sub"].number in exact - old and o["co"].number in old - exact
    overview = stats_overview(user=user, flt=stats_filter_parse(NOVEMBER, user))
    fs = next(row for row in overview["by_street"] if row["key"] == "LS-FS")
    assert list_count(user, {**days, "street": "LS-FS"}) == fs["total"] != list_count(user, {**days, "unit": "LS-FS"})
    # A unit's bar is that unit alone; the unit filter is the unit with the units below it.
    zj = next(row for row in overview["by_unit"] if row["key"] == "LS-ZJ")
    assert list_count(user, {**days, "primary_unit": "LS-ZJ", "primary_unit_only": "1"}) == zj["total"]
    assert list_count(user, {**days, "primary_unit": "LS-ZJ"}) == zj["total"] + 1  # + the sub-unit's order


@pytest.mark.parametrize("who", ["leader", "unit_admin_a", "street_admin"])
def test_drilldowns_are_exact_for_leaders_and_unit_administrators(
    people: Any, drill: SimpleNamespace, who: str
) -> None:
    overview = assert_every_drilldown_exact(getattr(people, who), NOVEMBER)
    assert overview["total"] > 0


def test_the_order_list_page_applies_the_new_filters(people: Any, drill: SimpleNamespace) -> None:
    o = drill.orders
    _html, response = listed(people.leader, "?primary_unit=none")
    assert {r.number for r in response.context["page"].object_list} >= {o["new"].number, o["nowhere"].number}
    _html, response = listed(people.leader, "?street=LS-FS")
    assert {r.number for r in response.context["page"].object_list} == {o["sub"].number, o["east"].number}
    _html, response = listed(people.supervisor, "?primary_unit=LS-ZJ&primary_unit_only=1&created_from=2026-11-02")
    assert {r.number for r in response.context["page"].object_list} == {o[k].number for k in ("a", "closed", "soon")}
    _html, response = listed(people.supervisor, "?street=NOPE", status=400)
    assert response.context["form"].errors["street"]  # a bad link says so instead of listing everything
    assert not response.context["page"].object_list


def test_the_dashboard_script_uses_the_exact_filters() -> None:
    script = (Path(__file__).resolve().parents[1] / "static" / "stats" / "dashboard.js").read_text()
    assert 'unit: "primary_unit", street: "street"' in script
    assert 'extra.primary_unit = "none"' in script and 'extra.primary_unit_only = "1"' in script
    assert "params.primary_unit = applied.unit" in script and "params.unit =" not in script


def test_a_category_prefix_matches_whole_levels_only(people: Any, district: Any, categories: Any) -> None:
    order = make_order(people, district, categories.facilities, Status.HANDLING)
    top = Category.objects.create(name="城乡建设局事务", level=1, path="城乡建设局事务")
    leaf = Category.objects.create(name="其他", level=2, path="城乡建设局事务/其他", parent=top)
    WorkOrder.objects.filter(pk=order.pk).update(category=leaf)
    assert not workorder_list(user=people.supervisor, filters={"category": "城乡建设"}).filter(pk=order.pk).exists()
    assert workorder_list(user=people.supervisor, filters={"category": "城乡建设局事务"}).filter(pk=order.pk).exists()


# --- leaders read every order, masked, and act on none ---------------------------------------------------------------


def test_leaders_read_the_list_and_detail_with_masked_numbers(people: Any, district: Any, categories: Any) -> None:
    order = make_order(people, district, categories.facilities, Status.HANDLING)
    html, _response = listed(people.leader, "")
    assert order.number in html
    assert 'href="/orders/"' in html  # the order list is in the leader's navigation
    client = Client()
    client.force_login(people.leader)
    detail = client.get(f"/orders/{order.number}/")
    assert detail.status_code == 200
    page = detail.content.decode()
    assert "138****5678" in page and "13812345678" not in page
    assert "11010519491231002X" not in page
    assert f"/orders/{order.number}/reveal/" not in page  # no "show full number"
    assert detail.context["action_forms"] == []
    assert list(detail.context["timeline"])  # the staff timeline, read-only
    for field in ("citizen_phone", "citizen_id_number"):
        refused = client.post(f"/orders/{order.number}/reveal/", {"field": field})
        assert refused.status_code == 403
        assert "13812345678" not in refused.content.decode()
    assert AuditEvent.objects.filter(action="pii.view", actor=people.leader, success=False).count() == 2


def test_leaders_may_take_no_action(people: Any, district: Any, categories: Any, api_client_for: Any) -> None:
    order = make_order(people, district, categories.facilities, Status.HANDLING)
    assert all(Role.LEADER.value not in row.roles for row in TRANSITIONS.values())
    client = Client()
    client.force_login(people.leader)
    api = api_client_for(people.leader)
    for action in services.ACTION_SERVICES:
        page = client.post(f"/orders/{order.number}/actions/{action.value}/", {"note": "x", "reason": "x"})
        assert page.status_code == 403, action
        response = api.post(f"/api/v1/workorders/{order.number}/{action.value}/", {}, format="json")
        assert response.status_code == 403, action
    revealed = api.post(f"/api/v1/workorders/{order.number}/reveal/", {"field": "citizen_phone"}, format="json")
    assert revealed.status_code == 403
    assert api.post("/api/v1/workorders/", {}, format="json").status_code == 403
    fresh = WorkOrder.objects.get(pk=order.pk)
    assert (fresh.status, fresh.updated_at) == (order.status, order.updated_at)


def test_leaders_read_orders_through_the_api_masked(
    people: Any, district: Any, categories: Any, api_client_for: Any
) -> None:
    order = make_order(people, district, categories.housing, Status.DISPATCHED, unit=district.dept_b)
    api = api_client_for(people.leader)
    listing = api.get("/api/v1/workorders/")
    assert listing.status_code == 200
    assert [row["number"] for row in listing.json()["results"]] == [order.number]
    detail = api.get(f"/api/v1/workorders/{order.number}/")
    assert detail.status_code == 200
    body = detail.json()
    assert body["citizen_phone"] == "138****5678"
    assert "11010519491231002X" not in detail.content.decode()
    assert body["timeline"]


def test_leaders_export_the_list_with_masked_phones(people: Any, district: Any, categories: Any) -> None:
    order = make_order(people, district, categories.facilities, Status.HANDLING)
    client = Client()
    client.force_login(people.leader)
    # Full numbers need the permission reports.export_unmasked; granted, a leader's role still sees them masked.
    assert client.get("/reports/orders.xlsx", {"unmask": "1", "primary_unit": "LS-ZJ"}).status_code == 403
    people.leader.user_permissions.add(
        Permission.objects.get(content_type__app_label="reports", codename="export_unmasked")
    )
    response: Any = client.get("/reports/orders.xlsx", {"unmask": "1", "reason": "核对", "primary_unit": "LS-ZJ"})
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    cells = {str(c) for sheet in workbook.worksheets for row in sheet.iter_rows(values_only=True) for c in row if c}
    assert order.number in cells and "138****5678" in cells and "13812345678" not in cells
    assert client.get("/reports/orders.xlsx", {"street": "NOPE"}).status_code == 400
