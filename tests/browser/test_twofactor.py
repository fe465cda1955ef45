"""Two-factor login in a real browser: an administrator enrols (QR code and secret), keeps the recovery codes, logs
out, logs in again with password and TOTP, and reaches the admin; GOVDESK_2FA_ROLES makes an operator enrol."""

from __future__ import annotations

from base64 import b32decode
from pathlib import Path
from typing import Any

import pytest
from django_otp.oath import totp

from govdesk.org.services import role_groups_sync
from govdesk.org.tests.factories import TEST_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def code_from(secret: str, *, steps_ahead: int = 0) -> str:
    """What the person's authenticator app shows for the secret read off the page."""
    return f"{totp(b32decode(secret), drift=steps_ahead):06d}"


def new_page(browser: Any) -> Any:
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.problems = []
    page.on("pageerror", lambda exc: page.problems.append(f"page error: {exc}"))
    # HTTP answers ≥ 400 are listed by URL (the wrong code's 400 is expected), so console errors are JS errors only.
    page.on("response", lambda r: page.problems.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None)
    return page


def password_step(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/login/?next=/admin/")
    page.fill("#id_username", username)
    page.fill("#id_password", TEST_PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_load_state("networkidle")


def test_an_administrator_enrols_logs_out_and_logs_in_with_a_code(
    live_server: Any, browser: Any, people: Any, artifacts: Path
) -> None:
    role_groups_sync()
    people.secadmin.is_staff = True
    people.secadmin.save()
    base = live_server.url
    page = new_page(browser)

    password_step(page, base, "secadmin")
    assert page.url.endswith("/login/enrol/")
    # The QR code is drawn inline (SVG), nothing is loaded from elsewhere.
    assert page.locator(".totp-qr svg").count() == 1
    secret = page.locator("#totp-secret").inner_text().strip()
    assert len(secret) >= 32
    page.screenshot(path=str(artifacts / "twofactor-enrol.png"), full_page=True)

    page.fill("#id_otp", code_from(secret))
    page.click("form:has(#id_otp) button[type=submit]")
    page.wait_for_load_state("networkidle")
    codes = [c.strip() for c in page.locator("#recovery-codes code").all_inner_texts()]
    assert len(codes) == 10 and len(set(codes)) == 10
    page.screenshot(path=str(artifacts / "twofactor-recovery-codes.png"), full_page=True)
    page.click("a.button.primary")
    page.wait_for_load_state("networkidle")
    assert page.url.endswith("/admin/")
    assert page.locator("#site-name").count() == 1

    # Log out (the admin's own button, a POST), then in again: password, then the code.
    page.goto(f"{base}/")
    page.click("form[action='/logout/'] button")
    page.wait_for_load_state("networkidle")
    assert "/login/" in page.url
    password_step(page, base, "secadmin")
    assert "/login/verify/" in page.url
    page.fill("#id_otp", "000000" if code_from(secret, steps_ahead=1) != "000000" else "111111")
    page.click("form:has(#id_otp) button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "/login/verify/" in page.url and page.locator(".field .error").count() == 1
    # The code of the enrolment's time step is used up (no replay); the app's next code is accepted. After a wrong
    # code django-otp waits a second before it checks another.
    page.wait_for_timeout(1100)
    page.fill("#id_otp", code_from(secret, steps_ahead=1))
    page.click("form:has(#id_otp) button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert page.url.endswith("/admin/")
    assert page.locator("a[href='/admin/security/twofactoraccount/']").count() >= 1  # the reset page
    page.screenshot(path=str(artifacts / "twofactor-admin.png"), full_page=True)
    assert page.problems == [f"HTTP 400: {base}/login/verify/"], page.problems
    page.context.close()


def test_govdesk_2fa_roles_makes_an_operator_enrol(live_server: Any, browser: Any, people: Any, settings: Any) -> None:
    base = live_server.url
    page = new_page(browser)
    password_step(page, base, "operator")
    assert "/login/enrol/" not in page.url  # not required by default
    page.context.close()

    settings.GOVDESK = {**settings.GOVDESK, "TWO_FACTOR_ROLES": ["operator"]}
    page = new_page(browser)
    password_step(page, base, "operator")
    assert page.url.endswith("/login/enrol/")
    assert page.locator("#totp-secret").count() == 1
    page.context.close()
