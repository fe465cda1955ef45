"""A citizen on a phone submits with a plain-language topic; the dispatcher sees the system's category proposal,
changes the category and dispatches (issue 15 §7), in a real browser."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from captcha.models import CaptchaStore

from govdesk.catalog.models import PublicTopic
from govdesk.dispatch.selectors import dispatch_model_forget
from govdesk.dispatch.tests.classifier_fixture import tiny_model_file
from govdesk.workorders.models import WorkOrder
from govdesk.workorders.states import Status

from .pages import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def model(settings: Any, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The tiny fixture classifier, so the live server proposes with a model, as in production."""
    settings.GOVDESK = {
        **settings.GOVDESK,
        "DISPATCH_MODEL_PATH": str(tiny_model_file(tmp_path_factory.getbasetemp())),
    }
    dispatch_model_forget()
    yield
    dispatch_model_forget()


def test_a_citizen_on_a_phone_picks_a_topic_and_the_dispatcher_decides_the_category(
    live_server: Any, browser: Any, people: Any, district: Any, categories: Any, model: Any, artifacts: Path
) -> None:
    # The shipped topics name the real tree; this test's tree is the small one, so its topics are mapped to it.
    PublicTopic.objects.all().delete()
    PublicTopic.objects.create(
        code="street-lights",
        name="路灯照明",
        description="路灯不亮、灯杆损坏",
        category_path=categories.branch.path,
        fallback_path=categories.facilities.path,
        order=1,
    )
    PublicTopic.objects.create(code="other", name="其他", fallback_path=categories.housing.path, order=2)

    # 1. The citizen, on a phone, describes the problem and taps a topic: no category tree anywhere.
    context = browser.new_context(
        locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.goto(f"{live_server.url}/public/submit/")
    assert page.locator("input[name=category], #category-paths").count() == 0
    assert categories.facilities.path not in page.content()
    topics = page.locator("[data-testid=topics]")
    assert topics.get_by_text("路灯照明").is_visible()
    page.select_option("#id_request_type", "help")
    page.fill("#id_title", "小区门口路灯不亮")
    page.fill("#id_content", "永宁路小区门口的路灯坏了两周，晚上很黑，老人孩子出门不安全。")
    topics.get_by_text("路灯照明").tap()
    assert page.locator("input[name=topic][value=street-lights]").is_checked()
    page.fill("#id_citizen_phone", "13912340001")
    key = page.locator("input[name=captcha_0]").input_value()
    page.fill("input[name=captcha_1]", CaptchaStore.objects.get(hashkey=key).response)
    # Nothing wider than the phone: no sideways scrolling.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.screenshot(path=str(artifacts / "public-submit-01-topic.png"), full_page=True)
    page.get_by_role("button", name="提交", exact=True).click()
    number = page.locator("[data-testid=order-number]").inner_text().strip()
    page.screenshot(path=str(artifacts / "public-submit-02-received.png"), full_page=True)
    order = WorkOrder.objects.get(number=number)
    assert order.channel == "web" and order.category.path.startswith(categories.branch.path + "/")
    assert order.events.get(action="register").data["topic"] == "street-lights"
    assert problems == []
    context.close()

    # 2. The dispatcher sees the category marked as the system's proposal, changes it and dispatches.
    page = log_in(browser, live_server.url, "dispatcher")
    item = page.locator(f"#order-{number}")
    assert item.locator("[data-testid=category-proposed]").is_visible()
    assert item.locator("input[name=category]").input_value() == order.category.path
    page.screenshot(path=str(artifacts / "public-submit-03-queue.png"), full_page=True)
    item.locator("input[name=category]").fill(categories.greening.path)
    item.locator("select[name=unit]").select_option(district.dept_a.code)
    item.get_by_role("button", name="派单").click()
    page.wait_for_load_state("networkidle")
    assert page.locator(f"#order-{number}").count() == 0
    order.refresh_from_db()
    assert order.status == Status.DISPATCHED and order.category == categories.greening
    assert order.primary_unit == district.dept_a

    # 3. The order's timeline keeps both: the system's proposal and the dispatcher's decision.
    page.goto(f"{live_server.url}/orders/{number}/")
    assert page.locator("[data-testid=event-category-proposed]").is_visible()
    changed = page.locator("[data-testid=event-category-changed]").inner_text()
    assert categories.greening.path in changed
    page.screenshot(path=str(artifacts / "public-submit-04-timeline.png"), full_page=True)
    assert page.js_errors == []
