"""One call from the console to the closed order, through the pages, in a real browser; and the public pages."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from captcha.models import CaptchaStore

from govdesk.workorders.models import WorkOrder
from govdesk.workorders.states import Status

from .pages import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_call_goes_from_the_console_to_closed(
    live_server: Any, browser: Any, people: Any, district: Any, categories: Any, artifacts: Path
) -> None:
    base = live_server.url

    # 1. The operator registers the call without touching the mouse.
    page = log_in(browser, base, "operator")
    assert page.url.endswith("/console/")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    focused = page.evaluate("document.activeElement.name")
    assert focused == "citizen_phone"
    keyboard = page.keyboard
    keyboard.type("13812345678")
    page.locator("#caller-history").get_by_text("该号码没有历史工单").wait_for()
    keyboard.press("Tab")
    keyboard.type("王小明")
    keyboard.press("Tab")
    keyboard.type("11010519491231002X")
    keyboard.press("Tab")  # confidential checkbox: left unticked
    keyboard.press("Tab")  # type
    for _ in range(3):  # — choose —, consultation, help, complaint
        keyboard.press("ArrowDown")
    assert page.input_value("#id_request_type") == "complaint"
    keyboard.press("Tab")  # urgency: normal
    keyboard.press("Tab")
    keyboard.type(categories.facilities.path)
    keyboard.press("Tab")
    keyboard.type("小区门口路灯不亮")
    keyboard.press("Tab")
    content = "离石区某小区门口的三盏路灯已经一周不亮，晚上行人很不安全。"
    keyboard.type(content)
    assert page.locator(".counter").inner_text() == f"已输入 {len(content)} / 4000 字"
    keyboard.press("Tab")
    keyboard.type("离石区某小区东门")
    page.screenshot(path=str(artifacts / "01-console-filled.png"), full_page=True)
    keyboard.press("Control+Enter")
    page.locator("[data-testid=registered]").wait_for()
    order = WorkOrder.objects.get()
    assert order.number in page.locator("[data-testid=registered]").inner_text()
    assert order.channel == "phone" and order.request_type.code == "complaint" and order.citizen_phone == "13812345678"
    assert page.input_value("#id_citizen_phone") == ""
    assert page.evaluate("document.activeElement.name") == "citizen_phone"
    page.screenshot(path=str(artifacts / "02-console-registered.png"), full_page=True)
    page.get_by_role("button", name="退出").click()
    page.wait_for_url(re.compile(r"/login/"))

    # 2. The dispatcher sends it to the unit the catalogue suggests.
    page = log_in(browser, base, "dispatcher")
    assert page.url.endswith("/dispatch/")
    item = page.locator(f"#order-{order.number}")
    assert district.dept_a.name in item.locator(".suggestion").inner_text()
    assert item.locator("select[name=unit]").input_value() == district.dept_a.code
    page.screenshot(path=str(artifacts / "03-dispatch-queue.png"), full_page=True)
    item.get_by_role("button", name="派单").click()
    page.wait_for_load_state("networkidle")
    assert page.locator(f"#order-{order.number}").count() == 0
    order.refresh_from_db()
    assert order.status == Status.DISPATCHED

    # 3. The handler signs in the inbox, then replies on the detail page.
    page = log_in(browser, base, "handler_a")
    assert page.url.endswith("/inbox/")
    row = page.locator(f"#order-{order.number}")
    assert "待签收" in row.inner_text()
    page.screenshot(path=str(artifacts / "04-inbox.png"), full_page=True)
    row.get_by_role("button", name="签收").click()
    page.wait_for_load_state("networkidle")
    row = page.locator(f"#order-{order.number}")
    assert "办理中" in row.inner_text()
    row.get_by_role("link", name="答复").click()
    page.wait_for_load_state("networkidle")
    reply = page.locator("#act-reply")
    if reply.get_attribute("open") is None:
        reply.locator("summary").click()
    reply.locator("textarea[name=reply]").fill("经核实，路灯线路老化，已于今日更换。联系人：李工 0358-1234567")
    reply.locator("textarea[name=reply]").press("Control+Enter")
    page.wait_for_load_state("networkidle")
    assert page.locator("[data-testid=order-status]").inner_text() == "待回访"
    assert "138****5678" in page.locator("[data-testid=citizen-phone]").inner_text()

    # 4. The operator calls back: resolved and satisfied.
    page = log_in(browser, base, "operator")
    page.goto(f"{base}/visits/")
    item = page.locator(f"#order-{order.number}")
    assert "路灯线路老化" in item.inner_text()
    item.get_by_label("是").check()
    item.get_by_label("满意", exact=True).check()
    page.screenshot(path=str(artifacts / "05-visits.png"), full_page=True)
    item.get_by_role("button", name="登记回访结果").click()
    page.wait_for_load_state("networkidle")

    # 5. The order is closed and its timeline shows every step.
    page.goto(f"{base}/orders/{order.number}/")
    assert page.locator("[data-testid=order-status]").inner_text() == "已办结"
    steps = [t.strip() for t in page.locator("[data-testid=timeline] li strong").all_inner_texts()]
    assert steps == ["已受理", "已派单", "已签收", "已答复", "回访"]
    page.screenshot(path=str(artifacts / "06-detail-closed.png"), full_page=True)
    order.refresh_from_db()
    assert order.status == Status.CLOSED and order.visit_satisfaction == "satisfied"
    assert page.js_errors == []


def test_the_public_pages_submit_and_track(live_server: Any, browser: Any, categories: Any, artifacts: Path) -> None:
    context = browser.new_context(locale="en-US", viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    page.goto(f"{live_server.url}/public/submit/")
    assert page.locator("h1").inner_text() == "向 12345 热线提交诉求"
    assert page.locator("img.captcha").evaluate("img => img.complete && img.naturalWidth > 0")
    page.select_option("#id_request_type", "suggestion")
    # No category tree for citizens (issue 15): the system proposes one; tests/browser/test_public_submit.py.
    assert page.locator("#id_category").count() == 0
    page.fill("#id_title", "建议增开夜班公交")
    page.fill("#id_content", "晚上十点后没有公交车，建议增开夜班线路。")
    page.fill("#id_citizen_phone", "13912340001")
    key = page.locator("input[name=captcha_0]").input_value()
    page.fill("input[name=captcha_1]", CaptchaStore.objects.get(hashkey=key).response)
    page.screenshot(path=str(artifacts / "07-public-submit.png"), full_page=True)
    page.get_by_role("button", name="提交", exact=True).click()
    number = page.locator("[data-testid=order-number]").inner_text().strip()
    assert WorkOrder.objects.get(number=number).channel == "web"
    page.get_by_role("link", name="查询办理进度").click()
    page.fill("#id_number", number)
    page.fill("#id_phone_last4", "0001")
    page.get_by_role("button", name="查询").click()
    result = page.locator("section[aria-labelledby=track-result]")
    assert "待派单" in result.inner_text()
    assert "13912340001" not in page.content()
    page.screenshot(path=str(artifacts / "08-public-track.png"), full_page=True)
    context.close()
