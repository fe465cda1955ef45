"""GET /reports/orders.xlsx: the order list's filters, visibility, masking, dates, formula injection, errors, audit."""

from __future__ import annotations

import functools
import io
import json
import zipfile
from datetime import datetime
from types import SimpleNamespace
from typing import Any
from urllib.parse import unquote

import pytest
import time_machine
from django.urls import reverse

from govdesk.audit.models import AuditEvent
from govdesk.reports import selectors
from govdesk.reports.labels import ORDER_HEADERS

from .conftest import INJECTION, SHANGHAI, body_of, grant_export_unmasked, workbook_of

pytestmark = pytest.mark.django_db
URL = "/reports/orders.xlsx"
HEADERS = [h for h, _w in ORDER_HEADERS]


def rows_by_number(response: Any) -> dict[str, dict[str, Any]]:
    assert response.status_code == 200, response.content[:500]
    ws = workbook_of(response)["工单"]
    values = list(ws.iter_rows(values_only=True))
    assert list(values[0]) == HEADERS
    return {row[0]: dict(zip(HEADERS, row, strict=True)) for row in values[1:]}


def test_the_url_is_named() -> None:
    assert reverse("reports:orders_xlsx") == URL


def test_a_supervisor_exports_every_order_with_chinese_headers_and_real_dates(
    people: SimpleNamespace, orders: SimpleNamespace, get_as: Any
) -> None:
    response = get_as(people.supervisor, URL)
    rows = rows_by_number(response)
    assert set(rows) == {o.number for o in vars(orders).values()}
    closed = rows[orders.closed.number]
    assert closed["状态"] == "已办结"
    assert closed["分类"] == "交通运输/公共交通/公交线路"
    assert closed["主办单位"] == "区住建局"
    assert closed["满意度"] == "满意"
    assert closed["回访结果"] == "已解决"
    # Real Excel dates, in Shanghai wall-clock time.
    assert closed["受理时间"] == datetime(2026, 9, 15, 10, 0)
    assert isinstance(closed["办结期限"], datetime)
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert response["X-Export-Rows"] == "4"


def test_the_sheet_has_a_frozen_header_widths_and_an_autofilter(
    people: SimpleNamespace, orders: SimpleNamespace, get_as: Any
) -> None:
    ws = workbook_of(get_as(people.supervisor, URL))["工单"]
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == f"A1:{ws.cell(1, len(HEADERS)).column_letter}5"
    assert ws.column_dimensions["B"].width == 36
    assert ws["A1"].font.bold
    assert ws["H2"].number_format == "yyyy-mm-dd hh:mm"


def test_the_filters_of_the_order_list_apply(people: SimpleNamespace, orders: SimpleNamespace, get_as: Any) -> None:
    rows = rows_by_number(get_as(people.supervisor, URL, unit="LS-RS"))
    assert set(rows) == {orders.wages.number}
    rows = rows_by_number(get_as(people.supervisor, URL, created_from="2026-09-08", created_to="2026-09-08"))
    assert set(rows) == {orders.handling.number, orders.wages.number}
    rows = rows_by_number(get_as(people.supervisor, URL, category="交通运输", status="closed"))
    assert set(rows) == {orders.closed.number}
    rows = rows_by_number(get_as(people.supervisor, URL, channel="web"))
    assert set(rows) == {orders.wages.number}
    rows = rows_by_number(get_as(people.supervisor, URL, text="公交"))
    assert set(rows) == {orders.closed.number}


def test_unit_staff_export_only_their_units_orders(
    people: SimpleNamespace, orders: SimpleNamespace, get_as: Any
) -> None:
    assert set(rows_by_number(get_as(people.handler_b, URL))) == {orders.wages.number}
    assert set(rows_by_number(get_as(people.handler_a, URL))) == {orders.handling.number, orders.closed.number}


def test_phones_are_masked_by_default_for_every_role(
    people: SimpleNamespace, orders: SimpleNamespace, get_as: Any
) -> None:
    for who in ("operator", "dispatcher", "supervisor", "handler_b"):
        rows = rows_by_number(get_as(getattr(people, who), URL))
        assert rows[orders.wages.number]["电话"] == "139****1111", who


def test_unmasked_phones_follow_the_reveal_rules(people: SimpleNamespace, orders: SimpleNamespace, get_as: Any) -> None:
    grant_export_unmasked(people.dispatcher, people.supervisor, people.handler_a, people.handler_b)
    get_as = functools.partial(get_as, reason="回访核实")
    # The dispatcher may see every number; a supervisor or the unit not a confidential reporter's.
    rows = rows_by_number(get_as(people.dispatcher, URL, unmask="1"))
    assert rows[orders.wages.number]["电话"] == "13900001111"
    assert rows[orders.wages.number]["来电人"] == "李四"
    rows = rows_by_number(get_as(people.supervisor, URL, unmask="1"))
    assert rows[orders.wages.number]["电话"] == "139****1111"
    assert rows[orders.wages.number]["来电人"] == "李*"
    assert rows[orders.closed.number]["电话"] == "13812345678"
    rows = rows_by_number(get_as(people.handler_b, URL, unmask="1"))
    assert rows[orders.wages.number]["电话"] == "139****1111"
    rows = rows_by_number(get_as(people.handler_a, URL, unmask="1"))
    assert rows[orders.handling.number]["电话"] == "13812345678"


def test_a_formula_in_a_title_is_stored_as_inert_text(
    people: SimpleNamespace, orders: SimpleNamespace, get_as: Any
) -> None:
    response = get_as(people.supervisor, URL)
    body = body_of(response)
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml").decode()
        styles = archive.read("xl/styles.xml").decode()
    assert "<f>" not in sheet and "<f " not in sheet
    assert 'quotePrefix="1"' in styles
    from openpyxl import load_workbook

    ws = load_workbook(io.BytesIO(body))["工单"]
    titles = {row[0].value: row[1] for row in ws.iter_rows(min_row=2)}
    for number, text in ((orders.new.number, INJECTION), (orders.handling.number, "+86 来电 @住建")):
        assert titles[number].value == text
        assert titles[number].data_type == "s"


@pytest.mark.parametrize("who", ["sysadmin", "secadmin", "auditor"])
def test_roles_without_the_order_list_get_403(people: SimpleNamespace, get_as: Any, who: str) -> None:
    assert get_as(getattr(people, who), URL).status_code == 403


def test_anonymous_visitors_are_sent_to_the_login_page(get_as: Any) -> None:
    response = get_as(None, URL)
    assert response.status_code == 302
    assert "/login/" in response["Location"]


@pytest.mark.parametrize(
    "params",
    [
        {"created_from": "2026-13-01"},
        {"status": "nonsense"},
        {"unit": "NO-SUCH-UNIT"},
        {"channel": "pigeon"},
        {"overdue": "maybe"},
        {"created_from": "2026-09-10", "created_to": "2026-09-01"},
    ],
)
def test_bad_filters_are_400_with_a_message(people: SimpleNamespace, get_as: Any, params: dict[str, str]) -> None:
    response = get_as(people.supervisor, URL, **params)
    assert response.status_code == 400
    assert not AuditEvent.objects.filter(action="report.orders_xlsx").exists()


def test_beyond_the_cap_the_export_is_refused_with_a_clear_message(
    people: SimpleNamespace, orders: SimpleNamespace, get_as: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(selectors, "ORDER_EXPORT_MAX_ROWS", 2)
    response = get_as(people.supervisor, URL)
    assert response.status_code == 400
    text = response.content.decode()
    assert "4" in text and "2" in text
    assert not AuditEvent.objects.filter(action="report.orders_xlsx").exists()
    # Exactly at the cap is allowed.
    assert len(rows_by_number(get_as(people.supervisor, URL, unit="LS-ZJ"))) == 2


def test_each_export_is_audited_with_its_filters_and_row_count(
    people: SimpleNamespace, orders: SimpleNamespace, get_as: Any
) -> None:
    grant_export_unmasked(people.supervisor)
    get_as(people.supervisor, URL, unit="LS-RS", unmask="1", reason="回访核实")
    event = AuditEvent.objects.get(action="report.orders_xlsx")
    assert event.actor == people.supervisor
    note = json.loads(event.note)
    assert note == {"filters": {"unit": "LS-RS"}, "rows": 1, "unmasked": True, "reason": "回访核实"}


def test_the_file_name_is_chinese_and_safe(people: SimpleNamespace, orders: SimpleNamespace, get_as: Any) -> None:
    with time_machine.travel(datetime(2026, 11, 2, 9, 5, tzinfo=SHANGHAI), tick=False):
        response = get_as(people.supervisor, URL)
    disposition = response["Content-Disposition"]
    assert disposition.startswith('attachment; filename="orders-20261102-0905.xlsx"; ')
    assert "filename*=UTF-8''" in disposition
    assert unquote(disposition.split("filename*=UTF-8''")[1]) == "工单导出-20261102-0905.xlsx"
