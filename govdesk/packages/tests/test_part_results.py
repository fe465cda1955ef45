"""Documents a part produces: a material of a matter may be the result of a part it depends on (`from_result_of` on
the merged material's source). It is checked (a dependency, directly or through others; no unknown code, no cycle),
travels through the workbook and JSON, is not asked of the applicant, and reaches the started part as its producing
part's result notice, received, with its origin on the part's timeline; the guide says so."""

from __future__ import annotations

import io
from types import SimpleNamespace
from typing import Any

import pytest
from django.test import Client
from django.utils import translation
from openpyxl import load_workbook

from govdesk.applications import services as application_services
from govdesk.applications.models import ApplicationMaterial, ApplicationNotice
from govdesk.cases.models import Attachment, CaseEvent
from govdesk.matters.models import Matter
from govdesk.org.models import Role
from govdesk.org.tests.factories import UserFactory, login_verified
from govdesk.packages import case_services
from govdesk.packages.catalogue import (
    package_materials_needed,
    package_merged_form,
    package_version_check,
    package_version_publish,
)
from govdesk.packages.models import PackagePart, PackageVersion
from govdesk.packages.tests import case_factories
from govdesk.packages.tests.case_factories import (
    APPLICANT,
    BABY,
    BIRTH_DATE,
    CARD,
    CERTIFICATE,
    FORM,
    HOUSEHOLD,
    ID_CARDS,
    PACKAGE,
    REGISTRATION,
    FakePdf,
    birth,
    fake_pdfs,
    fresh,
)
from govdesk.packages.tests.helpers import CERTIFICATE as HELPER_CERTIFICATE
from govdesk.packages.tests.helpers import INSURANCE as HELPER_INSURANCE
from govdesk.packages.tests.helpers import REGISTRATION as HELPER_REGISTRATION
from govdesk.packages.tests.helpers import birth_matters, birth_package_data
from govdesk.packages.transfer import packages_export, packages_export_json, packages_import

pytestmark = pytest.mark.django_db
__all__ = ["birth", "fake_pdfs"]  # fixtures

CERTIFICATE_DOC = "出生医学证明"


def _with_certificate_from_result(birth: SimpleNamespace, district: SimpleNamespace) -> PackageVersion:
    """出生登记 now also needs the 出生医学证明 (R03), which is the certificate part's result."""
    registration = case_factories._matter(
        REGISTRATION,
        "出生登记",
        district.dept_b,
        5,
        [BABY, BIRTH_DATE, HOUSEHOLD],
        [
            {"code": "R01", "name": "居民户口簿", "required": True},
            {"code": "R02", "name": ID_CARDS, "required": True},
            {"code": "R03", "name": CERTIFICATE_DOC, "required": True},
        ],
    )
    certificate, card = (Matter.objects.get(code=code).current_version for code in (CERTIFICATE, CARD))
    assert certificate is not None and card is not None
    versions = [certificate, registration, card]
    merged = package_merged_form(versions)
    for material in merged["materials"]:
        if material["name"] == CERTIFICATE_DOC:
            material["sources"][0]["from_result_of"] = CERTIFICATE
    items = [
        {"matter": CERTIFICATE, "field_map": merged["field_maps"][CERTIFICATE]},
        {"matter": REGISTRATION, "depends_on": [CERTIFICATE], "field_map": merged["field_maps"][REGISTRATION]},
        {"matter": CARD, "field_map": merged["field_maps"][CARD]},
    ]
    attrs = {
        "name": "新生儿出生一件事（测试）",
        "life_event": "birth",
        "lead_unit": district.dept_a,
        "promised_limit_days": 10,
        "fields": merged["fields"],
    }
    return package_version_publish(code=PACKAGE, attrs=attrs, items=items, materials=merged["materials"]).version


def _check_data(version: PackageVersion) -> dict[str, Any]:
    from govdesk.packages.catalogue import package_version_snapshot

    data = package_version_snapshot(version)
    data["attrs"]["lead_unit"] = version.lead_unit
    return data


def _source(data: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    material = next(m for m in data["materials"] if m["name"] == CERTIFICATE_DOC)
    return material["code"], material["sources"][0]


# --- the definition ------------------------------------------------------------------------------------------------


def test_a_producer_must_be_a_part_the_matter_depends_on(birth: SimpleNamespace, district: SimpleNamespace) -> None:
    version = _with_certificate_from_result(birth, district)
    with translation.override("en"):
        fine = _check_data(version)
        assert package_version_check(**fine) == {}

        unknown = _check_data(version)
        code, source = _source(unknown)
        source["from_result_of"] = "NO-SUCH-MATTER"
        problems = package_version_check(**unknown)
        assert any("NO-SUCH-MATTER" in m and "not a matter of this package" in m for m in problems[f"materials.{code}"])

        not_needed = _check_data(version)
        code, source = _source(not_needed)
        source["from_result_of"] = CARD  # a part of the package, but 出生登记 does not wait for it
        problems = package_version_check(**not_needed)
        assert any("does not depend on 社会保障卡申领" in m for m in problems[f"materials.{code}"])

        itself = _check_data(version)
        code, source = _source(itself)
        source["from_result_of"] = REGISTRATION
        assert any("cycle" in m for m in package_version_check(**itself)[f"materials.{code}"])

        backwards = _check_data(version)
        certificate_ids = next(m for m in backwards["materials"] if m["name"] == ID_CARDS)
        certificate_source = next(s for s in certificate_ids["sources"] if s["matter"] == CERTIFICATE)
        certificate_source["from_result_of"] = REGISTRATION  # the certificate would wait for what waits for it
        problems = package_version_check(**backwards)
        assert any("cycle" in m for m in problems[f"materials.{certificate_ids['code']}"])

        bad_key = _check_data(version)
        _code, source = _source(bad_key)
        source["from_the_result"] = CERTIFICATE
        assert package_version_check(**bad_key)


def test_a_transitive_dependency_may_provide_a_material(birth: SimpleNamespace, district: SimpleNamespace) -> None:
    version = _with_certificate_from_result(birth, district)
    data = _check_data(version)
    # 社保卡 waits for 出生登记, which waits for the certificate: the certificate's result can reach it.
    card = next(i for i in data["items"] if i["matter"] == CARD)
    card["depends_on"] = [REGISTRATION]
    photo = next(
        m for m in data["materials"] if any(s["matter"] == CARD for s in m["sources"]) and len(m["sources"]) == 1
    )
    photo["sources"][0]["from_result_of"] = CERTIFICATE
    assert package_version_check(**data) == {}


def test_the_applicant_is_not_asked_for_a_produced_document(birth: SimpleNamespace, district: SimpleNamespace) -> None:
    version = _with_certificate_from_result(birth, district)
    asked = package_materials_needed(version, dict(FORM))
    assert CERTIFICATE_DOC not in [entry["material"].name for entry in asked]
    listed = {e["material"].name: e for e in package_materials_needed(version, dict(FORM), with_provided=True)}
    assert listed[CERTIFICATE_DOC]["provided_by"] == {REGISTRATION: CERTIFICATE}
    assert listed[CERTIFICATE_DOC]["asked"] is False
    # A material one matter receives and another needs from the applicant is still asked, for that other one only.
    assert listed[ID_CARDS]["asked"] is True and listed[ID_CARDS]["provided_by"] == {}


def test_the_started_part_receives_the_result_notice_as_that_material(
    birth: SimpleNamespace, district: SimpleNamespace, fake_pdfs: FakePdf
) -> None:
    version = _with_certificate_from_result(birth, district)
    asked = [entry["material"].code for entry in package_materials_needed(version, dict(FORM))]
    data = {"package": PACKAGE, "channel": "window", "form": dict(FORM), "materials": asked, **APPLICANT}
    submitted = case_services.package_submit(actor=birth.clerk, data=data)
    assert CERTIFICATE_DOC not in [r.name for r in submitted.materials.all()]
    package_application = case_services.package_accept(package_application=submitted.number, actor=birth.clerk)

    certificate = PackagePart.objects.get(package_application=package_application, matter__code=CERTIFICATE)
    assert certificate.application is not None
    application_services.application_approve(
        application=certificate.application.number, actor=birth.deciders[CERTIFICATE]
    )
    result = ApplicationNotice.objects.get(application=certificate.application, kind="result")

    registration = PackagePart.objects.get(package_application=package_application, matter__code=REGISTRATION)
    application = registration.application
    assert application is not None
    # Every required material in, the produced one included: accepted as it opens.
    assert application.status == "handling"
    material = ApplicationMaterial.objects.get(application=application, code="R03")
    assert material.received and material.attachment is not None
    assert material.attachment.file.name == result.file.name
    # The notice is that material, not a second copy next to it.
    assert Attachment.objects.filter(case_id=application.pk, content_type="application/pdf").count() == 1
    origin = CaseEvent.objects.get(case_id=application.pk, action="material-from-result")
    assert origin.is_public and origin.data == {"material": "R03", "matter": CERTIFICATE, "notice": result.number}
    assert result.number in origin.note
    submit = CaseEvent.objects.get(case_id=application.pk, action="submit")
    assert submit.data["inputs"][0]["materials"] == ["R03"]
    assert fresh(package_application).status == "handling"


# --- import, export, admin and the guide -------------------------------------------------------------------------


def test_the_workbook_and_json_carry_the_producer_and_name_a_bad_row(
    birth: SimpleNamespace, district: SimpleNamespace
) -> None:
    _with_certificate_from_result(birth, district)
    workbook = load_workbook(io.BytesIO(packages_export()))
    sheet = workbook["材料"]
    header = [cell.value for cell in sheet[1]]
    column = header.index("由前置事项结果提供")
    rows = {row[2].value: row for row in sheet.iter_rows(min_row=2)}
    assert rows[CERTIFICATE_DOC][column].value == f"{REGISTRATION}:{CERTIFICATE}"

    def imported(book: Any) -> Any:
        buffer = io.BytesIO()
        book.save(buffer)
        return packages_import(content=buffer.getvalue(), filename="p.xlsx", commit=True)

    with translation.override("en"):
        assert imported(workbook).unchanged == 1
        rows[CERTIFICATE_DOC][column].value = f"{REGISTRATION}:{CARD}"
        result = imported(workbook)
    row_number = rows[CERTIFICATE_DOC][0].row
    assert any("材料" in e and f"row {row_number}" in e and "does not depend on" in e for e in result.errors)
    assert PackageVersion.objects.filter(package__code=PACKAGE).count() == 2

    exported = packages_export_json()
    text = exported.decode() if isinstance(exported, bytes) else exported
    assert f'"from_result_of": "{CERTIFICATE}"' in text
    assert packages_import(content=exported, filename="p.json", commit=True).unchanged == 1


@pytest.fixture
def admin_client(district: SimpleNamespace) -> Client:
    client = Client()
    root: Any = UserFactory(username="root", roles=[Role.SYSADMIN])
    login_verified(client, root)
    client.cookies["django_language"] = "en"
    return client


def test_the_admin_takes_a_producer_and_refuses_one_that_is_not_a_dependency(
    admin_client: Client, district: SimpleNamespace
) -> None:
    from govdesk.packages.tests.test_admin import ADD_URL, form_data

    data = birth_package_data(birth_matters(district.dept_a, district.dept_b), district.dept_a)
    household = next(m for m in data["materials"] if m["name"] == "居民户口簿")
    for_insurance = next(s for s in household["sources"] if s["matter"] == HELPER_INSURANCE)
    ids = next(m for m in data["materials"] if m["name"] == "父母身份证")
    for_certificate = next(s for s in ids["sources"] if s["matter"] == HELPER_CERTIFICATE)

    for_certificate["from_result_of"] = HELPER_REGISTRATION  # the certificate comes before the registration
    refused = admin_client.post(ADD_URL, form_data(data))
    assert refused.status_code == 200
    assert "errorlist" in refused.content.decode() and "cycle" in refused.content.decode()
    assert not PackageVersion.objects.exists()

    del for_certificate["from_result_of"]
    for_insurance["from_result_of"] = HELPER_REGISTRATION  # the insurance waits for the registration: its 户口簿
    assert admin_client.post(ADD_URL, form_data(data)).status_code == 302
    stored = PackageVersion.objects.get().materials.get(name="居民户口簿")
    assert {"matter": HELPER_INSURANCE, "material": "M01", "from_result_of": HELPER_REGISTRATION} in stored.sources


def test_the_guide_says_which_result_provides_a_material(birth: SimpleNamespace, district: SimpleNamespace) -> None:
    _with_certificate_from_result(birth, district)
    client = Client()
    client.cookies["django_language"] = "en"  # zh-hans: 由「出生医学证明首次签发」的办理结果提供，无需申请人提交
    html = client.get(f"/packages/{PACKAGE}/").content.decode()
    assert "Provided by the result of 「出生医学证明首次签发」, no need for the applicant to hand it in" in html
    row = html[html.index(f">{CERTIFICATE_DOC}<") :]
    row = row[: row.index("</tr>")]
    assert 'data-testid="produced-by"' in row
