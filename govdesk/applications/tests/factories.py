"""Matters published through the catalogue's own service, and applications driven to a state by the real services,
so every fixture has a true history, audit trail and notices."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from govdesk.applications import notices, services
from govdesk.applications.models import Application
from govdesk.applications.states import Status
from govdesk.matters.models import MatterVersion
from govdesk.matters.services import matter_version_publish
from govdesk.org.models import Role
from govdesk.org.tests.factories import UnitFactory, UserFactory

MATTER_CODE = "141102-ZJ-XK-0001"
INSTANT_CODE = "141102-ZJ-GG-0002"
OTHER_UNIT_CODE = "141102-RS-QR-0003"
MATERIALS = [
    {"code": "M01", "name": "建筑工程施工许可证申请表", "form": "original", "required": True},
    {"code": "M02", "name": "建设工程规划许可证", "form": "copy", "required": True},
    {"code": "M03", "name": "施工合同", "form": "original_and_copy", "required": True},
    {"code": "M04", "name": "授权委托书", "form": "original", "required": False},
]
FIELDS = [
    {"name": "project_name", "label": "项目名称", "type": "text", "required": True, "max_length": 50},
    {"name": "area", "label": "建筑面积（平方米）", "type": "number", "required": True},
    {"name": "start_date", "label": "计划开工日期", "type": "date", "required": False},
    {"name": "promise", "label": "承诺所填信息真实", "type": "bool", "required": True},
]
FORM = {"project_name": "滨河小区3号楼", "area": 12000, "start_date": "2026-11-01", "promise": True}
APPLICANT = {"applicant_name": "张建国", "applicant_phone": "13912345678", "applicant_id_number": "11010519491231002X"}


def publish_matter(
    unit: Any, *, code: str = MATTER_CODE, promised: int = 5, instant: bool = False, name: str = "建筑工程施工许可"
) -> MatterVersion:
    attrs = {
        "name": name,
        "type": "licensing",
        "unit": unit,
        "legal_basis": "《中华人民共和国建筑法》第七条",
        "conditions": "",
        "legal_limit_days": max(promised, 15),
        "promised_limit_days": 0 if instant else promised,
        "instant": instant,
        "visits": 1,
        "fee": "不收费",
        "fields": FIELDS,
    }
    return matter_version_publish(code=code, attrs=attrs, materials=MATERIALS).version


def submission(**overrides: Any) -> dict[str, Any]:
    return {"matter": MATTER_CODE, "channel": "window", "form": dict(FORM), "materials": [], **APPLICANT, **overrides}


@pytest.fixture
def hall(district: SimpleNamespace, people: SimpleNamespace) -> SimpleNamespace:
    """The service hall with a window clerk, the matters (one of dept_a, an instant one, one of dept_b) and an
    applicant with a citizen account."""
    centre = UnitFactory(code="LS-ZWFW", name="区政务服务中心", parent=district.gov, accepts_orders=False)
    clerk = UserFactory(username="clerk", roles=[Role.WINDOW_CLERK], unit=centre, display_name="窗口李芳")
    applicant = UserFactory(username="applicant", roles=[Role.CITIZEN])
    matter = publish_matter(district.dept_a)
    instant = publish_matter(district.dept_a, code=INSTANT_CODE, instant=True, name="建筑垃圾处置核准")
    other = publish_matter(district.dept_b, code=OTHER_UNIT_CODE, name="就业创业证申领")
    return SimpleNamespace(centre=centre, clerk=clerk, applicant=applicant, matter=matter, instant=instant, other=other)


class FakePdf:
    """Stands in for WeasyPrint where a test is about states, not documents (a real render takes a while)."""

    def __init__(self) -> None:
        self.rendered: list[notices.NoticeContent] = []

    def __call__(self, *, application: Any, content: notices.NoticeContent) -> bytes:
        self.rendered.append(content)
        return b"%PDF-1.7\n% fake notice " + content.number.encode() + b"\n%%EOF\n"


@pytest.fixture
def fake_pdf(monkeypatch: pytest.MonkeyPatch) -> FakePdf:
    fake = FakePdf()
    monkeypatch.setattr(notices, "notice_pdf", fake)
    return fake


def make_application(hall: SimpleNamespace, people: SimpleNamespace, status: Status, **overrides: Any) -> Application:
    """An application in `status`, reached through the services (window channel, matter of dept_a)."""
    complete = status not in (Status.SUBMITTED, Status.CORRECTION)
    data = submission(materials=["M01", "M02", "M03"] if complete else ["M01"], **overrides)
    application = services.application_submit(actor=hall.clerk, data=data)
    if status is Status.SUBMITTED:
        return application
    if status is Status.CORRECTION:
        return services.application_request_correction(application=application.number, actor=hall.clerk)
    if status is Status.REFUSED:
        return services.application_refuse(
            application=application.number, actor=hall.clerk, reason="不属于本机关职权范围"
        )
    services.application_accept(application=application.number, actor=hall.clerk)
    if status is Status.HANDLING:
        return fresh(application)
    if status is Status.SUSPENDED:
        return services.application_suspend(
            application=application.number, actor=people.handler_a, reason="组织专家评审", kind="expert_review"
        )
    if status is Status.DENIED:
        return services.application_deny(application=application.number, actor=people.handler_a, reason="不符合条件")
    services.application_approve(application=application.number, actor=people.handler_a)
    if status is Status.APPROVED:
        return fresh(application)
    assert status is Status.CLOSED
    return services.application_deliver(application=application.number, actor=hall.clerk)


def fresh(application: Application) -> Application:
    return Application.objects.get(pk=application.pk)
