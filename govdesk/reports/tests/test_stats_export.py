"""GET /reports/stats.xlsx: every table of the statistics overview, the dashboard's roles and filters, audit."""

from __future__ import annotations

import json
from datetime import date, datetime
from types import SimpleNamespace
from typing import Any

import pytest
import time_machine
from django.urls import reverse

from govdesk.audit.models import AuditEvent
from govdesk.reports.labels import RATE_KEYS, RATE_LABELS
from govdesk.stats.selectors import stats_filter_parse, stats_overview
from govdesk.workorders.states import Status
from govdesk.workorders.tests.factories import make_order

from .conftest import MOMENT, SHANGHAI, workbook_of

pytestmark = pytest.mark.django_db
URL = "/reports/stats.xlsx"
PERIOD = {"date_from": "2026-10-01", "date_to": "2026-10-31"}
SHEETS = ["概览", "比率", "趋势", "按渠道", "按类型", "按分类", "按单位", "按街道", "按状态", "超期工单", "即将超期"]


@pytest.fixture
def october(people: SimpleNamespace, district: SimpleNamespace, categories: SimpleNamespace) -> SimpleNamespace:
    with time_machine.travel(MOMENT, tick=False):
        closed = make_order(people, district, categories.facilities, Status.CLOSED)
        handling = make_order(
            people,
            district,
            categories.wages,
            Status.HANDLING,
            unit=district.dept_b,
            handler=people.handler_b,
            channel="web",
        )
        new = make_order(people, district, categories.bus, Status.NEW, title="=1+1")
    return SimpleNamespace(closed=closed, handling=handling, new=new)


def sheet_rows(wb: Any, title: str) -> list[tuple[Any, ...]]:
    return list(wb[title].iter_rows(values_only=True))


def test_the_url_is_named() -> None:
    assert reverse("reports:stats_xlsx") == URL


def test_every_table_of_the_overview_is_a_sheet_with_the_same_figures(
    people: SimpleNamespace, october: SimpleNamespace, get_as: Any
) -> None:
    with time_machine.travel(datetime(2026, 11, 2, 9, 0, tzinfo=SHANGHAI), tick=False):
        response = get_as(people.supervisor, URL, **PERIOD)
        expected = stats_overview(user=people.supervisor, flt=stats_filter_parse(PERIOD, people.supervisor))
    assert response.status_code == 200
    wb = workbook_of(response)
    assert wb.sheetnames == SHEETS
    summary = dict(sheet_rows(wb, "概览")[1:])
    assert summary["受理量"] == expected["total"] == 3
    assert summary["开始日期"] == datetime(2026, 10, 1)
    rates = {row[0]: row for row in sheet_rows(wb, "比率")[1:]}
    assert sheet_rows(wb, "比率")[0][:4] == ("指标", "本期", "分子", "分母")
    for key in RATE_KEYS:
        row = rates[RATE_LABELS[key]]
        assert row[1] == expected["rates"][key]
        assert (row[2], row[3]) == (
            expected["rate_parts"][key]["numerator"],
            expected["rate_parts"][key]["denominator"],
        )
        assert row[6]  # the formula text
    series = sheet_rows(wb, "趋势")[1:]
    assert len(series) == len(expected["series"]) == 31
    assert series[11][0] == datetime(2026, 10, 12) and series[11][2] == 3
    channels = {row[0]: row[2] for row in sheet_rows(wb, "按渠道")[1:]}
    assert channels == {row["key"]: row["total"] for row in expected["by_channel"]}
    units = {row[0]: row[2] for row in sheet_rows(wb, "按单位")[1:]}
    assert units == {row["key"]: row["total"] for row in expected["by_unit"]}
    statuses = {row[0]: row[2] for row in sheet_rows(wb, "按状态")[1:]}
    assert statuses == {row["key"]: row["total"] for row in expected["by_status"]}


@pytest.mark.parametrize("who", ["operator", "handler_a", "citizen", "sysadmin", "auditor"])
def test_roles_outside_the_dashboard_get_403(people: SimpleNamespace, get_as: Any, who: str) -> None:
    assert get_as(getattr(people, who), URL).status_code == 403


@pytest.mark.parametrize("who", ["supervisor", "dispatcher", "leader", "unit_admin_a"])
def test_dashboard_roles_may_export(people: SimpleNamespace, get_as: Any, who: str) -> None:
    assert get_as(getattr(people, who), URL).status_code == 200


def test_a_unit_admin_is_held_to_their_unit(people: SimpleNamespace, october: SimpleNamespace, get_as: Any) -> None:
    with time_machine.travel(datetime(2026, 11, 2, 9, 0, tzinfo=SHANGHAI), tick=False):
        wb = workbook_of(get_as(people.unit_admin_a, URL, **PERIOD))
        assert get_as(people.unit_admin_a, URL, unit="LS-RS", **PERIOD).status_code == 403
    summary = dict(sheet_rows(wb, "概览")[1:])
    assert summary["单位"] == "LS-ZJ"
    assert summary["受理量"] == 1


@pytest.mark.parametrize(
    "params",
    [
        {"date_from": "2026-10-32"},
        {"date_from": "2026-10-10", "date_to": "2026-10-01"},
        {"date_from": "2020-01-01", "date_to": "2026-10-01"},
        {"unit": "NOPE"},
        {"category": "不存在"},
        {"type": "nope"},
        {"channel": "pigeon"},
    ],
)
def test_bad_filters_are_400(people: SimpleNamespace, get_as: Any, params: dict[str, str]) -> None:
    assert get_as(people.supervisor, URL, **params).status_code == 400
    assert not AuditEvent.objects.filter(action="report.stats_xlsx").exists()


def test_each_export_is_audited(people: SimpleNamespace, october: SimpleNamespace, get_as: Any) -> None:
    with time_machine.travel(datetime(2026, 11, 2, 9, 0, tzinfo=SHANGHAI), tick=False):
        get_as(people.leader, URL, channel="web", **PERIOD)
    event = AuditEvent.objects.get(action="report.stats_xlsx")
    assert event.actor == people.leader
    note = json.loads(event.note)
    assert note["filters"]["channel"] == "web"
    assert note["filters"]["date_from"] == date(2026, 10, 1).isoformat()
    assert note["rows"] == 1
