"""督办 and unit assessment in a real browser.

1. An order the sweep escalated reaches the supervisor's worklist; the supervisor opens a 督办 there, the unit's
   handler answers it on the order page, the supervisor closes it, and the order's timeline tells the story.
2. The assessment page draws both charts; clicking a unit's bar shows that unit's trend; a unit administrator
   sees only their own unit.
"""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from govdesk.assessment import selectors as assessment_selectors
from govdesk.assessment.models import AssessmentRuleItem, AssessmentRuleSet
from govdesk.assessment.services import assessment_compute
from govdesk.common import clock
from govdesk.supervision.models import Escalation, EscalationStatus, SupervisionCase
from govdesk.supervision.services import supervision_sweep
from govdesk.supervision.states import CaseStatus
from govdesk.workorders import services as wo_services
from govdesk.workorders.states import Status
from govdesk.workorders.tests.factories import make_order

from .pages import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Far enough back that the order's deadline (2 working days) and the escalation delay (2 more working days) have
# passed by now whatever the holidays in between; the live server runs on the real clock.
LONG_AGO = timedelta(days=30)


def log_out(page: Any) -> None:
    problems = page.problems
    page.get_by_role("button", name="退出").click()
    page.wait_for_url(re.compile(r"/login/"))
    assert problems == []
    page.context.close()


def nav(page: Any, label: str) -> None:
    page.locator("nav.main-nav").get_by_role("link", name=label, exact=True).click()
    page.wait_for_load_state("networkidle")


def test_an_escalated_order_is_supervised_answered_and_closed(
    live_server: Any, browser: Any, people: Any, district: Any, categories: Any, artifacts: Path
) -> None:
    base = live_server.url
    with clock.at(clock.now() - LONG_AGO):
        late = make_order(
            people, district, categories.facilities, Status.HANDLING, request_type="consultation", title="路灯一月未修"
        )
    on_time = make_order(people, district, categories.facilities, Status.HANDLING, title="井盖松动")
    swept = supervision_sweep()
    assert swept.escalated == [late.number]
    escalation = Escalation.objects.get(case_id=late.pk)

    # 1. The supervisor finds the escalated order on the worklist and opens a 督办 with a deadline for the answer.
    page = log_in(browser, base, "supervisor")
    nav(page, "督办工作台")
    assert page.url.endswith("/supervise/")
    assert page.locator("h1").inner_text() == "督办工作台"
    item = page.locator("[data-testid=escalation]")
    assert item.count() == 1
    assert late.number in item.inner_text() and on_time.number not in item.inner_text()
    item.locator("summary", has_text="立督办").click()
    item.locator(f"#esc-reason-{escalation.pk}").fill("超期未办结，请三个工作日内报告整改结果")
    item.locator(f"#esc-days-{escalation.pk}").fill("3")
    page.screenshot(path=str(artifacts / "30-supervision-worklist.png"), full_page=True)
    item.get_by_role("button", name="立督办").click()
    page.wait_for_load_state("networkidle")
    assert page.url.endswith("/supervise/")
    assert page.locator(".messages").inner_text() == f"已对工单 {late.number} 立督办。"
    assert page.locator("[data-testid=escalation]").count() == 0
    sc = SupervisionCase.objects.get(case_id=late.pk)
    assert sc.status == CaseStatus.OPEN and sc.answer_days == 3
    assert Escalation.objects.get(pk=escalation.pk).status == EscalationStatus.HANDLED
    opened = page.locator(f"#sc-{sc.pk}")
    assert "超期未办结" in opened.inner_text()
    assert f"答复期限 {timezone.localtime(sc.answer_due_at):%Y-%m-%d %H:%M}" in opened.inner_text()
    log_out(page)

    # 2. The unit's handler sees it above the inbox and on the unit's 督办 page, and answers it on the order page.
    page = log_in(browser, base, "handler_a")
    assert page.url.endswith("/inbox/")
    panel = page.locator("[data-testid=unit-supervision]")
    assert late.number in panel.inner_text() and on_time.number not in panel.inner_text()
    nav(page, "督办件")
    assert page.url.endswith("/supervise/unit/")
    listed = page.locator("[data-testid=supervision-case]")
    assert listed.count() == 1 and "超期未办结" in listed.inner_text()
    assert listed.locator(f"#sc-{sc.pk}-answer summary").inner_text() == "答复督办"
    page.screenshot(path=str(artifacts / "31-supervision-unit.png"), full_page=True)
    listed.get_by_role("link", name=late.number).click()
    page.wait_for_load_state("networkidle")
    assert page.url.split("#")[0].endswith(f"/orders/{late.number}/")
    answer = page.locator(f"#sc-{sc.pk}-answer")
    if answer.get_attribute("open") is None:
        answer.locator("summary").click()
    answer.locator("textarea[name=answer]").fill("已更换路灯线路，12月1日复查正常。联系人：李工")
    page.screenshot(path=str(artifacts / "32-supervision-answer.png"), full_page=True)
    answer.get_by_role("button", name="提交答复").click()
    page.wait_for_load_state("networkidle")
    assert page.url.split("#")[0].endswith(f"/orders/{late.number}/")
    assert page.locator(".messages").inner_text() == "答复督办：已完成。"
    case_box = page.locator(f"#sc-{sc.pk}")
    assert "已更换路灯线路" in case_box.inner_text()
    assert page.locator(f"#sc-{sc.pk}-answer").count() == 0  # answered: nothing more to answer
    assert SupervisionCase.objects.get(pk=sc.pk).status == CaseStatus.ANSWERED
    log_out(page)

    # 3. The supervisor reviews the answer on the worklist and closes the 督办.
    page = log_in(browser, base, "supervisor")
    nav(page, "督办工作台")
    review = page.locator("section[aria-labelledby=answered-title]").locator(f"#sc-{sc.pk}")
    assert "已更换路灯线路" in review.inner_text()
    close = review.locator(f"#sc-{sc.pk}-close")
    close.locator("summary").click()
    assert close.locator("summary").inner_text() == "办结督办"
    close.locator("textarea[name=note]").fill("答复属实，同意办结")
    close.get_by_role("button", name="办结", exact=True).click()
    page.wait_for_load_state("networkidle")
    assert page.url.endswith("/supervise/")
    assert page.locator(".messages").inner_text() == "办结督办：已完成。"
    assert page.locator(f"#sc-{sc.pk}").count() == 0
    assert SupervisionCase.objects.get(pk=sc.pk).status == CaseStatus.CLOSED

    # 4. The order's timeline shows every 督办 step in Chinese; the order itself is still being handled.
    page.goto(f"{base}/orders/{late.number}/")
    page.wait_for_load_state("networkidle")
    steps = [t.strip() for t in page.locator("[data-testid=timeline] li strong").all_inner_texts()]
    assert steps[:3] == ["已受理", "已派单", "已签收"]
    assert [s for s in steps if "督办" in s] == ["升级督办", "督办", "升级督办已处理", "督办已答复", "督办已办结"]
    assert "催办" in steps  # the sweep's automatic 催办 of the overdue order
    assert not [s for s in steps if re.search(r"[A-Za-z]", s)], steps
    assert page.locator("[data-testid=order-status]").inner_text() == "办理中"
    page.screenshot(path=str(artifacts / "33-supervision-timeline.png"), full_page=True)
    log_out(page)


def trend_state(page: Any) -> dict[str, Any]:
    return page.evaluate(
        """() => {
            const el = document.getElementById("chart-trend");
            const chart = echarts.getInstanceByDom(el);
            const series = chart.getOption().series;
            return {
                unit: JSON.parse(document.getElementById("assessment-data").textContent).trend.unit,
                scores: series[0].data,
                ranks: series[1].data,
                rankTicks: chart.getModel().getComponent("yAxis", 1).axis.scale.getTicks().map((t) => t.value),
            };
        }"""
    )


def wait_for_charts(page: Any) -> None:
    for name in ("scores", "trend"):
        page.wait_for_selector(f"#chart-{name}[data-rendered='1']", timeout=15000)
        assert page.locator(f"#chart-{name} canvas").count() >= 1, name


def test_the_assessment_charts_drill_into_a_unit_and_unit_admins_see_their_own(
    live_server: Any, browser: Any, people: Any, district: Any, categories: Any, artifacts: Path
) -> None:
    base = live_server.url
    # Last month (the page's default): dept_a closes both its orders; dept_b closes one and is still handling one.
    month = assessment_selectors.month_shift(assessment_selectors.month_current(), -1)
    with clock.at(clock.now().replace(year=month.year, month=month.month, day=12, hour=10, minute=0)):
        for _ in range(2):
            make_order(people, district, categories.facilities, Status.CLOSED)
        make_order(people, district, categories.wages, Status.CLOSED, unit=district.dept_b, handler=people.handler_b)
        redo = make_order(
            people, district, categories.wages, Status.REPLIED, unit=district.dept_b, handler=people.handler_b
        )
        wo_services.workorder_visit(order=redo, actor=people.operator, resolved=False, satisfaction="unsatisfied")
    AssessmentRuleSet.objects.update(active=False)
    rules = AssessmentRuleSet.objects.create(name="解决率", active=True, effective_from=month, min_orders=1)
    AssessmentRuleItem.objects.create(rule_set=rules, rate_key="resolution", weight=Decimal(100), method="linear")
    results = {r.unit.code: r for r in assessment_compute(month)}
    a, b = district.dept_a.code, district.dept_b.code
    assert results[a].rank == 1 and results[b].rank == 2 and results[a].score > results[b].score

    # 1. Both charts are drawn; the trend shows the top unit by default.
    page = log_in(browser, base, "supervisor")
    nav(page, "单位考核")
    assert re.search(r"/assessment/$", page.url)
    wait_for_charts(page)
    assert page.locator("#ranking-table tbody tr[data-unit]").count() == 2
    bars = page.evaluate(
        """() => echarts.getInstanceByDom(document.getElementById("chart-scores")).getOption().series[0].data
            .map((d) => ({unit: d.unit, value: d.value}))"""
    )
    assert [bar["unit"] for bar in bars] == [a, b]
    state = trend_state(page)
    assert state["unit"] == a and state["ranks"][-1] == 1
    assert state["rankTicks"] == [1, 2]  # ranks are whole numbers from 1, even when the unit was always 1st
    headers = page.locator("#ranking-table thead th").all_inner_texts()
    assert "受理总量" in headers and "工单查询" not in headers  # the column, not the menu's "Orders"
    assert district.dept_a.name in page.locator("#chart-trend").locator("xpath=..").inner_text()
    page.screenshot(path=str(artifacts / "34-assessment.png"), full_page=True)

    # 2. Clicking dept_b's bar switches the trend to dept_b.
    point = page.evaluate(
        """(unit) => {
            const el = document.getElementById("chart-scores");
            el.scrollIntoView({block: "center"});
            const chart = echarts.getInstanceByDom(el);
            const data = chart.getOption().series[0].data;
            const index = data.findIndex((d) => d.unit === unit);
            const [x, y] = chart.convertToPixel({seriesIndex: 0}, [index, Math.max(data[index].value, 2) / 2]);
            const box = el.getBoundingClientRect();
            return {x: box.left + x, y: box.top + y};
        }""",
        b,
    )
    page.mouse.click(point["x"], point["y"])
    page.wait_for_url(re.compile(rf"[?&]unit={b}"))
    page.wait_for_load_state("networkidle")
    wait_for_charts(page)
    state = trend_state(page)
    assert state["unit"] == b and state["ranks"][-1] == 2
    assert state["scores"][-1] == pytest.approx(float(results[b].score))
    caption = page.locator("#chart-trend").locator("xpath=..").inner_text()
    assert district.dept_b.name in caption and district.dept_a.name not in caption.split("\n")[0]
    assert page.input_value("#trend-unit") == b
    page.screenshot(path=str(artifacts / "35-assessment-trend.png"), full_page=True)
    log_out(page)

    # 3. A unit administrator sees their own unit's row, bar and trend only.
    page = log_in(browser, base, "unit_admin_a")
    nav(page, "单位考核")
    wait_for_charts(page)
    rows = page.locator("#ranking-table tbody tr[data-unit]")
    assert rows.count() == 1 and rows.first.get_attribute("data-unit") == a
    assert district.dept_b.name not in page.locator("#assessment").inner_text()
    assert trend_state(page)["unit"] == a
    assert page.locator("[data-testid=recompute]").count() == 0
    page.screenshot(path=str(artifacts / "36-assessment-unit-admin.png"), full_page=True)
    log_out(page)
