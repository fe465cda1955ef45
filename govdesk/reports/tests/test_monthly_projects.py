"""The monthly report's 工程建设项目审批 section, read back from the xlsx and the PDF: the average approval times of
the projects' constructed November (counted by hand in govdesk/projects/tests/test_average_times.py)."""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace

import pytest
import time_machine
from openpyxl import load_workbook

from govdesk.projects.tests.time_fixtures import SH, month
from govdesk.reports import exports, pdf, selectors

from .test_monthly import pdf_text

pytestmark = pytest.mark.django_db
__all__ = ["month"]  # fixture


@pytest.fixture
def november(month: SimpleNamespace, people: SimpleNamespace) -> dict[str, object]:
    with time_machine.travel(datetime(2026, 12, 2, 9, 0, tzinfo=SH), tick=False):
        return selectors.monthly_report_data(user=people.leader, month="2026-11")


def test_the_xlsx_has_the_project_sheets(november: dict[str, object]) -> None:
    buffer = io.BytesIO()
    exports.monthly_workbook(november).save(buffer)
    wb = load_workbook(io.BytesIO(buffer.getvalue()))
    headline = {row[0]: row[1] for row in wb["月度要点"].iter_rows(min_row=2, values_only=True)}
    assert headline["工程建设项目办结数"] == 2
    assert headline["工程建设项目平均审批用时（工作日）"] == 18.5
    header = [cell.value for cell in wb["项目平均审批用时"][1]]
    types = {
        row[0]: dict(zip(header, row, strict=True))
        for row in wb["项目平均审批用时"].iter_rows(min_row=2, values_only=True)
    }
    assert (
        types["SOCIAL"]["办结项目"],
        types["SOCIAL"]["平均用时（工作日）"],
        types["SOCIAL"]["最长用时（工作日）"],
    ) == (2, 18.5, 20)
    assert (types["SMALL"]["办结项目"], types["SMALL"]["平均用时（工作日）"]) == (0, None)
    header = [cell.value for cell in wb["审批阶段平均用时"][1]]
    stages = [
        dict(zip(header, row, strict=True)) for row in wb["审批阶段平均用时"].iter_rows(min_row=2, values_only=True)
    ]
    first = next(r for r in stages if r["项目类型代码"] == "SOCIAL" and r["阶段"] == 1)
    assert (first["阶段名称"], first["完成"], first["平均用时（工作日）"], first["阶段时限（工作日）"]) == (
        "立项用地规划许可",
        3,
        5.67,
        10,
    )


def test_the_pdf_prints_the_section(november: dict[str, object], tmp_path: Path) -> None:
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf.monthly_pdf(november))
    text = pdf_text(path)
    assert "工程建设项目审批" in text
    section = text[text.index("工程建设项目审批") :]
    assert "平均审批用时" in section and "18.50" in section  # the projects completed: (17 + 20) / 2
    assert "5.67" in section and "10.00" in section and "3.00" in section  # the stages
    assert "社会投资项目" in section and "立项用地规划许可" in section
