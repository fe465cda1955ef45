"""The monthly report: the command, the one-click downloads, the PDF read back (text, figures, embedded CJK fonts)."""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
import types
from datetime import date, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.urls import reverse
from openpyxl import load_workbook

from govdesk.audit.models import AuditEvent
from govdesk.reports import pdf, selectors
from govdesk.reports.labels import RATE_KEYS, RATE_LABELS
from govdesk.reports.management.commands.monthly_report import Command as MonthlyReport
from govdesk.stats.selectors import stats_filter_parse, stats_overview
from govdesk.workorders.states import Status
from govdesk.workorders.tests.factories import make_order

from .conftest import MOMENT, SHANGHAI, body_of
from .sample import sample_report_data

pytestmark = pytest.mark.django_db
AFTER = datetime(2026, 11, 2, 9, 0, tzinfo=SHANGHAI)
HEADINGS = (
    "12345热线月度报告",
    "主要指标",
    "每日受理量",
    "按分类统计",
    "按渠道和类型统计",
    "各单位办理情况",
    "超期工单",
    "本月热点问题",
    "指标说明",
)


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
        new = make_order(people, district, categories.bus, Status.NEW)
    return SimpleNamespace(closed=closed, handling=handling, new=new)


def poppler(tool: str, *args: str) -> str:
    """Run a poppler-utils tool (installed by .ci/run) on our own file."""
    executable = shutil.which(tool)
    assert executable, f"{tool} is missing: install poppler-utils"
    return subprocess.run([executable, *args], check=True, capture_output=True, text=True).stdout  # noqa: S603


def pdf_text(path: Path) -> str:
    return poppler("pdftotext", "-layout", str(path), "-")


def pdf_fonts(path: Path) -> list[list[str]]:
    out = poppler("pdffonts", str(path))
    return [line.split() for line in out.splitlines()[2:] if line.strip()]


def test_the_urls_are_named() -> None:
    assert reverse("reports:monthly_xlsx", args=["2026-10"]) == "/reports/monthly/2026-10.xlsx"
    assert reverse("reports:monthly_pdf", args=["2026-10"]) == "/reports/monthly/2026-10.pdf"


def test_the_command_writes_both_files_with_the_figures_of_the_statistics(
    people: SimpleNamespace, october: SimpleNamespace, tmp_path: Path
) -> None:
    out = io.StringIO()
    with time_machine.travel(AFTER, tick=False):
        call_command("monthly_report", "--month", "2026-10", "--out", str(tmp_path / "out"), stdout=out)
        period = {"date_from": "2026-10-01", "date_to": "2026-10-31"}
        expected = stats_overview(user=people.supervisor, flt=stats_filter_parse(period, people.supervisor))
    xlsx, pdf_path = tmp_path / "out" / "12345月度报告-2026-10.xlsx", tmp_path / "out" / "12345月度报告-2026-10.pdf"
    assert "[1/3]" in out.getvalue() and "done" in out.getvalue()
    assert xlsx.stat().st_size > 0 and pdf_path.read_bytes().startswith(b"%PDF")

    wb = load_workbook(xlsx)
    assert wb.sheetnames[0] == "月度要点"
    headline = {row[0]: row for row in wb["月度要点"].iter_rows(min_row=2, values_only=True)}
    assert headline["受理量"][1] == expected["total"] == 3
    for key in RATE_KEYS:
        assert headline[RATE_LABELS[key]][1] == expected["rates"][key]
    assert "热点问题" in wb.sheetnames

    text = pdf_text(pdf_path)
    for heading in HEADINGS:
        assert heading in text, heading
    assert "2026年10月" in text
    for key in RATE_KEYS:
        line = next(line for line in text.splitlines() if line.strip().startswith(RATE_LABELS[key]))
        assert pdf.percent(expected["rates"][key]) in line, line
        parts = expected["rate_parts"][key]
        assert f"{parts['numerator']}/{parts['denominator']}" in line, line
    assert "区住建局" in text and "区人社局" in text

    fonts = pdf_fonts(pdf_path)
    cjk = [row for row in fonts if "CJK" in row[0] or "WenQuanYi" in row[0]]
    assert cjk, fonts
    # Columns: name type… encoding emb sub uni object ID; "emb" is the 5th from the end.
    assert all(row[-5] == "yes" for row in fonts), fonts
    assert AuditEvent.objects.filter(action="report.monthly_pdf", actor=None).count() == 1


@pytest.mark.parametrize("month", ["2026-13", "26-10", "2026/10", "", "2099-01"])
def test_a_bad_month_is_a_clear_command_error(month: str, tmp_path: Path) -> None:
    with time_machine.travel(AFTER, tick=False), pytest.raises(CommandError) as raised:
        call_command("monthly_report", "--month", month, "--out", str(tmp_path), stdout=io.StringIO())
    message = str(raised.value)
    # The message names the month given, or the expected form.
    assert (month and month in message) or "YYYY-MM" in message, message
    assert not list(tmp_path.iterdir())


def test_a_bad_month_exits_non_zero(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # run_from_argv is what manage.py calls: a CommandError becomes a message on stderr and exit status 1.
    argv = ["manage.py", "monthly_report", "--month", "2026-13", "--out", str(tmp_path)]
    with pytest.raises(SystemExit) as exited:
        MonthlyReport().run_from_argv(argv)
    assert exited.value.code != 0
    assert "2026-13" in capsys.readouterr().err


def test_one_click_xlsx_and_pdf_from_the_dashboard(
    people: SimpleNamespace, october: SimpleNamespace, get_as: Any
) -> None:
    with time_machine.travel(AFTER, tick=False):
        response = get_as(people.leader, "/reports/monthly/2026-10.xlsx")
    assert response.status_code == 200
    assert "filename*=UTF-8''12345%E6%9C%88%E5%BA%A6%E6%8A%A5%E5%91%8A-2026-10.xlsx" in response["Content-Disposition"]
    wb = load_workbook(io.BytesIO(body_of(response)))
    headline = {row[0]: row[1] for row in wb["月度要点"].iter_rows(min_row=2, values_only=True)}
    assert headline["受理量"] == 3
    assert AuditEvent.objects.get(action="report.monthly_xlsx").actor == people.leader


def test_the_pdf_download_is_a_pdf(people: SimpleNamespace, get_as: Any) -> None:
    with time_machine.travel(AFTER, tick=False):
        response = get_as(people.supervisor, "/reports/monthly/2026-10.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert body_of(response).startswith(b"%PDF")


@pytest.mark.parametrize("who", ["operator", "handler_a", "citizen", "auditor"])
def test_monthly_reports_are_for_dashboard_roles(people: SimpleNamespace, get_as: Any, who: str) -> None:
    assert get_as(getattr(people, who), "/reports/monthly/2026-10.xlsx").status_code == 403
    assert get_as(getattr(people, who), "/reports/monthly/2026-10.pdf").status_code == 403


@pytest.mark.parametrize("month", ["2026-13", "2026-1", "abcd-ef", "2099-01"])
def test_a_bad_month_in_the_url_is_400(people: SimpleNamespace, get_as: Any, month: str) -> None:
    with time_machine.travel(AFTER, tick=False):
        assert get_as(people.supervisor, f"/reports/monthly/{month}.xlsx").status_code == 400


def test_a_unit_admin_gets_their_units_report(people: SimpleNamespace, october: SimpleNamespace) -> None:
    with time_machine.travel(AFTER, tick=False):
        data = selectors.monthly_report_data(user=people.unit_admin_a, month="2026-10")
    assert data["overview"]["total"] == 1
    assert [row["key"] for row in data["overview"]["by_unit"]] == ["LS-ZJ"]


@pytest.mark.parametrize("stand_in", [None, types.ModuleType("govdesk.assessment.selectors")])
def test_the_assessment_section_is_left_out_while_the_module_is_absent(
    people: SimpleNamespace, monkeypatch: pytest.MonkeyPatch, stand_in: types.ModuleType | None
) -> None:
    # None in sys.modules makes the import fail; an empty module is one without assessment_month.
    monkeypatch.setitem(sys.modules, "govdesk.assessment.selectors", stand_in)
    assert selectors.month_assessment(user=people.supervisor, first=date(2026, 10, 1)) is None
    data = {**sample_report_data(), "assessment": None}
    assert "单位考核排名" not in pdf.monthly_html(data)
    assert "单位考核排名" in pdf.monthly_html({**data, "assessment": []})


def test_the_assessment_ranking_is_included_when_available(
    people: SimpleNamespace, district: SimpleNamespace, monkeypatch: pytest.MonkeyPatch
) -> None:
    module = types.ModuleType("govdesk.assessment.selectors")
    ranking = [
        {
            "rank": 1,
            "unit": "LS-RS",
            "unit_name": "区人社局",
            "score": 95.5,
            "parts": {},
            "total": 3,
            "previous_rank": 2,
        },
        {
            "rank": 2,
            "unit": "LS-ZJ",
            "unit_name": "区住建局",
            "score": 90.0,
            "parts": {},
            "total": 5,
            "previous_rank": 1,
        },
    ]
    module.assessment_month = lambda *, month: ranking  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "govdesk.assessment.selectors", module)
    first = date(2026, 10, 1)
    assert selectors.month_assessment(user=people.leader, first=first) == ranking
    # A unit administrator sees only their own unit's row.
    assert selectors.month_assessment(user=people.unit_admin_a, first=first) == [ranking[1]]


def test_the_command_can_read_as_an_account(people: SimpleNamespace, october: SimpleNamespace, tmp_path: Path) -> None:
    with time_machine.travel(AFTER, tick=False):
        call_command(
            "monthly_report",
            "--month",
            "2026-10",
            "--out",
            str(tmp_path),
            "--user",
            "unit_admin_a",
            "--format",
            "xlsx",
            stdout=io.StringIO(),
        )
        with pytest.raises(CommandError, match="nobody"):
            call_command("monthly_report", "--month", "2026-10", "--out", str(tmp_path), "--user", "nobody")
    assert [p.name for p in tmp_path.iterdir()] == ["12345月度报告-2026-10.xlsx"]
    wb = load_workbook(tmp_path / "12345月度报告-2026-10.xlsx")
    headline = {row[0]: row[1] for row in wb["月度要点"].iter_rows(min_row=2, values_only=True)}
    assert headline["受理量"] == 1  # the unit administrator's own unit only
    assert AuditEvent.objects.get(action="report.monthly_xlsx").actor == people.unit_admin_a
