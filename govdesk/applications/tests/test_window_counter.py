"""The clerk's counter: find a matter by pinyin initials, register and decide in one form, print the notice (real
PDFs, read back); bad input re-shows the form with 400 and stores nothing."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from govdesk.applications.models import Application, ApplicationNotice
from govdesk.applications.states import Status
from govdesk.applications.tests.factories import APPLICANT, FakePdf
from govdesk.applications.tests.test_notices import pdf_text, squeezed
from govdesk.cases.models import Attachment

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def logged_in(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


def counter_post(*, received: list[str], decision: str, **overrides: Any) -> dict[str, Any]:
    return {
        **APPLICANT,
        "f_project_name": "滨河小区3号楼",
        "f_area": "12000",
        "f_start_date": "2026-11-01",
        "f_promise": "on",
        "received": received,
        "decision": decision,
        **overrides,
    }


def register_url(hall: SimpleNamespace) -> str:
    return f"/window/register/{hall.matter.matter.code}/"


def test_the_clerk_finds_a_matter_by_pinyin_initials(hall: SimpleNamespace) -> None:
    clerk = logged_in(hall.clerk)
    found = clerk.get("/window/matters/", {"q": "jzgc"}).json()["results"]
    assert [r["code"] for r in found] == [hall.matter.matter.code]
    assert found[0]["url"].endswith(f"?matter={hall.matter.matter.code}")
    page = clerk.get("/window/", {"matter": hall.matter.matter.code}).content.decode()
    for name in (
        "建筑工程施工许可证申请表",
        "建设工程规划许可证",
        "施工合同",
        'name="f_project_name"',
        'name="scan_M02"',
    ):
        assert name in page
    assert clerk.get("/window/", {"q": "jzgc"}).content.decode().count(hall.matter.matter.code) >= 1
    assert clerk.get("/window/", {"matter": "NO-SUCH"}).status_code == 404
    assert logged_in(hall.applicant).get("/window/matters/", {"q": "jzgc"}).status_code == 403


def test_registering_with_two_missing_materials_issues_a_correction_notice_listing_both(
    hall: SimpleNamespace, tmp_path: Path
) -> None:
    clerk = logged_in(hall.clerk)
    response = clerk.post(register_url(hall), counter_post(received=["M01"], decision="correction"))
    assert response.status_code == 302
    application = Application.objects.get()
    assert application.status == Status.CORRECTION and application.channel == "window"
    page = clerk.get(response["Location"]).content.decode()
    notice = ApplicationNotice.objects.get(application=application)
    link = f"/applications/{application.number}/notices/{notice.pk}/"
    assert application.number in page and link in page
    download = clerk.get(link)
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    text = squeezed(pdf_text(b"".join(download.streaming_content), tmp_path))  # type: ignore[attr-defined]
    assert "一次性告知书" in text and "建设工程规划许可证" in text and "施工合同" in text
    assert "建筑工程施工许可证申请表" not in text  # received: not asked for


def test_accepting_with_scans_and_refusing_with_a_reason(hall: SimpleNamespace, tmp_path: Path) -> None:
    clerk = logged_in(hall.clerk)
    data = counter_post(received=["M01", "M03"], decision="accept")
    # The scan of M02 counts as received even though its box was not ticked.
    data["scan_M02"] = SimpleUploadedFile("guihua.pdf", PDF, content_type="application/pdf")
    response = clerk.post(register_url(hall), data)
    assert response.status_code == 302
    application = Application.objects.get()
    assert application.status == Status.HANDLING and application.due_at is not None
    scanned = application.materials.get(code="M02")
    assert scanned.received and scanned.attachment is not None and scanned.checked_by == hall.clerk
    acceptance = application.notices.get()
    assert "受理通知书" in squeezed(pdf_text(acceptance.file.read(), tmp_path))

    response = clerk.post(
        register_url(hall), counter_post(received=[], decision="refuse", reason="不属于本机关职权范围")
    )
    assert response.status_code == 302
    refused = Application.objects.exclude(pk=application.pk).get()
    assert refused.status == Status.REFUSED and refused.decision_reason == "不属于本机关职权范围"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"applicant_phone": "12345"}, "applicant_phone"),
        ({"applicant_id_number": "110105194912310021"}, "applicant_id_number"),
        ({"applicant_name": ""}, "applicant_name"),
        ({"f_area": "很多"}, "f_area"),
        ({"f_promise": ""}, "f_promise"),
        ({"decision": "maybe"}, None),
        ({"decision": "refuse", "reason": "  "}, None),
    ],
)
def test_bad_input_is_shown_again_with_400_and_nothing_is_stored(
    hall: SimpleNamespace, fake_pdf: FakePdf, overrides: dict[str, Any], field: str | None
) -> None:
    data = {**counter_post(received=["M01", "M02", "M03"], decision="accept"), **overrides}
    response = logged_in(hall.clerk).post(register_url(hall), data)
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="register-form"' in page and 'class="alert alert-error"' in page
    if field is not None:
        assert f'name="{field}"' in page and "has-error" in page
    assert Application.objects.count() == 0 and not fake_pdf.rendered


def test_accepting_while_materials_are_missing_is_409_and_leaves_nothing(
    hall: SimpleNamespace, fake_pdf: FakePdf
) -> None:
    data = counter_post(received=["M01"], decision="accept")
    data["scan_M01"] = SimpleUploadedFile("a.pdf", PDF, content_type="application/pdf")
    response = logged_in(hall.clerk).post(register_url(hall), data)
    assert response.status_code == 409
    assert "建设工程规划许可证" in response.content.decode()  # the message names what is missing
    assert Application.objects.count() == 0 and Attachment.objects.count() == 0 and not fake_pdf.rendered


def test_a_disguised_scan_is_refused(hall: SimpleNamespace, fake_pdf: FakePdf) -> None:
    data = counter_post(received=["M01", "M02", "M03"], decision="accept")
    data["scan_M01"] = SimpleUploadedFile("scan.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")
    response = logged_in(hall.clerk).post(register_url(hall), data)
    assert response.status_code == 400 and Application.objects.count() == 0


def test_only_window_clerks_register(hall: SimpleNamespace, people: SimpleNamespace) -> None:
    data = counter_post(received=["M01", "M02", "M03"], decision="accept")
    assert logged_in(people.handler_a).post(register_url(hall), data).status_code == 403
    assert logged_in(hall.applicant).post(register_url(hall), data).status_code == 403
    assert Client().post(register_url(hall), data).status_code == 302
    assert logged_in(hall.clerk).post("/window/register/NO-SUCH/", data).status_code == 404
    assert Application.objects.count() == 0
