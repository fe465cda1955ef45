"""A unit's monthly report (填报) in a real browser, from the office's task to the figure of the work review:

the office issues the September toilets (农村户厕改造) task to a street; the street's handler fills the grid (a line
added with the "Add a line" button), types a word where a number belongs and sees the error in that line's cell with
everything typed kept, corrects it and submits; the office returns it with a note; the handler reads the note,
corrects the number and submits again; the office sees what changed against the first version and accepts. The
figure `toilets_completed` on /review/<year>/ then says the new total, and its link drills down to the figure's
records, whose link opens the ledger row that came from this report (and links back to it)."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from govdesk.ledgers.models import ToiletRenovation
from govdesk.reporting.models import Report

from .pages import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
YEAR = 2026


@pytest.fixture
def review_template(transactional_db: Any) -> None:
    """The shipped review template, which a live-server test's flush removes with the rest of the migration data:
    its data migration's own idempotent step again (as conftest's catalog_defaults does)."""
    from importlib import import_module

    from django.apps import apps

    import_module("govdesk.review.migrations.0002_default_template").load_default(apps, None)


def landed(page: Any, pattern: str) -> None:
    page.wait_for_load_state("networkidle")
    errors = page.locator(".alert-error, .error").all_inner_texts()
    assert re.search(pattern, page.url), f"{page.url}: {errors}"


def figure_text(page: Any, base_url: str) -> str:
    page.goto(f"{base_url}/review/{YEAR}/")
    return page.locator('a.figure[data-figure="toilets_completed"]').first.inner_text()


def test_a_street_reports_the_office_returns_then_accepts_and_the_review_drills_down_to_the_row(
    live_server: Any,
    browser: Any,
    district: SimpleNamespace,
    people: SimpleNamespace,
    review_template: None,
    artifacts: Path,
) -> None:
    base = live_server.url
    office = log_in(browser, base, people.supervisor.username)
    before = figure_text(office, base)

    # The office issues the task to the street.
    office.goto(f"{base}/reporting/tasks/new/")
    office.select_option("#id_kind", "toilets")
    office.fill("#id_year", str(YEAR))
    office.fill("#id_month", "9")
    office.check('input[name="units_choice"][value="pick"]')
    office.locator("details summary").filter(has_text="选择单位").click()
    office.check(f'input[name="unit_codes"][value="{district.street.code}"]')
    office.fill("#id_days", "5")
    office.get_by_role("button", name="下发").click()
    landed(office, r"/reporting/$")
    report = Report.objects.get(unit=district.street)
    assert office.locator('[data-testid="reporting-progress"]').count() == 1

    # The street's handler fills two lines, the second added with the button, one value wrong at first.
    unit = log_in(browser, base, people.street_handler.username)
    unit.goto(f"{base}/reporting/")
    unit.get_by_role("link", name=report.number).click()
    landed(unit, rf"/reporting/{report.number}/$")
    grid = unit.locator('[data-testid="grid"]')
    rows_before = grid.locator("tbody tr").count()
    unit.get_by_role("button", name="添加一行").click()
    assert grid.locator("tbody tr").count() == rows_before + 1
    for index, (village, planned, completed) in enumerate([("滨河社区", "10", "4"), ("龙凤村", "8", "八")]):
        unit.fill(f'input[name="r-{index}-township"]', "滨河街道")
        unit.fill(f'input[name="r-{index}-village"]', village)
        unit.fill(f'input[name="r-{index}-planned"]', planned)
        unit.fill(f'input[name="r-{index}-completed"]', completed)
    unit.locator('[data-testid="submit"]').click()
    unit.wait_for_load_state("networkidle")
    bad_cell = unit.locator('tr[data-row="2"] td.has-error')
    assert bad_cell.locator('input[name="r-1-completed"]').input_value() == "八"
    assert bad_cell.locator('[data-testid="cell-error"]').count() == 1
    assert unit.locator('input[name="r-0-village"]').input_value() == "滨河社区"  # nothing typed was lost
    assert Report.objects.get(pk=report.pk).status == "assigned"
    unit.screenshot(path=str(artifacts / "reporting-grid-error.png"), full_page=True)
    unit.fill('input[name="r-1-completed"]', "8")
    unit.locator('[data-testid="submit"]').click()
    landed(unit, rf"/reporting/{report.number}/$")
    assert unit.locator('[data-testid="report-status"]').get_attribute("data-status") == "submitted"

    # The office returns it with a note.
    office.goto(f"{base}/reporting/{report.number}/")
    office.fill("#id_note", "龙凤村完成数与验收单不符，请核实。")
    office.locator('[data-testid="return"]').click()
    landed(office, rf"/reporting/{report.number}/$")

    # The unit reads the note, corrects the number and submits again.
    unit.goto(f"{base}/reporting/{report.number}/")
    assert "龙凤村完成数与验收单不符" in unit.locator('[data-testid="return-note"]').inner_text()
    assert unit.locator('input[name="r-1-completed"]').input_value() == "8"
    unit.fill('input[name="r-1-completed"]', "6")
    unit.locator('[data-testid="submit"]').click()
    landed(unit, rf"/reporting/{report.number}/$")

    # The office sees what changed against the first version and accepts.
    office.goto(f"{base}/reporting/{report.number}/")
    changes = office.locator('[data-testid="changes"]').inner_text()
    assert "龙凤村" in changes and "8 → 6" in changes
    office.screenshot(path=str(artifacts / "reporting-review.png"), full_page=True)
    office.locator('[data-testid="accept"]').click()
    landed(office, rf"/reporting/{report.number}/$")
    assert office.locator('[data-testid="report-status"]').get_attribute("data-status") == "accepted"
    row = ToiletRenovation.objects.get(year=YEAR, month=9, village="龙凤村")
    assert row.completed == 6 and row.source == f"report:{report.number}"

    # The review's figure says the new total (4 + 6) and drills down to the row.
    after = figure_text(office, base)
    assert (before, after) == ("0座", "10座")
    office.locator('a.figure[data-figure="toilets_completed"]').first.click()
    landed(office, rf"/review/{YEAR}/figures/toilets_completed/$")
    records = office.locator('[data-testid="figure-records"]')
    records.locator(f'a[href="/ledgers/toilets/{row.pk}/"]').click()
    landed(office, rf"/ledgers/toilets/{row.pk}/$")
    office.locator(f'a[href="/reporting/{report.number}/"]').first.wait_for()
    office.goto(f"{base}/reporting/")
    office.screenshot(path=str(artifacts / "reporting-index.png"), full_page=True)
    assert office.js_errors == [], office.js_errors
    # The one refused submission (the word in a number's cell) is the console's only complaint.
    assert len(unit.js_errors) == 1 and "400" in unit.js_errors[0], unit.js_errors
