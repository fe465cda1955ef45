"""The statistics dashboard in a real browser: every chart drawn, a drill-down to the order list, the list's export."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from govdesk.workorders.states import Status
from govdesk.workorders.tests.factories import make_order

from .pages import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHARTS = ("series", "channel", "type", "category", "unit", "street", "status")


def chart_state(page: Any, name: str) -> dict[str, Any]:
    """What ECharts itself holds for one container: the series types and how many data items each has."""
    return page.evaluate(
        """(name) => {
            const el = document.getElementById("chart-" + name);
            const chart = echarts.getInstanceByDom(el);
            const series = chart ? chart.getOption().series : [];
            return {
                rendered: el.getAttribute("data-rendered"),
                canvas: el.querySelectorAll("canvas").length,
                series: series.map((s) => ({
                    type: s.type,
                    items: s.data.filter((d) => (d && d.value !== undefined ? d.value : d) > 0).length,
                })),
            };
        }""",
        name,
    )


def test_the_dashboard_draws_every_chart_drills_down_and_exports(
    live_server: Any, browser: Any, people: Any, district: Any, categories: Any, artifacts: Path
) -> None:
    base = live_server.url
    # Orders through the real services: three phone complaints at the housing bureau, two web requests for help
    # at the social security bureau (one closed), one new order.
    complaints = [make_order(people, district, categories.facilities, Status.HANDLING) for _ in range(3)]
    help_requests = [
        make_order(
            people,
            district,
            categories.wages,
            Status.HANDLING,
            unit=district.dept_b,
            handler=people.handler_b,
            channel="web",
            request_type="help",
            title="工资被拖欠三个月",
        ),
        make_order(
            people,
            district,
            categories.wages,
            Status.CLOSED,
            unit=district.dept_b,
            handler=people.handler_b,
            channel="web",
            request_type="help",
            title="工资被拖欠两个月",
        ),
    ]
    fresh = make_order(
        people, district, categories.bus, Status.NEW, request_type="suggestion", title="建议增开夜班公交"
    )

    # 1. Every chart is drawn from the API's figures.
    page = log_in(browser, base, "supervisor", accept_downloads=True)
    page.get_by_role("link", name=re.compile("统计分析|Statistics")).click()
    page.wait_for_url(re.compile(r"/stats/"))
    for name in CHARTS:
        page.wait_for_selector(f"#chart-{name}[data-rendered='1']", timeout=15000)
    assert page.locator("#stats-dashboard").get_attribute("data-state") == "ready"
    for name in CHARTS:
        state = chart_state(page, name)
        assert state["canvas"] >= 1, name
        assert state["series"] and state["series"][0]["items"] > 0, (name, state)
    total = page.locator("[data-kpi=total] .kpi-value").inner_text()
    assert total == "6"
    kpis = page.locator("#kpis .kpi")
    assert kpis.count() == 9  # the total and the eight rates
    assert page.locator("[data-kpi=total]").get_attribute("title")
    assert "=" in (page.locator("[data-kpi=finish_on_time]").get_attribute("title") or "")
    assert page.locator("script[src*='vendor/echarts/echarts.min.js']").count() == 1
    page.screenshot(path=str(artifacts / "20-dashboard.png"), full_page=True)

    assert page.problems == []

    # 2. A bad period gets a clear message from the API, not a broken page.
    page.fill("#id_date_from", "2026-12-31")
    page.fill("#id_date_to", "2026-01-01")
    page.locator("#stats-filters button[type=submit]").click()
    page.locator("#stats-error").wait_for(state="visible")
    assert page.locator("#stats-error").inner_text().strip()
    # The refused request is the only thing the browser reports: the API's 400, and Chromium's line about it.
    expected = re.compile(r"HTTP 400: .*/api/v1/stats/overview/\?|console: Failed to load resource: .* 400 ")
    assert page.problems and all(expected.match(p) for p in page.problems), page.problems
    page.problems.clear()
    page.select_option("#id_period", "30d")
    page.wait_for_selector("#stats-dashboard[data-state='ready']")
    for name in CHARTS:
        page.wait_for_selector(f"#chart-{name}[data-rendered='1']", timeout=15000)

    # 3. Big screen mode enlarges the figures and comes back.
    page.click("#bigscreen-toggle")
    assert page.evaluate("document.body.classList.contains('stats-bigscreen')")
    page.wait_for_selector("#chart-type[data-rendered='1']")
    page.screenshot(path=str(artifacts / "21-dashboard-bigscreen.png"))
    page.click("#bigscreen-toggle")
    assert not page.evaluate("document.body.classList.contains('stats-bigscreen')")
    page.wait_for_selector("#chart-type[data-rendered='1']")

    # 4. Clicking the "help" bar of the type chart opens the order list with the matching filters.
    point = page.evaluate(
        """() => {
            const el = document.getElementById("chart-type");
            el.scrollIntoView({block: "center"});
            const chart = echarts.getInstanceByDom(el);
            const data = chart.getOption().series[0].data;
            const index = data.findIndex((d) => d.row.key === "help");
            const [x, y] = chart.convertToPixel({seriesIndex: 0}, [index, data[index].value / 2]);
            const box = el.getBoundingClientRect();
            return {x: box.left + x, y: box.top + y, value: data[index].value};
        }"""
    )
    assert point["value"] == 2
    page.mouse.click(point["x"], point["y"])
    page.wait_for_url(re.compile(r"/orders/\?"))
    page.wait_for_load_state("networkidle")
    url = page.url
    assert "type=help" in url and "created_from=" in url and "created_to=" in url
    assert page.input_value("#id_type") == "help"
    listed = page.locator("table.orders tbody").inner_text()
    for order in help_requests:
        assert order.number in listed
    for order in [*complaints, fresh]:
        assert order.number not in listed
    page.screenshot(path=str(artifacts / "22-drilldown-orders.png"), full_page=True)

    # 5. The list's "导出Excel" downloads exactly these orders as a workbook.
    export = page.locator("[data-testid=orders-export]")
    assert "type=help" in (export.get_attribute("href") or "")
    with page.expect_download() as download_info:
        export.click()
    download = download_info.value
    assert download.suggested_filename.endswith(".xlsx")
    workbook = load_workbook(io.BytesIO(Path(download.path()).read_bytes()), read_only=True)
    cells = {str(c) for sheet in workbook.worksheets for row in sheet.iter_rows(values_only=True) for c in row if c}
    assert {o.number for o in help_requests} <= cells
    assert not ({o.number for o in complaints} & cells)
    assert page.problems == []
