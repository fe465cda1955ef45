"""A large order-list export in a real browser: queued from the list, prepared in the background, downloaded."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from openpyxl import load_workbook

from govdesk.workorders.states import Status
from govdesk.workorders.tests.factories import make_order

from .pages import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_large_export_is_prepared_in_the_background_and_downloaded(
    live_server: Any, browser: Any, people: Any, district: Any, categories: Any, artifacts: Path, settings: Any
) -> None:
    # Over two rows is "large" here; the task queue runs tasks at once in tests, so the job is ready on arrival.
    settings.GOVDESK = {**django_settings.GOVDESK, "EXPORT_INLINE_ROWS": 2}
    orders = [make_order(people, district, categories.facilities, Status.HANDLING) for _ in range(3)]
    page = log_in(browser, live_server.url, "supervisor", accept_downloads=True)
    page.goto(f"{live_server.url}/orders/")
    page.locator("[data-testid=orders-export]").click()
    page.wait_for_url("**/reports/exports/")
    assert "3 件工单正在后台生成" in page.locator("main").inner_text()
    row = page.locator("[data-testid=exports] tbody tr").first
    assert row.get_attribute("data-status") == "done"
    page.screenshot(path=str(artifacts / "30-exports.png"), full_page=True)
    with page.expect_download() as download_info:
        row.locator("[data-testid=export-download]").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".xlsx")
    workbook = load_workbook(io.BytesIO(Path(download.path()).read_bytes()), read_only=True)
    numbers = {row[0] for row in workbook["工单"].iter_rows(min_row=2, values_only=True)}
    assert numbers == {o.number for o in orders}
    # Back to the list from the exports page, and its link to them.
    page.get_by_role("link", name="返回工单列表").click()
    page.wait_for_url("**/orders/")
    page.locator("[data-testid=my-exports]").click()
    page.wait_for_url("**/reports/exports/")
    assert page.problems == []
