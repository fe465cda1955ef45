"""新生儿出生一件事 in a real browser, end to end: a parent applies online on a phone with one form and one set of
materials, leaving out the household register that three of the four matters need; the clerk's one 一次性告知书
(read back as text) lists it once; the parent uploads it; the clerk accepts and the package fans out to the inboxes
of 卫健 (the birth certificate), 人社 and 医保 at once, while 公安's birth registration waits for the certificate and
reaches 公安's inbox when 卫健 approves; every unit approves, the clerk hands over the results once, the parent sees
one result on one progress page and rates the package.

The package is built here through the catalogue's own publish service, as the demo's is, with four matters of four
units (the test keeps to the flow, not to the demo's 123 packages)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from govdesk.evaluations.models import Evaluation
from govdesk.matters.services import matter_version_publish
from govdesk.org.models import Role, UnitKind
from govdesk.org.tests.factories import UnitFactory, UserFactory
from govdesk.packages.catalogue import package_merged_form, package_version_publish
from govdesk.packages.models import PackageApplication, PackageNotice, PackagePart

from .pages import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PARENT = {"applicant_name": "王丽", "applicant_phone": "13912345678", "applicant_id_number": "11010519491231002X"}

CERTIFICATE = "141102-09-WJ-0007"
REGISTRATION = "141102-09-GA-0001"
SOCIAL_CARD = "141102-21-RS-0016"
INSURANCE = "141102-21-YB-0001"
BABY = {"name": "baby_name", "label": "新生儿姓名", "type": "text", "required": True, "choices": [], "max_length": 20}
BIRTH_DATE = {"name": "birth_date", "label": "出生日期", "type": "date", "required": True, "choices": []}
PROMISE = {"name": "promise", "label": "本人承诺所填信息真实", "type": "bool", "required": True, "choices": []}
HOUSEHOLD = {"name": "household", "label": "落户地址", "type": "text", "required": True, "choices": []}
PAYER = {"name": "payer_phone", "label": "缴费人电话", "type": "phone", "required": True, "choices": []}
PARENT_IDS = {"code": "M01", "name": "父母身份证", "required": True}
# The insurance is the parents' choice: its payer's phone is asked only when they want it.
WANT_INSURANCE = {
    "name": "want_insurance",
    "label": "同时办理医保参保",
    "type": "bool",
    "required": False,
    "choices": [],
}
INSURANCE_WANTED = {"field": "want_insurance", "equals": True}
REGISTER = "居民户口簿"


def _matter(code: str, name: str, unit: Any, fields: list[dict[str, Any]], materials: list[dict[str, Any]]) -> Any:
    attrs = {"name": name, "type": "public_service", "unit": unit, "legal_limit_days": 5, "promised_limit_days": 3}
    full = [{"form": "original", "copies": 1, **m} for m in materials]
    return matter_version_publish(code=code, attrs={**attrs, "fields": fields}, materials=full).version


@pytest.fixture
def birth(district: SimpleNamespace, people: SimpleNamespace) -> SimpleNamespace:
    """Four units with a handler each, the hall's clerk, the parent, and the package of their four matters."""
    health = UnitFactory(code="LS-WJ", name="区卫健局", kind=UnitKind.DEPARTMENT, parent=district.gov)
    police = UnitFactory(code="LS-GA", name="区公安分局", kind=UnitKind.DEPARTMENT, parent=district.gov)
    medical = UnitFactory(code="LS-YB", name="区医保局", kind=UnitKind.DEPARTMENT, parent=district.gov)
    social = district.dept_b  # 区人社局
    centre = UnitFactory(code="LS-ZWFW", name="区政务服务中心", parent=district.gov, accepts_orders=False)
    UserFactory(username="clerk", roles=[Role.WINDOW_CLERK], unit=centre, display_name="窗口李芳")
    parent = UserFactory(username="parent", roles=[Role.CITIZEN], display_name=PARENT["applicant_name"])
    handlers = {
        "卫健": UserFactory(username="wj", roles=[Role.HANDLER], unit=health),
        "公安": UserFactory(username="ga", roles=[Role.HANDLER], unit=police),
        "人社": people.handler_b,
        "医保": UserFactory(username="yb", roles=[Role.HANDLER], unit=medical),
    }
    versions = [
        _matter(
            CERTIFICATE,
            "出生医学证明首次签发",
            health,
            [BABY, BIRTH_DATE, PROMISE],
            [PARENT_IDS, {"code": "M02", "name": "住院分娩记录", "required": True}],
        ),
        _matter(
            REGISTRATION,
            "出生登记",
            police,
            [BABY, BIRTH_DATE, HOUSEHOLD, PROMISE],
            [PARENT_IDS, {"code": "M02", "name": REGISTER, "required": True}],
        ),
        _matter(
            SOCIAL_CARD,
            "社会保障卡申领",
            social,
            [BABY, HOUSEHOLD],
            [{"code": "M01", "name": REGISTER, "required": True}],
        ),
        _matter(
            INSURANCE,
            "城乡居民基本医疗保险参保登记",
            medical,
            [BABY, PAYER],
            [{"code": "M01", "name": REGISTER, "required": True}],
        ),
    ]
    merged = package_merged_form(versions, conditions={INSURANCE: INSURANCE_WANTED})
    items = [
        {"matter": v.matter.code, "field_map": merged["field_maps"][v.matter.code], "depends_on": []} for v in versions
    ]
    items[1]["depends_on"] = [CERTIFICATE]  # the registration needs the birth certificate
    items[3]["condition"] = INSURANCE_WANTED
    attrs = {
        "name": "新生儿出生一件事",
        "life_event": "birth",
        "lead_unit": health,
        "promised_limit_days": 10,
        "fields": [*merged["fields"], WANT_INSURANCE],
    }
    version = package_version_publish(code="YJS-001", attrs=attrs, items=items, materials=merged["materials"]).version
    return SimpleNamespace(parent=parent, handlers=handlers, version=version)


def pdf_text(data: bytes, path: Path) -> str:
    executable = shutil.which("pdftotext")
    assert executable, "pdftotext is missing: install poppler-utils"
    path.write_bytes(data)
    result = subprocess.run([executable, "-layout", str(path), "-"], check=True, capture_output=True, text=True)  # noqa: S603
    return "".join(result.stdout.split())


def test_a_parent_applies_once_for_the_birth_and_gets_one_result(
    live_server: Any, browser: Any, birth: SimpleNamespace, artifacts: Path, tmp_path: Path
) -> None:
    base = live_server.url
    materials = {m.name: m.code for m in birth.version.materials.all()}
    assert list(materials).count(REGISTER) == 1  # three matters need it: one merged material
    scan = tmp_path / "scan.pdf"
    scan.write_bytes(PDF)

    # 1. The parent finds the package from the online index and fills the one form on a phone, without the
    # household register.
    parent = log_in(browser, base, "parent")
    parent.set_viewport_size({"width": 390, "height": 844})
    parent.goto(f"{base}/apply/")
    parent.click("[data-testid=packages-link]")
    parent.click("text=新生儿出生一件事")
    parent.wait_for_url(re.compile(r"/apply/packages/YJS-001/"))
    assert parent.locator("input[name=f_baby_name]").count() == 1  # four matters ask for it: asked once
    parent.fill("#id_applicant_phone", PARENT["applicant_phone"])
    parent.fill("#id_applicant_id_number", PARENT["applicant_id_number"])
    parent.fill("#id_f_baby_name", "王小明")
    parent.fill("#id_f_birth_date", "2026-11-20")
    parent.fill("#id_f_household", "离石区滨河北路1号")
    # The payer's phone shows (and is required) only once the insurance is asked for.
    assert parent.locator("#id_f_payer_phone").is_hidden()
    parent.check("#id_f_want_insurance")
    assert parent.locator("#id_f_payer_phone").is_visible()
    parent.fill("#id_f_payer_phone", PARENT["applicant_phone"])
    parent.check("#id_f_promise")
    for name, code in materials.items():
        if name != REGISTER:
            parent.set_input_files(f"#file-{code}", str(scan))
    parent.screenshot(path=str(artifacts / "packages-01-apply.png"), full_page=True)
    parent.click("[data-testid=submit-package]")
    parent.wait_for_url(re.compile(r"/apply/packages/mine/"))
    package_application = PackageApplication.objects.get()
    assert package_application.status == "submitted"

    # 2. The clerk asks once for everything missing: the notice lists the household register once.
    clerk = log_in(browser, base, "clerk")
    clerk.goto(f"{base}/packages/cases/")
    clerk.click(f"#package-{package_application.number} a")
    detail = f"{base}/packages/cases/{package_application.number}/"

    def act(page: Any, action: str) -> None:
        page.goto(detail)
        page.click(f"[data-testid=act-{action}]")
        page.wait_for_load_state("networkidle")

    act(clerk, "request-correction")
    link = clerk.locator("a.notice-link[data-kind=correction]")
    assert link.count() == 1
    notice = clerk.request.get(base + str(link.get_attribute("href")))
    assert notice.ok and notice.headers["content-type"] == "application/pdf"
    text = pdf_text(notice.body(), tmp_path / "correction.pdf")
    assert "一次性告知书" in text and text.count(REGISTER) == 1 and "住院分娩记录" not in text

    # 3. The parent uploads exactly that one material on the progress page.
    parent.goto(f"{base}/apply/packages/mine/{package_application.number}/")
    form = parent.locator("#supplement-form")
    assert form.locator("input[type=file]").count() == 1
    parent.set_input_files(f"#file-{materials[REGISTER]}", str(scan))
    parent.click("[data-testid=supplement]")
    parent.locator("#supplement-form").wait_for(state="detached")
    package_application.refresh_from_db()
    assert package_application.status == "submitted"

    # 4. The clerk accepts: 卫健, 人社 and 医保 have their part in their inbox at once; 公安 waits for the certificate.
    act(clerk, "accept")
    package_application.refresh_from_db()
    assert package_application.status == "handling"
    parts = {p.matter.code: p for p in PackagePart.objects.filter(package_application=package_application)}
    pages = {unit: log_in(browser, base, user.username) for unit, user in birth.handlers.items()}

    def in_inbox(unit: str, code: str) -> bool:
        part = PackagePart.objects.get(pk=parts[code].pk)
        if part.application is None:
            return False
        pages[unit].goto(f"{base}/applications/")
        return pages[unit].locator(f"#application-{part.application.number}").count() == 1

    assert in_inbox("卫健", CERTIFICATE) and in_inbox("人社", SOCIAL_CARD) and in_inbox("医保", INSURANCE)
    assert not in_inbox("公安", REGISTRATION) and parts[REGISTRATION].state == "waiting"
    parent.goto(f"{base}/apply/packages/mine/{package_application.number}/")
    assert "出生医学证明首次签发" in parent.inner_text(f"[data-testid=part][data-matter='{REGISTRATION}']")

    def approve(unit: str, code: str) -> None:
        application = PackagePart.objects.get(pk=parts[code].pk).application
        assert application is not None, f"the part {code} has not started"
        number = application.number
        page = pages[unit]
        page.goto(f"{base}/applications/{number}/")
        assert package_application.number in page.inner_text("[data-testid=package-link]")
        page.locator("#act-approve button[type=submit]").click()
        page.wait_for_load_state("networkidle")

    # 5. 卫健 approves the certificate: the registration starts and reaches 公安's inbox; every unit approves.
    approve("卫健", CERTIFICATE)
    assert in_inbox("公安", REGISTRATION)
    pages["卫健"].goto(detail)
    pages["卫健"].screenshot(path=str(artifacts / "packages-02-parts.png"), full_page=True)
    for unit, code in (("公安", REGISTRATION), ("人社", SOCIAL_CARD), ("医保", INSURANCE)):
        approve(unit, code)
    package_application.refresh_from_db()
    assert package_application.status == "decided"

    # 6. The clerk hands over every result at once; the parent sees one result notice and every part approved.
    act(clerk, "deliver")
    package_application.refresh_from_db()
    assert package_application.status == "closed"
    parent.goto(f"{base}/apply/packages/mine/{package_application.number}/")
    assert parent.get_attribute("[data-testid=status]", "data-status") == "closed"
    assert parent.locator("a.notice-link[data-kind=result]").count() == 1
    assert PackageNotice.objects.filter(package_application=package_application, kind="result").count() == 1
    rows = parent.locator("[data-testid=part]")
    assert rows.count() == 4
    assert all(rows.nth(i).get_attribute("data-status") == "closed" for i in range(4))
    parent.screenshot(path=str(artifacts / "packages-03-result.png"), full_page=True)

    # 7. 好差评 of the package, from its progress page.
    parent.click("[data-testid=rate-link]")
    parent.click("[data-testid=rate-case-5]")
    parent.wait_for_load_state("networkidle")
    evaluation = Evaluation.objects.get(case_id=package_application.pk)
    assert evaluation.level == 5 and evaluation.rated_by == birth.parent and evaluation.channel == "web"
    for page in (parent, clerk, *pages.values()):
        assert page.js_errors == [], page.js_errors
