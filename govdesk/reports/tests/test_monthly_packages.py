"""The monthly report's 一件事一次办 section, read back from the xlsx and the PDF: the figures of the packages'
constructed November (worked out by hand in govdesk/packages/tests/stats_fixtures.py)."""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace

import pytest
import time_machine
from openpyxl import load_workbook

from govdesk.packages.tests.case_factories import PACKAGE, birth, fake_pdfs
from govdesk.packages.tests.stats_fixtures import SH, constructed_month
from govdesk.reports import exports, pdf, selectors

from .test_monthly import pdf_text

pytestmark = pytest.mark.django_db
__all__ = ["birth", "constructed_month", "fake_pdfs"]  # fixtures


@pytest.fixture
def november(constructed_month: SimpleNamespace, people: SimpleNamespace) -> dict[str, object]:
    with time_machine.travel(datetime(2026, 12, 2, 9, 0, tzinfo=SH), tick=False):
        return selectors.monthly_report_data(user=people.leader, month="2026-11")


def test_the_xlsx_has_the_package_sheets(november: dict[str, object]) -> None:
    buffer = io.BytesIO()
    exports.monthly_workbook(november).save(buffer)
    wb = load_workbook(io.BytesIO(buffer.getvalue()))
    headline = {row[0]: row[1] for row in wb["月度要点"].iter_rows(min_row=2, values_only=True)}
    assert headline["一件事收件量"] == 4
    assert headline["一件事平均节省工作日"] == 4.33
    rows = list(wb["一件事一次办"].iter_rows(min_row=2, values_only=True))
    header = [cell.value for cell in wb["一件事一次办"][1]]
    total, package = dict(zip(header, rows[0], strict=True)), dict(zip(header, rows[1], strict=True))
    assert (total["收件"], total["受理"], total["出结果"], total["办结"]) == (4, 3, 3, 1)
    assert (total["按时办结"], total["有承诺时限"], total["子事项按时"], total["未启动子事项"]) == (2, 3, 6, 1)
    assert (total["平均总用时（工作日）"], total["逐项申请合计（工作日）"]) == (6.33, 10.67)
    assert (total["少跑腿（次）"], total["少填表（张）"]) == (6, 6)
    assert package["一件事编码"] == PACKAGE and package["牵头单位"] == "LS-ZJ"
    units = list(wb["一件事按牵头单位"].iter_rows(min_row=2, values_only=True))
    assert [row[0] for row in units] == ["LS-ZJ"]


def test_the_pdf_prints_the_section(november: dict[str, object], tmp_path: Path) -> None:
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf.monthly_pdf(november))
    text = pdf_text(path)
    assert "一件事一次办" in text
    section = text[text.index("一件事一次办") :]
    assert "66.7%" in section and "2/3" in section  # decided within the promised total: 2 of 3
    assert "75.0%" in section and "6/8" in section  # parts decided by their own deadline
    assert "6.33" in section and "10.67" in section and "4.33" in section
    assert "新生儿出生" in section and "区住建局" in section  # the package (its name wraps in the cell), the unit
