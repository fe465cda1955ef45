"""A constructed November 2026 of package applications for the statistics tests (no public holiday in it): a
package decided on time, one decided late, one with a cancelled part, one never accepted, one received in December.
Every figure the tests expect is worked out by hand in the comments."""

from __future__ import annotations

from datetime import date, datetime
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from govdesk.applications import services as application_services
from govdesk.packages import case_services
from govdesk.packages.models import PackageApplication, PackagePart
from govdesk.packages.tests.case_factories import CARD, CERTIFICATE, REGISTRATION, FakePdf, package_data

SH = ZoneInfo("Asia/Shanghai")
NOVEMBER = (date(2026, 11, 1), date(2026, 11, 30))


def at(day: int, hour: int = 10, month: int = 11) -> Any:
    return time_machine.travel(datetime(2026, month, day, hour, 0, tzinfo=SH), tick=False)


def _part(package_application: PackageApplication, matter: str) -> Any:
    part = PackagePart.objects.select_related("application").get(
        package_application=package_application, matter__code=matter
    )
    return part.application


def _approve(birth: SimpleNamespace, package_application: PackageApplication, matter: str) -> None:
    application = _part(package_application, matter)
    application_services.application_approve(application=application.number, actor=birth.deciders[matter])


def _deny(birth: SimpleNamespace, package_application: PackageApplication, matter: str) -> None:
    application = _part(package_application, matter)
    application_services.application_deny(
        application=application.number, actor=birth.deciders[matter], reason="不符合条件"
    )


def _accepted(birth: SimpleNamespace) -> PackageApplication:
    submitted = case_services.package_submit(actor=birth.clerk, data=package_data(birth))
    return case_services.package_accept(package_application=submitted.number, actor=birth.clerk)


@pytest.fixture
def constructed_month(birth: SimpleNamespace, fake_pdfs: FakePdf) -> SimpleNamespace:
    """Limits: certificate 3, registration 5 (waits for the certificate), card 7; the package promises 10."""
    # On time: accepted Mon 2 Nov; certificate Tue 3 (1 wd), registration 3→Wed 4 (1), card Thu 5 (3).
    # Total 3 working days; one after another 1 + 1 + 3 = 5. Delivered, so closed.
    with at(2):
        on_time = _accepted(birth)
    with at(3):
        _approve(birth, on_time, CERTIFICATE)
    with at(4):
        _approve(birth, on_time, REGISTRATION)
    with at(5):
        _approve(birth, on_time, CARD)
    with at(6):
        case_services.package_deliver(package_application=on_time.number, actor=birth.clerk)
    # Late: certificate Mon 9 (5 wd > 3: late), registration 9→Mon 16 (5 wd = its limit: on time), card Fri 20
    # (14 wd > 7: late). Total 14 > 10: late; one after another 5 + 5 + 14 = 24.
    with at(2, 11):
        late = _accepted(birth)
    with at(9):
        _approve(birth, late, CERTIFICATE)
    with at(16):
        _approve(birth, late, REGISTRATION)
    with at(20):
        _approve(birth, late, CARD)
    # A cancelled part: certificate denied Tue 3 (1 wd), so the registration never starts; card Wed 4 (2 wd).
    # Total 2; one after another 1 + 2 = 3.
    with at(2, 14):
        cancelled = _accepted(birth)
    with at(3):
        _deny(birth, cancelled, CERTIFICATE)
    with at(4):
        _approve(birth, cancelled, CARD)
    # Received in November, never accepted; and one received in December (outside the period).
    with at(10):
        case_services.package_submit(actor=birth.clerk, data=package_data(birth))
    with at(1, month=12):
        case_services.package_submit(actor=birth.clerk, data=package_data(birth))
    return SimpleNamespace(on_time=on_time, late=late, cancelled=cancelled)
