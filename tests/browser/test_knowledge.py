"""The operator answers a caller from the knowledge base, in a real browser: the caller's own words find the
published article (with the matched words highlighted), the consultation is registered and answered from it, the
order closes citing it, and the article's page counts the use."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from govdesk.common import clock
from govdesk.knowledge.models import Article, ArticleUse
from govdesk.knowledge.tests.factories import published_article
from govdesk.org.tests.factories import TEST_PASSWORD
from govdesk.workorders.models import WorkOrder
from govdesk.workorders.states import Status

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTICLE_TITLE = "购房如何提取住房公积金"
ARTICLE_ANSWER = (
    "职工购买自住住房，可以提取本人住房公积金账户内的存储余额。请携带本人身份证、购房合同和本人银行卡，"
    "到区政务服务中心住房公积金窗口办理，材料齐全的当场审核，三个工作日内到账。"
)
# What the caller says: not the article's words.
CALLER_TITLE = "买房想把公积金取出来"
CALLER_CONTENT = "我刚买了房子，想把公积金取出来用，需要准备哪些材料，去哪里办？请回电13912340001。"


def _request_failed(page: Any, request: Any) -> None:
    # A search still in flight when the page moves on (the answer form is submitted) is cancelled by the browser:
    # nothing the operator sees. Any other failed request is a problem.
    if request.failure == "net::ERR_ABORTED" and "/api/v1/knowledge/" in request.url:
        return
    page.problems.append(f"failed: {request.url} {request.failure}")


def chinese_page(browser: Any, base: str, username: str) -> Any:
    """A zh-CN browser logged in as `username` (the password sent with Enter), collecting what goes wrong."""
    context = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 900})
    page = context.new_page()
    page.problems = []
    page.on("pageerror", lambda exc: page.problems.append(f"page error: {exc}"))
    page.on("console", lambda msg: page.problems.append(f"console: {msg.text}") if msg.type == "error" else None)
    page.on("response", lambda r: page.problems.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None)
    page.on("requestfailed", lambda req: _request_failed(page, req))
    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", TEST_PASSWORD)
    page.locator("#id_password").press("Enter")
    page.wait_for_load_state("networkidle")
    return page


def use_count_on_its_page(page: Any, base: str, article: Article) -> str:
    page.goto(f"{base}/knowledge/{article.code}/")
    return page.locator("[data-testid=use-count]").inner_text().strip()


def test_the_operator_answers_a_caller_from_the_knowledge_base(
    live_server: Any, browser: Any, people: Any, district: Any, categories: Any, artifacts: Path
) -> None:
    base = live_server.url
    valid_to = timezone.localdate(clock.now()) + timedelta(days=365)
    article = published_article(unit=district.dept_a, title=ARTICLE_TITLE, answer=ARTICLE_ANSWER, valid_to=valid_to)
    page = chinese_page(browser, base, "operator")
    searches: list[str] = []
    page.on("request", lambda req: searches.append(req.url) if "/api/v1/knowledge/" in req.url else None)
    assert page.url.endswith("/console/")
    assert use_count_on_its_page(page, base, article) == "0"

    # 1. The operator types what the caller says; the article appears with the matched words highlighted.
    page.goto(f"{base}/console/")
    page.fill("#id_citizen_phone", "13812345678")
    page.fill("#id_citizen_name", "王小明")
    page.select_option("#id_request_type", "consultation")
    page.fill("#id_category", categories.housing.path)
    page.locator("#id_title").press_sequentially(CALLER_TITLE, delay=15)
    page.locator("#id_content").press_sequentially(CALLER_CONTENT, delay=15)
    intake_panel = page.locator("#knowledge-intake")
    found = intake_panel.locator(".knowledge-item", has_text=ARTICLE_TITLE)
    found.wait_for()
    assert article.code in found.inner_text()
    marks = [m.strip() for m in found.locator(".knowledge-passage mark").all_inner_texts()]
    # The caller's key word is marked in the article's passage (there as 住房公积金).
    assert any("公积金" in m for m in marks)
    assert (
        found.locator(".knowledge-meta").inner_text()
        == f"责任单位：{district.dept_a.name} · 有效期至 {valid_to:%Y-%m-%d}"
    )
    # The caller's words travel in the search's URL, which access logs keep: never the phone number in them.
    assert searches and not any("13912340001" in url for url in searches)
    # No answer form before the call is registered: nothing to fill yet.
    assert found.get_by_role("button", name="用此答复").count() == 0
    page.screenshot(path=str(artifacts / "knowledge-01-console-typing.png"), full_page=True)

    # 2. The consultation is registered; its answer form comes with the same panel, searched with the order's words.
    page.locator("#id_content").press("Control+Enter")
    page.locator("[data-testid=registered]").wait_for()
    order = WorkOrder.objects.get()
    assert order.status == Status.NEW and order.request_type.code == "consultation"
    page.get_by_text("咨询类工单：直接答复并办结").click()
    panel = page.locator("#knowledge-registered")
    item = panel.locator(".knowledge-item", has_text=ARTICLE_TITLE)
    item.wait_for()
    assert item.locator(".knowledge-passage mark").count() >= 1
    answer_form = page.locator("#registered-answer form[data-action=answer]")

    # 3. "用此答复" fills the answer and cites the article next to the answer button; the citation can be removed.
    item.get_by_role("button", name="用此答复").click()
    assert answer_form.locator("textarea[name=answer]").input_value() == ARTICLE_ANSWER
    assert answer_form.locator("input[name=article]").input_value() == str(article.pk)
    cited = answer_form.locator("[data-testid=knowledge-cited]")
    assert f"依据知识库 {article.code}《{ARTICLE_TITLE}》" in cited.inner_text()
    cited.get_by_role("button", name="取消引用").click()
    assert answer_form.locator("input[name=article]").input_value() == ""
    assert cited.count() == 0
    item.get_by_role("button", name="用此答复").click()
    assert answer_form.locator("input[name=article]").input_value() == str(article.pk)
    page.screenshot(path=str(artifacts / "knowledge-02-answer-from-article.png"), full_page=True)
    answer_form.get_by_role("button", name="答复并办结").click()
    page.wait_for_load_state("networkidle")
    assert page.url.endswith("/console/")

    # 4. The order is closed, citing the article in its timeline (a link to the article).
    order.refresh_from_db()
    assert order.status == Status.CLOSED and order.answer == ARTICLE_ANSWER
    assert ArticleUse.objects.get().case_id == order.pk
    page.goto(f"{base}/orders/{order.number}/")
    assert page.locator("[data-testid=order-status]").inner_text() == "已办结"
    cited = page.locator("[data-testid=timeline] [data-testid=event-cited]")
    assert f"依据知识库 {article.code}《{ARTICLE_TITLE}》" in cited.inner_text()
    assert (cited.locator("a").get_attribute("href") or "").endswith(f"/knowledge/{article.code}/")
    page.screenshot(path=str(artifacts / "knowledge-03-order-closed.png"), full_page=True)

    # 5. The article's page counts the use.
    assert use_count_on_its_page(page, base, article) == "1"
    page.screenshot(path=str(artifacts / "knowledge-04-article-used.png"), full_page=True)
    # The category suggestions answer 503 without a trained classifier (none in tests; the console says so). Those
    # answers, and the browser's console line for each, are the only problems allowed.
    unavailable = [p for p in page.problems if re.fullmatch(r"HTTP 503: .*/api/v1/dispatch/suggest/", p)]
    console_lines = [p for p in page.problems if p.startswith("console: Failed to load resource") and " 503 " in p]
    assert len(console_lines) == len(unavailable)
    assert [p for p in page.problems if p not in unavailable and p not in console_lines] == []
