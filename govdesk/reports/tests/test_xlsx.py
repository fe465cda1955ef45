"""The xlsx cell rules: no formulas from text, dates as dates, illegal characters dropped; the PDF never fetches."""

from __future__ import annotations

import io
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from govdesk.reports import exports, pdf
from govdesk.reports.xlsx import Column, SheetWriter, new_workbook, save, sheet_title

from .sample import sample_overview, sample_report_data


def round_trip(values: list[object]) -> list[Any]:
    wb = new_workbook()
    sheet = SheetWriter(wb, "表", [Column(f"c{i}") for i in range(len(values))])
    sheet.append(values)
    sheet.close()
    buffer = io.BytesIO()
    save(wb, buffer)
    ws = load_workbook(buffer)["表"]
    return [c for c in next(ws.iter_rows(min_row=2))]


@pytest.mark.parametrize(
    "text", ["=1+1", '=HYPERLINK("http://x","y")', "+12", "-3", "@SUM(A1)", "\t=1", "\r=1", "=cmd|' /C calc'!A0"]
)
def test_text_that_looks_like_a_formula_stays_text(text: str) -> None:
    (cell,) = round_trip([text])
    # openpyxl writes through lxml (a requirement since the work review's docx), which keeps a carriage return.
    assert cell.value == text
    assert cell.data_type == "s"


def test_aware_datetimes_become_shanghai_wall_clock_and_dates_stay_dates() -> None:
    utc = datetime(2026, 10, 1, 1, 30, tzinfo=ZoneInfo("UTC"))
    moment, day, number, empty = round_trip([utc, date(2026, 10, 2), 3.5, None])
    assert moment.value == datetime(2026, 10, 1, 9, 30)
    assert moment.is_date and moment.number_format == "yyyy-mm-dd hh:mm"
    assert day.value == datetime(2026, 10, 2) and day.number_format == "yyyy-mm-dd"
    assert number.value == 3.5 and empty.value is None


def test_control_characters_are_dropped_rather_than_breaking_the_file() -> None:
    (cell,) = round_trip(["路灯\x00不亮\x1b"])
    assert cell.value == "路灯不亮"


def test_sheet_titles_are_made_valid() -> None:
    assert sheet_title("a/b[c]:d*e?f\\g") == "a_b_c__d_e_f_g"
    assert len(sheet_title("长" * 40)) == 31


def test_the_stats_workbook_marks_rates_as_percentages_and_formulas_as_text() -> None:
    wb = exports.stats_workbook(sample_overview(), generated_at=datetime(2026, 11, 2, 9, 0, tzinfo=ZoneInfo("UTC")))
    buffer = io.BytesIO()
    save(wb, buffer)
    loaded = load_workbook(buffer)
    rates = loaded["比率"]
    assert rates["B2"].number_format == "0.0%" and rates["B2"].value == pytest.approx(0.35)
    assert rates["F2"].value == pytest.approx(-15.0)
    overdue = loaded["超期工单"]
    assert overdue["B2"].value.startswith("=HYPERLINK") and overdue["B2"].data_type == "s"
    assert overdue["D2"].value == datetime(2026, 10, 10, 9, 0)


def test_the_pdf_refuses_every_url_and_renders_the_sample() -> None:
    html = pdf.monthly_html(sample_report_data()).replace(
        "</body>", '<img src="http://example.invalid/x.png"><link rel="stylesheet" href="file:///etc/passwd"></body>'
    )
    assert "<svg" in html and "&lt;&amp;&gt;" in html
    document, refused = pdf.html_to_pdf(html)
    assert document.startswith(b"%PDF")
    assert "http://example.invalid/x.png" in refused
    assert "file:///etc/passwd" in refused
