"""What the applicant's progress page and the staff package page say about a part's time: a decided part its decision
date and whether it was decided by its decision deadline (`decision_due_at`), never the delivery deadline its `due_at`
becomes at the decision; a waiting part the part it waits for; the package the same for its promised total."""

from __future__ import annotations

import re
from datetime import datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
import time_machine

from govdesk.applications import services as application_services
from govdesk.applications.models import Application
from govdesk.packages import case_services
from govdesk.packages.models import PackageApplication, PackagePart
from govdesk.packages.tests.case_factories import (
    CARD,
    CERTIFICATE,
    REGISTRATION,
    FakePdf,
    birth,
    fake_pdfs,
    package_data,
)
from govdesk.packages.tests.page_fixtures import logged_in

pytestmark = pytest.mark.django_db
__all__ = ["birth", "fake_pdfs"]  # fixtures

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _at(day: int, hour: int = 10) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=SHANGHAI)  # November 2026: no holiday, Monday the 2nd


def _approve(birth: SimpleNamespace, package_application: PackageApplication, code: str) -> Application:
    part = PackagePart.objects.select_related("application").get(
        package_application=package_application, matter__code=code
    )
    assert part.application is not None
    application_services.application_approve(application=part.application.number, actor=birth.deciders[code])
    return Application.objects.get(pk=part.application.pk)


def _row(html: str, code: str) -> str:
    found = re.search(rf'<tr data-testid="part" data-matter="{code}".*?</tr>', html, re.S)
    assert found, code
    return found.group(0)


def _day(moment: datetime | None) -> str:
    assert moment is not None
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%d")


def test_decided_parts_show_their_decision_date_and_deadline_waiting_parts_what_they_wait_for(
    birth: SimpleNamespace, people: SimpleNamespace, fake_pdfs: FakePdf
) -> None:
    citizen = people.citizen
    with time_machine.travel(_at(2), tick=False):
        submitted = case_services.package_submit(actor=citizen, data=package_data(birth, channel="online"))
        package_application = case_services.package_accept(package_application=submitted.number, actor=birth.clerk)
    number = package_application.number
    progress, staff = f"/apply/packages/mine/{number}/", f"/packages/cases/{number}/"

    with time_machine.travel(_at(3), tick=False):
        for page in (logged_in(citizen).get(progress), logged_in(birth.clerk).get(staff)):
            assert page.status_code == 200
            waiting = _row(page.content.decode(), REGISTRATION)
            assert 'data-testid="waits-for"' in waiting and "出生医学证明首次签发" in waiting
        certificate = _approve(birth, package_application, CERTIFICATE)  # within its 3 working days
    with time_machine.travel(_at(4), tick=False):
        card = _approve(birth, package_application, CARD)
    with time_machine.travel(_at(20), tick=False):
        registration = _approve(birth, package_application, REGISTRATION)  # 5 working days from the 3rd: late
    package_application.refresh_from_db()
    assert package_application.status == "decided"
    assert registration.decided_at is not None and registration.decision_due_at is not None
    assert registration.decided_at > registration.decision_due_at

    with time_machine.travel(_at(20, 11), tick=False):
        pages = [logged_in(citizen).get(progress), logged_in(birth.clerk).get(staff)]
    for page in pages:
        assert page.status_code == 200
        html = page.content.decode()
        for application, verdict in ((certificate, "decided-in-time"), (card, "decided-in-time")):
            row = _row(html, application.matter.code)
            assert f"Decided {_day(application.decided_at)}" in row
            assert f'data-testid="{verdict}"' in row
            assert _day(application.decision_due_at) in row
            # The delivery's deadline `due_at` became is not the part's deadline.
            assert _day(application.due_at) not in row
            assert 'class="overdue"' not in row
        late = _row(html, REGISTRATION)
        assert f"Decided {_day(registration.decided_at)}" in late and 'data-testid="decided-late"' in late
        assert _day(registration.decision_due_at) in late and 'class="overdue"' in late
        # The package: decided on the 20th against its promised total of 10 working days from the 2nd (the 16th).
        package_deadline = re.search(r'<dd data-testid="due-at">.*?</dd>', html, re.S)
        assert package_deadline is not None
        assert "Decided 2026-11-20" in package_deadline.group(0) and "decided-late" in package_deadline.group(0)
        assert _day(package_application.decision_due_at) == "2026-11-16"
        assert "2026-11-16" in package_deadline.group(0)
        assert _day(package_application.due_at) not in package_deadline.group(0)
