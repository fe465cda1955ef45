"""A material the clerk found defective (一次性告知 with a defect) is replaced with a new file, online by the applicant
and at the window by the clerk: the old file stays in the case's history, the defect is cleared and the material is
received again. Two files for one material, an oversized file or a disguised one are refused and write nothing."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings

from govdesk.applications import services, window_services
from govdesk.applications.models import Application
from govdesk.applications.states import Status
from govdesk.applications.tests.factories import APPLICANT, FORM, MATTER_CODE, FakePdf
from govdesk.audit.models import AuditEvent
from govdesk.cases.attachments import attachment_check
from govdesk.cases.models import Attachment, CaseEvent
from govdesk.common.errors import ValidationFailed

pytestmark = pytest.mark.django_db
DEFECT = "复印件不清晰，请重新提供"


def pdf_bytes(tag: str) -> bytes:
    return b"%PDF-1.4\n% " + tag.encode() + b"\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def pdf(name: str, tag: str = "") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, pdf_bytes(tag or name), content_type="application/pdf")


@pytest.fixture(autouse=True)
def _clear_cache() -> None:
    cache.clear()


def logged_in(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


@pytest.fixture
def defective(hall: SimpleNamespace, fake_pdf: FakePdf) -> Application:
    """Filed online with M01 and M02; the clerk finds M02's copy unreadable and asks for it and for M03 at once."""
    uploads = {code: attachment_check(name=f"{code}.pdf", data=pdf_bytes(f"first {code}")) for code in ("M01", "M02")}
    application = window_services.application_submit_online(
        actor=hall.applicant,
        data={"matter": MATTER_CODE, **APPLICANT, "form": dict(FORM)},
        uploads=uploads,
    )
    services.application_request_correction(application=application.number, actor=hall.clerk, defects={"M02": DEFECT})
    m02 = application.materials.get(code="M02")
    assert m02.defect == DEFECT and not m02.received and m02.attachment is not None
    return Application.objects.get(pk=application.pk)


def snapshot(application: Application) -> tuple[Any, ...]:
    materials = tuple(application.materials.order_by("code").values_list("code", "received", "defect", "attachment"))
    return (
        Attachment.objects.count(),
        CaseEvent.objects.count(),
        AuditEvent.objects.count(),
        materials,
        Application.objects.get(pk=application.pk).status,
    )


def assert_replaced(application: Application, old_attachment_id: int, new_data: bytes) -> None:
    m02 = application.materials.select_related("attachment").get(code="M02")
    assert m02.received and m02.defect == ""
    assert m02.attachment is not None and m02.attachment_id != old_attachment_id
    assert m02.attachment.file.read() == new_data
    # The old file is still the case's, and the timeline says which file replaced which and what was wrong.
    assert Attachment.objects.filter(pk=old_attachment_id, case_id=application.pk).exists()
    replace = CaseEvent.objects.get(case_id=application.pk, action="material-file-replace")
    assert replace.is_public and replace.data["material"] == "M02"
    assert replace.data["replaced_attachment"] == old_attachment_id and replace.data["replaced_name"] == "M02.pdf"
    supplement = CaseEvent.objects.filter(case_id=application.pk, action="supplement").latest("id")
    assert supplement.data["defects_cleared"] == {"M02": DEFECT}
    assert AuditEvent.objects.filter(action="application.material-file-replace", object_id=application.number).exists()


# --- online -------------------------------------------------------------------------------------------------------


def test_the_applicant_replaces_a_defective_file_online(hall: SimpleNamespace, defective: Application) -> None:
    citizen = logged_in(hall.applicant)
    url = f"/apply/mine/{defective.number}/"
    form = citizen.get(url).content.decode().split('id="supplement-form"')[1].split("</form>")[0]
    assert 'name="file_M02"' in form and DEFECT in form and 'name="file_M03"' in form
    old = defective.materials.get(code="M02").attachment_id
    assert old is not None
    response = citizen.post(f"{url}supplement/", {"file_M02": pdf("m02-new.pdf", "new"), "file_M03": pdf("m03.pdf")})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert_replaced(defective, old, pdf_bytes("new"))
    assert Application.objects.get(pk=defective.pk).status == Status.SUBMITTED  # complete again: back to the window
    # The applicant's checklist shows it received; no supplement form is left.
    page = citizen.get(url).content.decode()
    assert 'id="supplement-form"' not in page


def test_the_defective_file_alone_keeps_the_application_waiting_for_the_rest(
    hall: SimpleNamespace, defective: Application
) -> None:
    old = defective.materials.get(code="M02").attachment_id
    assert old is not None
    response = logged_in(hall.applicant).post(
        f"/apply/mine/{defective.number}/supplement/", {"file_M02": pdf("m02-new.pdf", "new")}
    )
    assert response.status_code == 302
    assert_replaced(defective, old, pdf_bytes("new"))
    assert Application.objects.get(pk=defective.pk).status == Status.CORRECTION  # M03 is still missing


def _oversized_limit() -> Any:
    return override_settings(GOVDESK={**settings.GOVDESK, "ATTACHMENT_MAX_BYTES": 40})


@pytest.mark.parametrize(
    "case",
    ["two files for one material", "disguised", "oversized"],
)
def test_online_refusals_write_nothing(hall: SimpleNamespace, defective: Application, case: str) -> None:
    citizen = logged_in(hall.applicant)
    before = snapshot(defective)
    files: dict[str, Any]
    if case == "two files for one material":
        files = {"file_M02": [pdf("a.pdf", "a"), pdf("b.pdf", "b")], "file_M03": pdf("m03.pdf")}
    elif case == "disguised":
        files = {"file_M02": SimpleUploadedFile("m02.pdf", b"MZ\x90\x00 an executable", "application/pdf")}
    else:
        files = {"file_M02": pdf("m02.pdf", "x" * 100)}
    with _oversized_limit() if case == "oversized" else _nothing():
        response = citizen.post(f"/apply/mine/{defective.number}/supplement/", files)
    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode()
    assert snapshot(defective) == before


class _nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *args: object) -> None:
        return None


# --- at the window ------------------------------------------------------------------------------------------------


def test_the_clerk_scans_the_new_copy_at_the_window(hall: SimpleNamespace, defective: Application) -> None:
    clerk = logged_in(hall.clerk)
    url = f"/window/applications/{defective.number}/materials/"
    detail = clerk.get(f"/applications/{defective.number}/").content.decode()
    assert url in detail  # the detail page's supplement form links to the scanning page
    page = clerk.get(url)
    assert page.status_code == 200
    text = page.content.decode()
    assert 'name="scan_M02"' in text and 'name="scan_M03"' in text and DEFECT in text and "M02.pdf" in text
    assert 'name="scan_M01"' not in text  # received and fine: nothing to hand in
    old = defective.materials.get(code="M02").attachment_id
    assert old is not None
    response = clerk.post(url, {"scan_M02": pdf("scan.pdf", "scanned"), "received": ["M03"]})
    assert response.status_code == 302 and response["Location"] == f"/applications/{defective.number}/"
    assert_replaced(defective, old, pdf_bytes("scanned"))
    m02 = defective.materials.get(code="M02")
    assert m02.checked_by == hall.clerk  # checked at the counter
    assert Application.objects.get(pk=defective.pk).status == Status.SUBMITTED
    # The checklist on the detail page shows it received again.
    detail = clerk.get(f"/applications/{defective.number}/").content.decode()
    line = next(li for li in detail.split("<li>") if "建设工程规划许可证" in li)
    assert line.startswith("✔") and DEFECT not in line


@pytest.mark.parametrize("case", ["two files for one material", "disguised", "oversized"])
def test_window_refusals_write_nothing(hall: SimpleNamespace, defective: Application, case: str) -> None:
    clerk = logged_in(hall.clerk)
    before = snapshot(defective)
    data: dict[str, Any]
    if case == "two files for one material":
        data = {"scan_M02": [pdf("a.pdf", "a"), pdf("b.pdf", "b")], "received": ["M03"]}
    elif case == "disguised":
        data = {"scan_M02": SimpleUploadedFile("m02.pdf", b"<html><script>", "application/pdf")}
    else:
        data = {"scan_M02": pdf("m02.pdf", "x" * 100)}
    with _oversized_limit() if case == "oversized" else _nothing():
        response = clerk.post(f"/window/applications/{defective.number}/materials/", data)
    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode()
    assert snapshot(defective) == before


def test_the_window_page_is_for_clerks_only(
    hall: SimpleNamespace, people: SimpleNamespace, defective: Application
) -> None:
    url = f"/window/applications/{defective.number}/materials/"
    assert logged_in(people.handler_a).get(url).status_code == 403
    assert logged_in(hall.applicant).get(url).status_code == 403
    assert logged_in(hall.clerk).get("/window/applications/BJ000/materials/").status_code == 404


def test_a_file_for_a_material_not_handed_in_is_refused_by_the_service(
    hall: SimpleNamespace, defective: Application
) -> None:
    before = snapshot(defective)
    file = attachment_check(name="m02.pdf", data=pdf_bytes("new"))
    with pytest.raises(ValidationFailed) as raised:
        services.application_supplement(
            application=defective.number, actor=hall.clerk, materials=["M03"], files={"M02": file}
        )
    assert "files" in raised.value.fields
    assert snapshot(defective) == before


def test_the_single_file_endpoint_points_a_defective_material_to_the_supplement(
    hall: SimpleNamespace, defective: Application, api_client_for: Any
) -> None:
    before = snapshot(defective)
    upload = SimpleUploadedFile("m02.pdf", pdf_bytes("new"), content_type="application/pdf")
    response = api_client_for(hall.applicant).post(
        f"/api/v1/applications/{defective.number}/materials/M02/file/", {"file": upload}, format="multipart"
    )
    assert response.status_code == 400
    assert "经审查有问题" in response.json()["message"]  # the API answers in the hall's language
    assert snapshot(defective) == before


def test_no_form_once_the_application_is_accepted(hall: SimpleNamespace, defective: Application) -> None:
    clerk = logged_in(hall.clerk)
    url = f"/window/applications/{defective.number}/materials/"
    clerk.post(url, {"scan_M02": pdf("scan.pdf", "scanned"), "received": ["M03"]})
    services.application_accept(application=defective.number, actor=hall.clerk)
    page = clerk.get(url).content.decode()
    assert 'id="materials-form"' not in page  # M04 (optional) is still not in, but nothing is handed in after 受理
    assert clerk.post(url, {"received": ["M04"]}).status_code == 409
