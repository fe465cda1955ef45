"""The service hall in a real browser: a ticket is taken and called, the clerk finds the matter by its pinyin initials
and registers an application missing two materials, the 一次性告知书 (read back as text) lists both, the applicant adds
the application to their account and supplements online, the clerk accepts, the unit suspends, resumes and approves,
the clerk delivers the result, the applicant rates 非常不满意 on the web, the supervisor verifies the rectification,
the unit answers it and the applicant rates the rectification.

The scenario runs just before National Day 2026 (the live server follows the test's clock, time-machine, across
threads): the acceptance's deadline, read on the handler's and the applicant's pages, skips the Golden Week holidays
and the weekends and counts the make-up Saturday; the suspension for expert review spans the holidays too, and the
deadline moves by exactly the working days it lasted. Both are computed here from the calendar's working days."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from govdesk.applications.models import Application, QueueTicket
from govdesk.applications.states import Status
from govdesk.applications.tests.factories import APPLICANT, hall
from govdesk.calendar.selectors import calendar_get
from govdesk.evaluations.models import Evaluation, Rectification

from .pages import log_in

__all__ = ["hall"]
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
SHANGHAI = ZoneInfo("Asia/Shanghai")
# Tuesday before National Day: the 5 working days of the limit run over the Golden Week (1–7 October) and the make-up
# working Saturday (10 October). The unit suspends the next day and resumes after the holidays.
SCENARIO_START = datetime(2026, 9, 29, 9, 30, tzinfo=SHANGHAI)
SUSPENDED_AT = datetime(2026, 9, 30, 10, 0, tzinfo=SHANGHAI)
RESUMED_AT = datetime(2026, 10, 9, 10, 0, tzinfo=SHANGHAI)


@pytest.fixture
def scenario_clock(settings: Any) -> Iterator[Any]:
    """The test's days, for the test and the live server alike; the people stay logged in while the clock jumps."""
    settings.SESSION_COOKIE_AGE = 30 * 24 * 3600
    settings.SESSION_ABSOLUTE_TIMEOUT = timedelta(days=30)
    with time_machine.travel(SCENARIO_START, tick=True) as traveller:
        yield traveller


def working_days_between(first: date, last: date) -> int:
    """Working days after `first` up to and including `last`, by the calendar service's day by day answer."""
    cal = calendar_get()
    return sum(cal.is_workday(first + timedelta(days=n)) for n in range(1, (last - first).days + 1))


def nth_working_day_after(day: date, count: int) -> date:
    cal = calendar_get()
    while count:
        day += timedelta(days=1)
        count -= cal.is_workday(day)
    return day


def deadline_shown(page: Any) -> str:
    """The completion deadline as the page shows it (the staff page adds the time)."""
    return str(page.inner_text("[data-testid=due-at]")).strip()


def pdf_text(data: bytes, path: Path) -> str:
    executable = shutil.which("pdftotext")
    assert executable, "pdftotext is missing: install poppler-utils"
    path.write_bytes(data)
    result = subprocess.run([executable, "-layout", str(path), "-"], check=True, capture_output=True, text=True)  # noqa: S603
    return "".join(result.stdout.split())


def test_a_ticket_becomes_an_application_corrected_online_and_delivered(
    live_server: Any, browser: Any, hall: Any, people: Any, artifacts: Path, tmp_path: Path, scenario_clock: Any
) -> None:
    base = live_server.url

    # 1. A citizen takes a number at the kiosk (no login).
    kiosk = browser.new_context().new_page()
    kiosk.goto(f"{base}/window/ticket/")
    kiosk.click("[data-testid=take-A]")
    assert kiosk.inner_text("[data-testid=ticket-number]") == "A001"
    kiosk.screenshot(path=str(artifacts / "window-01-ticket.png"))
    display = browser.new_context().new_page()
    display.goto(f"{base}/window/display/")

    # 2. The clerk calls it to window 3; the hall's screen shows it without reloading.
    clerk = log_in(browser, base, "clerk", accept_downloads=True)
    clerk.goto(f"{base}/window/")
    clerk.fill("#id_window", "3")
    clerk.click("[data-testid=call-next]")
    assert clerk.inner_text("[data-testid=current-ticket]") == "A001"
    display.locator("[data-testid=call-latest]").filter(has_text="A001").wait_for(timeout=10_000)
    assert "3" in display.inner_text("[data-testid=call-latest]")
    display.screenshot(path=str(artifacts / "window-02-display.png"))

    # 3. The matter by its pinyin initials, from the keyboard.
    clerk.focus("#matter-q")
    clerk.keyboard.type("jzgc")
    clerk.locator("#matter-results a.active").wait_for()
    clerk.keyboard.press("Enter")
    clerk.wait_for_url(re.compile(r"matter="))
    assert "建筑工程施工许可" in clerk.inner_text("[data-testid=matter-name]")

    # 4. Registered with only the application form (M01): 一次性告知 for M02 and M03.
    clerk.fill("#id_applicant_name", APPLICANT["applicant_name"])
    clerk.fill("#id_applicant_phone", APPLICANT["applicant_phone"])
    clerk.fill("#id_applicant_id_number", APPLICANT["applicant_id_number"])
    clerk.fill("#id_f_project_name", "滨河小区3号楼")
    clerk.fill("#id_f_area", "12000")
    clerk.check("#id_f_promise")
    clerk.check("#received-M01")
    clerk.screenshot(path=str(artifacts / "window-03-counter.png"), full_page=True)
    clerk.click("[data-testid=decide-correction]")
    clerk.locator("[data-testid=registered]").wait_for()
    application = Application.objects.get()
    assert application.status == Status.CORRECTION and application.number in clerk.inner_text(
        "[data-testid=registered]"
    )
    link = clerk.locator("a.notice-link[data-kind=correction]")
    notice = clerk.request.get(base + str(link.get_attribute("href")))
    assert notice.ok and notice.headers["content-type"] == "application/pdf"
    text = pdf_text(notice.body(), tmp_path / "correction.pdf")
    assert "一次性告知书" in text and "建设工程规划许可证" in text and "施工合同" in text
    clerk.click("[data-testid=done]")
    assert QueueTicket.objects.get().status == "done"

    # 5. The applicant adds it to their account with the ID number and uploads exactly what is missing.
    citizen = log_in(browser, base, "applicant")
    citizen.set_viewport_size({"width": 390, "height": 844})  # a phone
    citizen.goto(f"{base}/apply/")
    citizen.click("summary")
    citizen.fill("#id_number", application.number)
    citizen.fill("#id_id_number", APPLICANT["applicant_id_number"])
    citizen.click("[data-testid=claim]")
    citizen.wait_for_url(re.compile(rf"/apply/mine/{application.number}/"))
    form = citizen.locator("#supplement-form")
    assert form.locator("input[type=file]").count() == 2
    scan = tmp_path / "scan.pdf"
    scan.write_bytes(PDF)
    citizen.set_input_files("#file-M02", str(scan))
    citizen.set_input_files("#file-M03", str(scan))
    citizen.screenshot(path=str(artifacts / "window-04-supplement.png"), full_page=True)
    citizen.click("[data-testid=supplement]")
    citizen.locator("#supplement-form").wait_for(state="detached")
    application.refresh_from_db()
    assert application.status == Status.SUBMITTED

    # 6. The clerk accepts; the unit suspends for expert review, resumes and approves; the clerk delivers.
    def act(page: Any, action: str, reason: str = "") -> None:
        page.goto(f"{base}/applications/{application.number}/")
        form = page.locator(f"#act-{action}")
        if reason:
            form.locator("textarea[name=reason]").fill(reason)
        if action == "suspend":
            form.locator("select[name=kind]").select_option("expert_review")
        form.locator("button[type=submit]").click()
        page.wait_for_load_state("networkidle")

    act(clerk, "accept")
    application.refresh_from_db()
    assert application.status == Status.HANDLING and application.due_at is not None

    # The deadline skips the holidays and weekends in range: 9-30, (1–7 Oct off), 10-8, 10-9, Sat 10-10 (make-up),
    # (Sunday 10-11), 10-12. Counted here day by day from the calendar; the pages must show the same day.
    accepted_on = SCENARIO_START.date()
    limit = hall.matter.promised_limit_days
    due_on = nth_working_day_after(accepted_on, limit)
    assert due_on == date(2026, 10, 12)  # the State Council's arrangement for 2026, as the calendar ships it
    cal = calendar_get()
    days_off = [
        accepted_on + timedelta(days=n)
        for n in range(1, (due_on - accepted_on).days)
        if not cal.is_workday(accepted_on + timedelta(days=n))
    ]
    assert any(day.weekday() < 5 for day in days_off), "no public holiday inside the limit: choose another date"
    assert any(day.weekday() >= 5 for day in days_off) and (due_on - accepted_on).days > limit + 2
    handler = log_in(browser, base, "handler_a")
    handler.goto(f"{base}/applications/{application.number}/")
    assert deadline_shown(handler).startswith(due_on.isoformat()), deadline_shown(handler)
    citizen.goto(f"{base}/apply/mine/{application.number}/")
    assert deadline_shown(citizen) == due_on.isoformat()

    # Suspended the day after, over the holidays, resumed on 9 October: the deadline moves by the working days the
    # clock stood, counted here, not read from the page.
    scenario_clock.move_to(SUSPENDED_AT)
    act(handler, "suspend", "组织专家评审")
    assert Application.objects.get().status == Status.SUSPENDED
    assert deadline_shown(handler) == "—"
    scenario_clock.move_to(RESUMED_AT)
    act(handler, "resume")
    stood = working_days_between(SUSPENDED_AT.date(), RESUMED_AT.date())
    assert stood == 2  # 8 and 9 October: nine calendar days, two of them working days
    moved_to = nth_working_day_after(due_on, stood)
    assert moved_to == date(2026, 10, 14)
    assert deadline_shown(handler).startswith(moved_to.isoformat()), deadline_shown(handler)
    assert handler.get_attribute("[data-testid=suspension]", "data-working-days") == str(stood)
    handler.screenshot(path=str(artifacts / "window-05a-resumed.png"), full_page=True)
    citizen.goto(f"{base}/apply/mine/{application.number}/")
    assert deadline_shown(citizen) == moved_to.isoformat()
    act(handler, "approve")
    assert Application.objects.get().status == Status.APPROVED
    act(clerk, "deliver")
    assert Application.objects.get().status == Status.CLOSED

    # The applicant follows it all on their page; the public tracking page shows it masked.
    citizen.goto(f"{base}/apply/mine/{application.number}/")
    assert citizen.locator("[data-testid=status]").get_attribute("class") == "status status-closed"
    citizen.screenshot(path=str(artifacts / "window-05-closed.png"), full_page=True)
    public = browser.new_context().new_page()
    public.goto(f"{base}/apply/track/")
    public.fill("#id_number", application.number)
    public.fill("#id_id_last4", APPLICANT["applicant_id_number"][-4:])
    public.click("main button[type=submit]")
    public.wait_for_load_state("networkidle")
    public.screenshot(path=str(artifacts / "window-06-track.png"), full_page=True)
    result = public.inner_text("[data-testid=track-result]")
    assert "张**" in result and "张建国" not in result

    # 7. 好差评: the applicant rates 非常不满意 on their phone, which opens a rectification; the supervisor verifies it,
    # the unit answers, and the applicant rates the rectification on the same page.
    citizen.goto(f"{base}/rate/case/{application.number}/")
    citizen.fill("#id_comment_case", "窗口让我跑了两次")
    citizen.click("[data-testid=rate-case-1]")
    citizen.wait_for_load_state("networkidle")
    rectification = Rectification.objects.get(evaluation__case_id=application.pk)
    assert rectification.evaluation.level == 1 and rectification.primary_unit == people.handler_a.unit
    assert rectification.evaluation.channel == "web" and rectification.evaluation.rated_by == hall.applicant

    def rectify(page: Any, action: str, fill: Any) -> None:
        page.goto(f"{base}/evaluations/rectifications/{rectification.number}/")
        page.click(f"#r-{rectification.number}-{action} summary")
        form = page.locator(f"#r-{rectification.number}-{action} form")
        fill(form)
        form.locator("button[type=submit]").click()
        page.wait_for_load_state("networkidle")

    supervisor = log_in(browser, base, "supervisor")
    rectify(supervisor, "verify", lambda form: form.locator("input[value=yes]").check())
    assert Rectification.objects.get().status == "rectifying"
    rectify(handler, "answer", lambda form: form.locator("textarea").fill("已对窗口人员进行一次性告知培训"))
    assert Rectification.objects.get().status == "answered"
    citizen.goto(f"{base}/rate/case/{application.number}/")
    assert "一次性告知培训" in citizen.inner_text("[data-testid=rectification-answer]")
    citizen.click("[data-testid=rate-rectification-4]")
    citizen.wait_for_load_state("networkidle")
    citizen.screenshot(path=str(artifacts / "window-07-rated.png"), full_page=True)
    closed = Rectification.objects.get()
    assert closed.status == "closed"
    assert Evaluation.objects.get(case_id=closed.pk).level == 4
    for page in (clerk, citizen, handler, supervisor):
        assert page.js_errors == [], page.js_errors
