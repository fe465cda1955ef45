"""The monthly report's 政务服务办件 and 好差评 sections, and the statistics xlsx of applications: the exact figures of
a constructed October (conftest.gov_october) read back from the xlsx (openpyxl) and the PDF (pdftotext), and proof
that the application figures are the statistics selector's, never a count of the report's own."""

from __future__ import annotations

import io
import json
import re
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from openpyxl import load_workbook

from govdesk.audit.models import AuditEvent
from govdesk.org.models import Role
from govdesk.org.tests.factories import UserFactory
from govdesk.reports import pdf, selectors
from govdesk.stats import selectors as stats_selectors

from .conftest import SHANGHAI, body_of, workbook_of
from .test_monthly import pdf_text

pytestmark = pytest.mark.django_db
AFTER = datetime(2026, 11, 2, 9, 0, tzinfo=SHANGHAI)
PERIOD = {"date_from": "2026-10-01", "date_to": "2026-10-31"}
PERMIT, INSTANT, OTHER = "141102-ZJ-XK-0001", "141102-ZJ-GG-0002", "141102-RS-QR-0003"


def rows(wb: Any, title: str) -> list[tuple[Any, ...]]:
    return list(wb[title].iter_rows(values_only=True))


def keyed(wb: Any, title: str) -> dict[Any, tuple[Any, ...]]:
    return {row[0]: row for row in rows(wb, title)[1:]}


def write_report(tmp_path: Path, *extra: str) -> tuple[Any, str]:
    with time_machine.travel(AFTER, tick=False):
        call_command("monthly_report", "--month", "2026-10", "--out", str(tmp_path), *extra, stdout=io.StringIO())
    wb = load_workbook(tmp_path / "12345月度报告-2026-10.xlsx")
    return wb, pdf_text(tmp_path / "12345月度报告-2026-10.pdf")


def line_of(text: str, start: str) -> str:
    """The PDF's text line that begins with `start`, with its runs of spaces made single."""
    lines = [re.sub(r"\s+", " ", line.strip()) for line in text.splitlines()]
    return next(line for line in lines if line.startswith(start))


def test_the_xlsx_has_the_months_applications_and_ratings(
    people: SimpleNamespace, gov_october: SimpleNamespace, tmp_path: Path
) -> None:
    wb, _text = write_report(tmp_path, "--format", "both")
    headline = {row[0]: row[1] for row in rows(wb, "月度要点")[1:]}
    assert (headline["办件收件量"], headline["办件办结量"], headline["办件按时办结率"]) == (6, 4, 0.75)
    assert (headline["好差评有效评价"], headline["好差评满意率"], headline["差评数"], headline["整改按时率"]) == (
        4,
        0.5,
        1,
        1.0,
    )

    summary = keyed(wb, "办件概览")
    # received 6 (one refused), accepted 5, decided 4 of which 3 by their deadline, 1 still open past it.
    assert [summary[label][1] for label in ("收件量", "受理量", "办结量", "按时办结量", "超期在办")] == [6, 5, 4, 3, 1]
    assert summary["按时办结率"][1:4] == (0.75, 3, 4)
    assert summary["受理率"][1:4] == (5 / 6, 5, 6)
    assert summary["按时办结率"][4].startswith("在办结期限")
    units = keyed(wb, "办件按单位")
    assert units["LS-ZJ"][1:] == ("区住建局", 5, 4, 4, 3, 0.75, 0)
    assert units["LS-RS"][1:] == ("区人社局", 1, 1, 0, 0, None, 1)
    matters = keyed(wb, "办件按事项")
    assert [row[0] for row in rows(wb, "办件按事项")[1:]] == [PERMIT, INSTANT, OTHER]  # the most received first
    assert matters[PERMIT][1:] == ("建筑工程施工许可", 4, 3, 3, 2, pytest.approx(2 / 3), 0)
    assert matters[INSTANT][2:7] == (1, 1, 1, 1, 1.0)
    channels = keyed(wb, "办件按渠道")
    assert (channels["window"][2], channels["online"][2]) == (5, 1)
    steps = keyed(wb, "办件环节用时")
    # With the unit: 48 h, 335 h 55 min, 144 h (the 2 days suspended not counted) and 0 h (即办件), averaged.
    assert steps["单位办理"][1:] == (pytest.approx(131.98, abs=0.01), 4)
    assert steps["中止"][1:] == (48.0, 1)
    assert steps["待送达"][1:] == (18.0, 4)

    ratings = keyed(wb, "好差评")
    header = rows(wb, "好差评")[0]
    assert header[1:8] == ("有效评价", "非常满意", "满意", "基本满意", "不满意", "非常不满意", "满意率")
    # 5, 4, 3 and the justified 2 count; the unjustified 1 is left out of every rate and counted apart.
    assert ratings["全部服务"][1:] == (4, 1, 1, 1, 1, 0, 0.5, 1, 1, 1, 1, 1.0)
    assert ratings["办件"][1] == 4
    assert keyed(wb, "好差评按单位")["区住建局"][1:8] == (4, 1, 1, 1, 1, 0, 0.5)
    by_matter = keyed(wb, "好差评按事项")
    assert by_matter[PERMIT][1:] == ("建筑工程施工许可", 4, 1, 1, 1, 1, 0, 0.5, 1, 0, 1, 1, 1.0)
    assert by_matter[INSTANT][2:] == (0, 0, 0, 0, 0, 0, None, 0, 1, 0, 0, None)
    assert keyed(wb, "好差评按渠道")["评价器/电话"][1] == 4


def test_the_pdf_prints_both_sections_with_the_same_figures(
    people: SimpleNamespace, gov_october: SimpleNamespace, tmp_path: Path
) -> None:
    _wb, text = write_report(tmp_path)
    assert "政务服务办件" in text and "好差评" in text and "办件统计暂未接入" not in text
    for heading in (
        "各单位办件（前 10 位）",
        "各事项办件（前 10 位）",
        "申请渠道与环节用时",
        "评价等级分布",
        "按评价渠道",
    ):
        assert heading in text, heading
    assert line_of(text, "受理率").startswith("受理率 83.3% 5/6")
    assert line_of(text, "准予率").startswith("准予率 75.0% 3/4")
    assert "按时办结率 75.0% 3/4" in re.sub(r"\s+", " ", text)
    assert line_of(text, "区人社局 1") == "区人社局 1 1 0 — 1"
    assert line_of(text, "单位办理") == "单位办理 132.0 4"
    assert line_of(text, "中止 48.0") == "中止 48.0 1"
    # The overdue application is listed with its deadline.
    assert line_of(text, gov_october.overdue) == f"{gov_october.overdue} 就业创业证申领 区人社局 2026-10-19 17:30"
    # 好差评: all services, then per matter (the unjustified rating only in its own column).
    assert line_of(text, "全部服务") == "全部服务 4 1 1 1 1 0 50.0% 1 1 1/1 100.0%"
    assert line_of(text, "建筑工程施工许可 4 1") == "建筑工程施工许可 4 1 1 1 1 0 50.0% 1 0 1/1 100.0%"
    assert line_of(text, "建筑垃圾处置核准 0") == "建筑垃圾处置核准 0 0 0 0 0 0 — 0 1 0/0 —"
    assert line_of(text, "评价器/电话") == "评价器/电话 4 1 1 1 1 0 50.0% 1 1 1/1 100.0%"


def test_the_application_figures_are_the_statistics_selectors(
    people: SimpleNamespace, gov_october: SimpleNamespace, monkeypatch: pytest.MonkeyPatch
) -> None:
    with time_machine.travel(AFTER, tick=False):
        data = selectors.monthly_report_data(user=people.leader, month="2026-10")
        flt = stats_selectors.stats_application_filter_parse(PERIOD, people.leader)
        assert data["applications"] == stats_selectors.stats_application_overview(user=people.leader, flt=flt)
        # Whatever the statistics answer is what the report prints: it counts nothing itself.
        seen: list[Any] = []

        def stand_in(*, user: Any, flt: Any) -> dict[str, Any]:
            seen.append((user, flt.date_from, flt.date_to))
            return {**data["applications"], "totals": {**data["applications"]["totals"], "received": 777}}

        monkeypatch.setattr(stats_selectors, "stats_application_overview", stand_in)
        replaced = selectors.monthly_report_data(user=people.leader, month="2026-10")
    assert seen == [(people.leader, flt.date_from, flt.date_to)]
    assert replaced["applications"]["totals"]["received"] == 777
    assert 'id="app-received">777<' in pdf.monthly_html(replaced)


def test_without_the_statistics_selector_the_section_waits(
    people: SimpleNamespace, gov_october: SimpleNamespace, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delattr(stats_selectors, "stats_application_overview")
    with time_machine.travel(AFTER, tick=False):
        data = selectors.monthly_report_data(user=people.supervisor, month="2026-10")
    assert data["applications"] is None
    html = pdf.monthly_html(data)
    assert "办件统计暂未接入" in html and 'id="app-received"' not in html
    # The ratings do not depend on it.
    assert 'id="ratings-total">4<' in html


def test_a_unit_administrator_reads_their_units_applications_and_ratings(
    people: SimpleNamespace, district: SimpleNamespace, gov_october: SimpleNamespace
) -> None:
    admin_b = UserFactory(username="unit_admin_b", roles=[Role.UNIT_ADMIN], unit=district.dept_b)
    with time_machine.travel(AFTER, tick=False):
        mine = selectors.monthly_report_data(user=people.unit_admin_a, month="2026-10")
        theirs = selectors.monthly_report_data(user=admin_b, month="2026-10")
        street = selectors.monthly_report_data(user=people.street_admin, month="2026-10")
    assert (mine["applications"]["totals"]["received"], mine["evaluations"]["total"]["total"]) == (5, 4)
    assert [row["code"] for row in mine["applications"]["by_unit"]] == ["LS-ZJ"]
    assert (theirs["applications"]["totals"]["received"], theirs["evaluations"]["total"]["total"]) == (1, 0)
    assert theirs["evaluations"]["by_matter"] == []
    assert (street["applications"]["totals"]["received"], street["evaluations"]["total"]["total"]) == (0, 0)


def test_the_monthly_download_carries_the_sections(
    people: SimpleNamespace, gov_october: SimpleNamespace, get_as: Any
) -> None:
    with time_machine.travel(AFTER, tick=False):
        response = get_as(people.leader, "/reports/monthly/2026-10.xlsx")
    wb = load_workbook(io.BytesIO(body_of(response)))
    for sheet in ("办件概览", "办件按单位", "办件按事项", "办件按渠道", "办件环节用时", "好差评", "好差评按事项"):
        assert sheet in wb.sheetnames, sheet


# --- GET /reports/stats.xlsx?kind=application ------------------------------------------------------------------------

STATS_URL = "/reports/stats.xlsx"


def test_the_statistics_xlsx_of_applications(
    people: SimpleNamespace, gov_october: SimpleNamespace, get_as: Any
) -> None:
    with time_machine.travel(AFTER, tick=False):
        response = get_as(people.supervisor, STATS_URL, kind="application", **PERIOD)
        flt = stats_selectors.stats_application_filter_parse(PERIOD, people.supervisor)
        expected = stats_selectors.stats_application_overview(user=people.supervisor, flt=flt)
    assert response.status_code == 200
    assert (
        "filename*=UTF-8''%E5%8A%9E%E4%BB%B6%E7%BB%9F%E8%AE%A1-2026-10-01_2026-10-31.xlsx"
        in (response["Content-Disposition"])
    )
    wb = workbook_of(response)
    assert wb.sheetnames == ["筛选条件", "办件概览", "办件按单位", "办件按事项", "办件按渠道", "办件环节用时"]
    filters = dict(rows(wb, "筛选条件")[1:])
    assert (filters["开始日期"], filters["单位"]) == (datetime(2026, 10, 1), "全部")
    summary = keyed(wb, "办件概览")
    assert summary["收件量"][1] == expected["totals"]["received"] == 6
    assert summary["按时办结率"][1:4] == (expected["rates"]["on_time"], 3, 4)
    assert {code: row[2] for code, row in keyed(wb, "办件按单位").items()} == {
        row["code"]: row["received"] for row in expected["by_unit"]
    }
    note = json.loads(AuditEvent.objects.get(action="report.stats_xlsx").note)
    assert (note["kind"], note["rows"], note["filters"]["date_to"]) == ("application", 6, "2026-10-31")


def test_the_statistics_xlsx_of_applications_takes_their_filters(
    people: SimpleNamespace, gov_october: SimpleNamespace, get_as: Any
) -> None:
    with time_machine.travel(AFTER, tick=False):
        online = workbook_of(get_as(people.supervisor, STATS_URL, kind="application", channel="online", **PERIOD))
        unit_b = workbook_of(get_as(people.supervisor, STATS_URL, kind="application", unit="LS-RS", **PERIOD))
        # The order overview stays the default, and says so when asked by name.
        orders = workbook_of(get_as(people.supervisor, STATS_URL, kind="workorder", **PERIOD))
    assert keyed(online, "办件概览")["收件量"][1] == 1
    assert keyed(unit_b, "办件概览")["收件量"][1] == 1 and dict(rows(unit_b, "筛选条件")[1:])["单位"] == "LS-RS"
    assert "概览" in orders.sheetnames and "办件概览" not in orders.sheetnames


@pytest.mark.parametrize(
    "params",
    [
        {"kind": "pigeon"},
        {"kind": "application", "channel": "phone"},  # an order channel is no application channel
        {"kind": "application", "matter": "0000"},
        {"kind": "application", "date_from": "2026-10-32"},
    ],
)
def test_bad_application_statistics_filters_are_400(
    people: SimpleNamespace, get_as: Any, params: dict[str, str]
) -> None:
    response = get_as(people.supervisor, STATS_URL, **params)
    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode()
    assert not AuditEvent.objects.filter(action="report.stats_xlsx").exists()


@pytest.mark.parametrize("who", ["operator", "handler_a", "citizen"])
def test_application_statistics_are_for_the_dashboard_roles(people: SimpleNamespace, get_as: Any, who: str) -> None:
    assert get_as(getattr(people, who), STATS_URL, kind="application").status_code == 403
