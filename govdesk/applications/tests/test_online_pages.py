"""网上申报: the citizen applies with uploads, follows the application, supplements exactly what is missing; a window
application is added to an account with the full ID number; anyone tracks by number + ID tail, masked."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from django.utils.translation import gettext as _

from govdesk.applications import services
from govdesk.applications.models import Application
from govdesk.applications.states import Status
from govdesk.applications.tests.factories import APPLICANT, FakePdf, make_application
from govdesk.audit.models import AuditEvent
from govdesk.cases.models import Attachment
from govdesk.org.models import Role
from govdesk.org.tests.factories import UserFactory

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def _clear_cache() -> None:
    cache.clear()  # rate-limit counters


def logged_in(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


def pdf(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def online_post(**overrides: Any) -> dict[str, Any]:
    return {
        **APPLICANT,
        "f_project_name": "滨河小区3号楼",
        "f_area": "12000",
        "f_promise": "on",
        "file_M01": pdf("m01.pdf"),
        "file_M02": pdf("m02.pdf"),
        **overrides,
    }


def apply_url(hall: SimpleNamespace) -> str:
    return f"/apply/{hall.matter.matter.code}/"


def test_pages_answer_by_role(hall: SimpleNamespace, people: SimpleNamespace) -> None:
    citizen = logged_in(hall.applicant)
    index = citizen.get("/apply/", {"q": "jzgc"})
    assert index.status_code == 200 and apply_url(hall) in index.content.decode()
    form = citizen.get(apply_url(hall))
    assert form.status_code == 200
    for name in ('name="f_project_name"', 'name="f_area"', 'type="date"', 'name="file_M03"', 'name="viewport"'):
        assert name in form.content.decode()
    assert citizen.get("/apply/NO-SUCH/").status_code == 404
    assert logged_in(hall.clerk).get("/apply/").status_code == 403
    assert logged_in(people.handler_a).get(apply_url(hall)).status_code == 403
    assert Client().get("/apply/").status_code == 302
    assert Client().get("/apply/track/").status_code == 200


def test_apply_follow_supplement_and_the_clerk_accepts(
    hall: SimpleNamespace, people: SimpleNamespace, fake_pdf: FakePdf
) -> None:
    citizen = logged_in(hall.applicant)
    response = citizen.post(apply_url(hall), online_post())
    assert response.status_code == 302
    application = Application.objects.get()
    assert application.channel == "online" and application.applicant == hall.applicant
    assert application.status == Status.SUBMITTED and response["Location"] == f"/apply/mine/{application.number}/"
    received = {m.code: m for m in application.materials.all()}
    assert received["M01"].received and received["M01"].attachment is not None and not received["M03"].received
    page = citizen.get(response["Location"]).content.decode()
    assert application.number in page and 'id="supplement-form"' not in page

    services.application_request_correction(application=application.number, actor=hall.clerk)
    page = citizen.get(response["Location"]).content.decode()
    form = page.split('id="supplement-form"')[1].split("</form>")[0]
    # Exactly what is missing: M03 is required and absent; M04 is optional; M01 and M02 are in.
    assert 'name="file_M03"' in form and "file_M01" not in form and "file_M04" not in form
    notice = application.notices.get()
    assert citizen.get(f"/apply/mine/{application.number}/notices/{notice.pk}/").status_code == 200

    assert citizen.post(f"/apply/mine/{application.number}/supplement/", {}).status_code == 400
    bad = {"file_M03": SimpleUploadedFile("x.pdf", b"MZ not a pdf", content_type="application/pdf")}
    assert citizen.post(f"/apply/mine/{application.number}/supplement/", bad).status_code == 400
    ok = citizen.post(f"/apply/mine/{application.number}/supplement/", {"file_M03": pdf("m03.pdf")})
    assert ok.status_code == 302
    application.refresh_from_db()
    assert application.status == Status.SUBMITTED and application.materials.get(code="M03").attachment is not None
    services.application_accept(application=application.number, actor=hall.clerk)
    assert Application.objects.get().status == Status.HANDLING

    # Someone else's application and notice read as missing.
    other = logged_in(UserFactory(username="other_citizen", roles=[Role.CITIZEN]))
    assert other.get(f"/apply/mine/{application.number}/").status_code == 404
    assert other.get(f"/apply/mine/{application.number}/notices/{notice.pk}/").status_code == 404


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"applicant_phone": "1391234"}, "applicant_phone"),
        ({"f_project_name": ""}, "f_project_name"),
        ({"f_area": "abc"}, "f_area"),
        ({"f_start_date": "2026-13-01"}, "f_start_date"),
        ({"file_M01": SimpleUploadedFile("m01.pdf", b"GIF89a fake", content_type="application/pdf")}, "file_M01"),
    ],
)
def test_bad_online_input_is_400_and_stores_nothing(
    hall: SimpleNamespace, overrides: dict[str, Any], field: str
) -> None:
    response = logged_in(hall.applicant).post(apply_url(hall), online_post(**overrides))
    assert response.status_code == 400
    page = response.content.decode()
    assert "has-error" in page and (f'name="{field}"' in page)
    assert Application.objects.count() == 0 and Attachment.objects.count() == 0


def test_a_window_application_is_added_with_the_full_id_number(
    hall: SimpleNamespace, people: SimpleNamespace, fake_pdf: FakePdf
) -> None:
    application = make_application(hall, people, Status.CORRECTION)
    citizen = logged_in(hall.applicant)
    assert citizen.get(f"/apply/mine/{application.number}/").status_code == 404
    wrong = citizen.post("/apply/claim/", {"number": application.number, "id_number": "110105194912310021"})
    missing = citizen.post(
        "/apply/claim/", {"number": "BJ00000000000000", "id_number": APPLICANT["applicant_id_number"]}
    )
    assert wrong.status_code == missing.status_code == 404
    assert AuditEvent.objects.filter(action="application.claim", success=False).count() == 2
    right = citizen.post("/apply/claim/", {"number": application.number, "id_number": APPLICANT["applicant_id_number"]})
    assert right.status_code == 302 and Application.objects.get().applicant == hall.applicant
    assert citizen.get(f"/apply/mine/{application.number}/").status_code == 200
    # Once claimed, nobody else can take it over, even with the ID number.
    other = logged_in(UserFactory(username="other_citizen", roles=[Role.CITIZEN]))
    claim = {"number": application.number, "id_number": APPLICANT["applicant_id_number"]}
    assert other.post("/apply/claim/", claim).status_code == 404
    assert Application.objects.get().applicant == hall.applicant


def test_public_tracking_masks_and_answers_alike(
    hall: SimpleNamespace, people: SimpleNamespace, fake_pdf: FakePdf
) -> None:
    application = make_application(hall, people, Status.HANDLING)
    client = Client()
    found = client.post("/apply/track/", {"number": application.number, "id_last4": "002x"})
    assert found.status_code == 200
    page = found.content.decode()
    assert "张**" in page
    assert "张建国" not in page and "13912345678" not in page and "11010519491231002X" not in page
    assert application.due_at is not None and application.due_at.strftime("%Y-%m-%d") in page
    assert str(_("Accept")) in page  # the public timeline, labelled
    wrong_tail = client.post("/apply/track/", {"number": application.number, "id_last4": "1234"})
    wrong_number = client.post("/apply/track/", {"number": "BJ20260101999999", "id_last4": "002X"})
    assert wrong_tail.status_code == wrong_number.status_code == 404

    def message(response: Any) -> str:
        return response.content.decode().split('role="alert"><p>')[1].split("</p>")[0]

    assert message(wrong_tail) == message(wrong_number)
    assert client.post("/apply/track/", {"number": application.number, "id_last4": "12"}).status_code == 400


def test_public_tracking_is_rate_limited(db: Any) -> None:
    client = Client()
    with override_settings(GOVDESK={"PUBLIC_SUBMIT_RATE": "1000/h", "PUBLIC_TRACK_RATE": "2/h"}):
        responses = [client.post("/apply/track/", {"number": "BJ1", "id_last4": "1234"}) for _ in range(3)]
    assert [r.status_code for r in responses] == [404, 404, 429]


def test_the_applicants_page_shows_the_timeline_and_notices(
    hall: SimpleNamespace, people: SimpleNamespace, fake_pdf: FakePdf, tmp_path: Path
) -> None:
    response = logged_in(hall.applicant).post(apply_url(hall), online_post(file_M03=pdf("m03.pdf")))
    application = Application.objects.get()
    services.application_accept(application=application.number, actor=hall.clerk)
    page = logged_in(hall.applicant).get(response["Location"]).content.decode()
    notice = application.notices.get()
    assert f"/apply/mine/{application.number}/notices/{notice.pk}/" in page
    assert str(_("Application submitted")) in page and str(_("Accept")) in page
    assert "139****5678" in page and "13912345678" not in page
