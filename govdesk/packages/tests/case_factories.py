"""A package of 3 parts, published through the catalogue's services: 出生医学证明 (dept A) → 出生登记 (dept B, needs
the certificate), and 社保卡申领 (dept C) on its own; 父母身份证 is a material of all three (handed in once).
Package applications are driven to a state by the real services, so every fixture has a true history."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from govdesk.applications import notices as application_notices
from govdesk.matters.models import MatterVersion
from govdesk.matters.services import matter_version_publish
from govdesk.org.models import Role, UnitKind
from govdesk.org.tests.factories import UnitFactory, UserFactory
from govdesk.packages import case_services
from govdesk.packages import notices as package_notices
from govdesk.packages.catalogue import package_merged_form, package_version_publish
from govdesk.packages.models import PackageApplication, PackageVersion

CERTIFICATE = "141102-09-WJ-0107"
REGISTRATION = "141102-09-GA-0101"
CARD = "141102-09-RS-0105"
PACKAGE = "YJS-TEST-BIRTH"
ID_CARDS = "父母身份证"

BABY = {"name": "baby_name", "label": "新生儿姓名", "type": "text", "required": True, "choices": [], "max_length": 20}
BIRTH_DATE = {"name": "birth_date", "label": "出生日期", "type": "date", "required": True, "choices": []}
PROMISE = {"name": "promise", "label": "承诺所填信息真实", "type": "bool", "required": True, "choices": []}
HOUSEHOLD = {"name": "household", "label": "落户地址", "type": "text", "required": True, "choices": []}
PHONE = {"name": "payer_phone", "label": "联系电话", "type": "phone", "required": True, "choices": []}
FORM = {
    "baby_name": "王小宝",
    "birth_date": "2026-10-08",
    "promise": True,
    "household": "滨河北路12号",
    "payer_phone": "13912345678",
}
APPLICANT = {"applicant_name": "王丽", "applicant_phone": "13812345678", "applicant_id_number": "11010519491231002X"}


def _matter(code: str, name: str, unit: Any, limit: int, fields: list[Any], materials: list[Any]) -> MatterVersion:
    attrs = {
        "name": name,
        "type": "public_service",
        "unit": unit,
        "legal_limit_days": 20,
        "promised_limit_days": limit,
        "fields": fields,
    }
    full = [{"form": "original", "copies": 1, **m} for m in materials]
    return matter_version_publish(code=code, attrs=attrs, materials=full).version


def publish_package(lead: Any, unit_b: Any, unit_c: Any) -> PackageVersion:
    certificate = _matter(
        CERTIFICATE,
        "出生医学证明首次签发",
        lead,
        3,
        [BABY, BIRTH_DATE, PROMISE],
        [{"code": "M01", "name": ID_CARDS, "required": True}, {"code": "M02", "name": "分娩记录", "required": True}],
    )
    registration = _matter(
        REGISTRATION,
        "出生登记",
        unit_b,
        5,
        [BABY, BIRTH_DATE, HOUSEHOLD],
        [{"code": "R01", "name": "居民户口簿", "required": True}, {"code": "R02", "name": ID_CARDS, "required": True}],
    )
    card = _matter(
        CARD,
        "社会保障卡申领",
        unit_c,
        7,
        [BABY, PHONE],
        [{"code": "C01", "name": ID_CARDS, "required": True}, {"code": "C02", "name": "免冠照片", "required": True}],
    )
    merged = package_merged_form([certificate, registration, card])
    items = [
        {"matter": CERTIFICATE, "field_map": merged["field_maps"][CERTIFICATE]},
        {"matter": REGISTRATION, "depends_on": [CERTIFICATE], "field_map": merged["field_maps"][REGISTRATION]},
        {"matter": CARD, "field_map": merged["field_maps"][CARD]},
    ]
    attrs = {
        "name": "新生儿出生一件事（测试）",
        "life_event": "birth",
        "lead_unit": lead,
        "promised_limit_days": 10,
        "fields": merged["fields"],
    }
    return package_version_publish(code=PACKAGE, attrs=attrs, items=items, materials=merged["materials"]).version


@pytest.fixture
def birth(district: SimpleNamespace, people: SimpleNamespace) -> SimpleNamespace:
    """The hall's clerk, the package (lead: dept A), dept C with its handler, the applicant's account."""
    centre = UnitFactory(code="LS-ZWFW", name="区政务服务中心", parent=district.gov, accepts_orders=False)
    dept_c = UnitFactory(code="LS-RSJ", name="区社保中心", kind=UnitKind.DEPARTMENT, parent=district.gov)
    clerk = UserFactory(username="clerk", roles=[Role.WINDOW_CLERK], unit=centre, display_name="窗口李芳")
    handler_c = UserFactory(username="handler_c", roles=[Role.HANDLER], unit=dept_c)
    version = publish_package(district.dept_a, district.dept_b, dept_c)
    codes = {m.name: m.code for m in version.materials.all()}
    return SimpleNamespace(
        clerk=clerk,
        centre=centre,
        dept_c=dept_c,
        handler_c=handler_c,
        version=version,
        codes=codes,
        all_materials=sorted(codes.values()),
        deciders={CERTIFICATE: people.handler_a, REGISTRATION: people.handler_b, CARD: handler_c},
    )


class FakePdf:
    """Stands in for WeasyPrint where a test is about states, not documents; keeps what each notice said."""

    def __init__(self) -> None:
        self.rendered: list[Any] = []

    def __call__(self, **kwargs: Any) -> bytes:
        content = kwargs["content"]
        self.rendered.append(content)
        return b"%PDF-1.7\n% fake notice " + content.number.encode() + b"\n%%EOF\n"


@pytest.fixture
def fake_pdfs(monkeypatch: pytest.MonkeyPatch) -> FakePdf:
    fake = FakePdf()
    monkeypatch.setattr(application_notices, "notice_pdf", fake)
    monkeypatch.setattr(package_notices, "notice_pdf", fake)
    return fake


def package_data(birth: SimpleNamespace, **overrides: Any) -> dict[str, Any]:
    return {
        "package": PACKAGE,
        "channel": "window",
        "form": dict(FORM),
        "materials": list(birth.all_materials),
        **APPLICANT,
        **overrides,
    }


def accepted_package(birth: SimpleNamespace) -> PackageApplication:
    submitted = case_services.package_submit(actor=birth.clerk, data=package_data(birth))
    return case_services.package_accept(package_application=submitted.number, actor=birth.clerk)


def part_application(part: Any) -> Any:
    """The application a started part became (fails the test when there is none)."""
    assert part.application is not None, f"{part.matter.code} has not started"
    return part.application


def fresh(package_application: PackageApplication) -> PackageApplication:
    return PackageApplication.objects.get(pk=package_application.pk)
