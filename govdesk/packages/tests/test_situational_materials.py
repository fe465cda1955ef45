"""A material only a matter not needed in the applicant's situation requires (`PackageItem.condition`) is never asked
for: the counter's and the online form's checklists do not mark it required before the answers are known and leave it
out once they are; an application's checklist (the staff page, the applicant's progress page) does not show it; the
missing materials, the 一次性告知 and the acceptance do not ask for it.

The package: 食品经营许可 (always needed: 身份证, 租赁合同) and 酒类零售备案 (needed only when the shop sells liquor:
身份证, 酒类经营申请表); 身份证 is handed in once for both."""

from __future__ import annotations

import re
from types import SimpleNamespace
from typing import Any

import pytest
from django.utils import translation

from govdesk.matters.services import matter_version_publish
from govdesk.org.models import Role
from govdesk.org.tests.factories import UnitFactory, UserFactory
from govdesk.packages import case_selectors, case_services
from govdesk.packages.catalogue import package_merged_form, package_version_publish
from govdesk.packages.models import PackageApplication, PackageNotice, PackagePart

from .case_factories import FakePdf, fake_pdfs  # noqa: F401  (fixture)
from .page_fixtures import logged_in, pdf

pytestmark = pytest.mark.django_db

FOOD = "141102-09-SC-0001"
LIQUOR = "141102-09-SW-0002"
CODE = "YJS-TEST-SHOP"
SHOP = {"name": "shop_name", "label": "店名", "type": "text", "required": True, "choices": [], "max_length": 50}
SELLS_LIQUOR = {"name": "sells_liquor", "label": "经营酒类", "type": "bool", "required": False, "choices": []}
APPLICANT = {"applicant_name": "王丽", "applicant_phone": "13812345678", "applicant_id_number": "11010519491231002X"}


def _matter(code: str, name: str, unit: Any, materials: list[dict[str, Any]]) -> Any:
    attrs = {
        "name": name,
        "type": "public_service",
        "unit": unit,
        "legal_limit_days": 20,
        "promised_limit_days": 5,
        "fields": [SHOP],
    }
    full = [{"form": "original", "copies": 1, "required": True, **m} for m in materials]
    return matter_version_publish(code=code, attrs=attrs, materials=full).version


@pytest.fixture
def shop(district: SimpleNamespace) -> SimpleNamespace:
    centre = UnitFactory(code="LS-ZWFW", name="区政务服务中心", parent=district.gov, accepts_orders=False)
    clerk = UserFactory(username="clerk", roles=[Role.WINDOW_CLERK], unit=centre, display_name="窗口李芳")
    owner = UserFactory(username="owner", roles=[Role.CITIZEN], display_name="王丽")
    food = _matter(
        FOOD, "食品经营许可", district.dept_a, [{"code": "F01", "name": "身份证"}, {"code": "F02", "name": "租赁合同"}]
    )
    liquor = _matter(
        LIQUOR,
        "酒类零售备案",
        district.dept_b,
        [{"code": "L01", "name": "身份证"}, {"code": "L02", "name": "酒类经营申请表"}],
    )
    condition = {"field": "sells_liquor", "equals": True}
    merged = package_merged_form([food, liquor], conditions={LIQUOR: condition})
    items = [
        {"matter": FOOD, "field_map": merged["field_maps"][FOOD]},
        {"matter": LIQUOR, "condition": condition, "field_map": merged["field_maps"][LIQUOR]},
    ]
    attrs = {
        "name": "开餐馆一件事（测试）",
        "life_event": "business_opening",
        "lead_unit": district.dept_a,
        "promised_limit_days": 10,
        "fields": merged["fields"] + [SELLS_LIQUOR],
    }
    # Stored required, as an import that leaves a material's `required` at its default (True) stores it: whether it is
    # asked for depends on the situation, not on the flag.
    materials = [{**m, "required": True} for m in merged["materials"]]
    version = package_version_publish(code=CODE, attrs=attrs, items=items, materials=materials).version
    codes = {m.name: m.code for m in version.materials.all()}
    return SimpleNamespace(clerk=clerk, owner=owner, version=version, codes=codes)


def _row(html: str, code: str) -> str | None:
    """The checklist row of material `code` (None: not shown)."""
    found = re.search(rf'<tr id="material-{re.escape(code)}".*?</tr>', html, re.S)
    return found.group(0) if found else None


def _submitted(shop: SimpleNamespace, *, materials: list[str], sells_liquor: bool = False, actor: Any = None) -> Any:
    data = {
        "package": CODE,
        "channel": "window" if actor is None else "online",
        "form": {"shop_name": "老王面馆", "sells_liquor": sells_liquor},
        "materials": [shop.codes[name] for name in materials],
        **APPLICANT,
    }
    return case_services.package_submit(actor=actor or shop.clerk, data=data)


def test_the_counter_does_not_mark_a_situational_material_required(shop: SimpleNamespace) -> None:
    html = logged_in(shop.clerk).get("/window/packages/", {"package": CODE}).content.decode()
    always, situational = _row(html, shop.codes["租赁合同"]), _row(html, shop.codes["酒类经营申请表"])
    assert always is not None and "<strong>required</strong>" in always
    assert situational is not None and "<strong>required</strong>" not in situational
    assert "Only when needed" in situational and "酒类零售备案" in situational


def test_the_counter_leaves_out_what_the_answers_do_not_need(shop: SimpleNamespace) -> None:
    """Re-shown after a mistake (no decision chosen), the checklist follows the answers given."""
    answers = {**APPLICANT, "f_shop_name": "老王面馆"}  # not selling liquor
    html = logged_in(shop.clerk).post(f"/window/packages/register/{CODE}/", answers).content.decode()
    assert _row(html, shop.codes["租赁合同"]) is not None
    assert _row(html, shop.codes["酒类经营申请表"]) is None
    selling = logged_in(shop.clerk).post(f"/window/packages/register/{CODE}/", {**answers, "f_sells_liquor": "on"})
    row = _row(selling.content.decode(), shop.codes["酒类经营申请表"])
    assert row is not None and "<strong>required</strong>" in row


def test_the_online_form_does_not_mark_a_situational_material_required(shop: SimpleNamespace) -> None:
    html = logged_in(shop.owner).get(f"/apply/packages/{CODE}/").content.decode()
    label = re.search(r'<label for="file-{}">(.*?)</label>'.format(shop.codes["酒类经营申请表"]), html, re.S)
    assert label is not None and 'class="req"' not in label.group(1)
    label = re.search(r'<label for="file-{}">(.*?)</label>'.format(shop.codes["租赁合同"]), html, re.S)
    assert label is not None and 'class="req"' in label.group(1)


def test_the_staff_page_shows_only_the_materials_this_application_needs(shop: SimpleNamespace) -> None:
    submitted = _submitted(shop, materials=["身份证"])
    html = logged_in(shop.clerk).get(f"/packages/cases/{submitted.number}/").content.decode()
    assert _row(html, shop.codes["租赁合同"]) is not None
    assert _row(html, shop.codes["酒类经营申请表"]) is None
    # Nor is it offered as handed in later (it would be refused as unknown to this application).
    assert f'name="materials" value="{shop.codes["酒类经营申请表"]}"' not in html


def test_the_progress_page_shows_only_the_materials_this_application_needs(shop: SimpleNamespace) -> None:
    submitted = _submitted(shop, materials=["身份证", "租赁合同"], actor=shop.owner)
    html = logged_in(shop.owner).get(f"/apply/packages/mine/{submitted.number}/").content.decode()
    assert _row(html, shop.codes["租赁合同"]) is not None
    assert _row(html, shop.codes["酒类经营申请表"]) is None


def test_missing_the_correction_notice_and_acceptance_ask_only_for_what_is_needed(
    shop: SimpleNamespace,
    fake_pdfs: FakePdf,  # noqa: F811
) -> None:
    """Already right before the pages were fixed (the checklist is written for the situation at submission); kept so
    that it stays right."""
    submitted = _submitted(shop, materials=["身份证"])
    receipts = list(case_selectors.package_application_materials(package_application=submitted))
    assert case_selectors.package_missing_codes(receipts) == [shop.codes["租赁合同"]]
    with translation.override("en"):
        case_services.package_request_correction(package_application=submitted.number, actor=shop.clerk)
    notice = PackageNotice.objects.get(package_application=submitted)
    assert [m["name"] for m in fake_pdfs.rendered[-1].materials] == ["租赁合同"]
    assert notice.kind == "correction"
    case_services.package_supplement(
        package_application=submitted.number,
        actor=shop.clerk,
        materials=[shop.codes["租赁合同"]],
    )
    accepted = case_services.package_accept(package_application=submitted.number, actor=shop.clerk)
    assert [p.matter.code for p in PackagePart.objects.filter(package_application=accepted)] == [FOOD]
    assert accepted.status == "handling"


def test_a_material_ticked_for_a_matter_not_needed_is_left_out_not_refused(
    shop: SimpleNamespace,
    fake_pdfs: FakePdf,  # noqa: F811
) -> None:
    """The counter lists it before the answers are known; ticked (or uploaded online) while the answers do not need
    its matter, it is no part of the application, rather than a 400 naming an unknown code."""
    liquor_form = shop.codes["酒类经营申请表"]
    answers = {**APPLICANT, "f_shop_name": "老王面馆"}
    ticked = [shop.codes["身份证"], liquor_form]  # 租赁合同 missing: one 一次性告知 asks for it (not for the form)
    response = logged_in(shop.clerk).post(
        f"/window/packages/register/{CODE}/", {**answers, "received": ticked, "decision": "correction"}
    )
    assert response.status_code == 302
    assert [m["name"] for m in fake_pdfs.rendered[-1].materials] == ["租赁合同"]
    online = logged_in(shop.owner).post(
        f"/apply/packages/{CODE}/", {**answers, f"file_{liquor_form}": pdf("liquor.pdf")}
    )
    assert online.status_code == 302
    for package_application in PackageApplication.objects.all():
        assert liquor_form not in [m.code for m in package_application.materials.all()]
