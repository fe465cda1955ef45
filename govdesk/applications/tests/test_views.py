"""The unit handler's pages: its applications only, and the forms of the actions it may take."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.test import Client

from govdesk.applications.states import Status
from govdesk.applications.tests.factories import FakePdf, fresh, make_application

pytestmark = pytest.mark.django_db


def logged_in(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


def test_a_handler_sees_its_units_applications_and_acts_on_them(
    hall: SimpleNamespace, people: SimpleNamespace, fake_pdf: FakePdf
) -> None:
    ours = make_application(hall, people, Status.HANDLING)
    theirs = make_application(hall, people, Status.SUBMITTED, matter="141102-RS-QR-0003")
    client = logged_in(people.handler_a)
    page = client.get("/applications/").content.decode()
    assert ours.number in page and theirs.number not in page
    detail = client.get(f"/applications/{ours.number}/").content.decode()
    assert 'id="act-suspend"' in detail and 'id="act-approve"' in detail and 'id="act-accept"' not in detail
    assert "139****5678" in detail and "13912345678" not in detail
    assert client.get(f"/applications/{theirs.number}/").status_code == 403
    response = client.post(
        f"/applications/{ours.number}/actions/suspend/", {"reason": "专家评审", "kind": "expert_review"}
    )
    assert response.status_code == 302 and fresh(ours).status == Status.SUSPENDED
    # Wrong state: the page again with the message and 409, nothing changed.
    response = client.post(f"/applications/{ours.number}/actions/approve/")
    assert response.status_code == 409 and fresh(ours).status == Status.SUSPENDED
    response = client.post(f"/applications/{ours.number}/actions/resume/")
    assert response.status_code == 302 and fresh(ours).status == Status.HANDLING
    assert client.post(f"/applications/{ours.number}/actions/deny/", {"reason": ""}).status_code == 400
    assert client.post(f"/applications/{ours.number}/actions/nonsense/").status_code == 404


def test_the_window_asks_for_materials_and_the_notice_downloads(
    hall: SimpleNamespace, people: SimpleNamespace, fake_pdf: FakePdf
) -> None:
    application = make_application(hall, people, Status.SUBMITTED)
    client = logged_in(hall.clerk)
    response = client.post(
        f"/applications/{application.number}/actions/request-correction/",
        {"defective": ["M01"], "defect_M01": "未签字"},
    )
    assert response.status_code == 302 and fresh(application).status == Status.CORRECTION
    notice = fresh(application).notices.get()
    download = client.get(f"/applications/{application.number}/notices/{notice.pk}/")
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    assert (
        logged_in(people.handler_b).get(f"/applications/{application.number}/notices/{notice.pk}/").status_code == 403
    )
    assert logged_in(people.citizen).get("/applications/").status_code == 403


def test_the_timeline_reads_in_words_not_action_codes(
    hall: SimpleNamespace, people: SimpleNamespace, fake_pdf: FakePdf
) -> None:
    from django.utils import translation

    from govdesk.applications.views import EVENT_LABELS
    from govdesk.cases.labels import CASE_EVENT_LABELS
    from govdesk.cases.services import case_event_record

    application = make_application(hall, people, Status.HANDLING)
    # An event another app writes on any case (supervision's urge) reads as words too.
    case_event_record(case=application, action="urge", actor=people.supervisor, note="请加快办理")
    client = logged_in(people.handler_a)
    page = client.get(f"/applications/{application.number}/").content.decode()
    timeline = page[page.index('<ol class="timeline">') :]
    timeline = timeline[: timeline.index("</ol>")]
    with translation.override("zh-hans"):  # the staff pages are in Chinese
        urged, submitted = str(CASE_EVENT_LABELS["urge"]), str(EVENT_LABELS["submit"])
    assert urged == "催办" and f"<strong>{urged}</strong>" in timeline and f"<strong>{submitted}</strong>" in timeline
    assert "urge" not in timeline and "submit" not in timeline
