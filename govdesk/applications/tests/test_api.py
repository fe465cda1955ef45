"""The API contract: the names external tools rely on, the error codes, scoping, notices and files."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from govdesk.applications.models import Application, ApplicationNotice
from govdesk.applications.states import Status
from govdesk.applications.tests.factories import FakePdf, make_application, submission
from govdesk.audit.models import AuditEvent
from govdesk.cases.models import Attachment, CaseEvent

pytestmark = pytest.mark.django_db
Client = Callable[[Any], APIClient]
URL = "/api/v1/applications/"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_submit_answers_201_with_number_and_status(
    hall: SimpleNamespace, api_client_for: Client, fake_pdf: FakePdf
) -> None:
    response = api_client_for(hall.clerk).post(URL, submission(materials=["M01"]), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["number"].startswith("BJ") and body["status"] == "submitted"
    assert response["Location"] == f"{URL}{body['number']}/"


def test_the_detail_carries_the_contracts_keys(
    hall: SimpleNamespace, people: SimpleNamespace, api_client_for: Client, fake_pdf: FakePdf
) -> None:
    application = make_application(hall, people, Status.HANDLING)
    body = api_client_for(people.handler_a).get(f"{URL}{application.number}/").json()
    for key in ("status", "matter", "unit", "accepted_at", "due_at", "missing_materials", "timeline", "notices"):
        assert key in body, key
    assert body["status"] == "handling" and body["matter"] == "141102-ZJ-XK-0001" and body["unit"] == "LS-ZJ"
    assert body["missing_materials"] == [] and body["accepted_at"] and body["due_at"]
    assert [n["kind"] for n in body["notices"]] == ["acceptance"]
    assert set(body["notices"][0]) >= {"kind", "url"}
    assert [e["action"] for e in body["timeline"]] == ["submit", "accept"]
    assert set(body["allowed_actions"]) == {"suspend", "approve", "deny"}
    # Personal data masked in every answer.
    assert body["applicant_phone"] == "139****5678" and body["applicant_id_number"] == "110105********002X"


def test_missing_materials_are_listed_by_code(
    hall: SimpleNamespace, people: SimpleNamespace, api_client_for: Client, fake_pdf: FakePdf
) -> None:
    application = make_application(hall, people, Status.CORRECTION)
    body = api_client_for(hall.clerk).get(f"{URL}{application.number}/").json()
    assert body["missing_materials"] == ["M02", "M03"]
    assert body["notices"][0]["kind"] == "correction"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"matter": "NO-SUCH"}, "matter"),
        ({"materials": ["M77"]}, "materials"),
        ({"form": {"project_name": "x" * 51, "area": 1, "promise": True}}, "form.project_name"),
        ({"form": {"project_name": "楼", "area": "很大", "promise": False}}, "form.area"),
        ({"channel": "fax"}, "channel"),
        ({"materials": "M01"}, "materials"),
    ],
)
def test_bad_submissions_are_400_with_the_field_and_store_nothing(
    hall: SimpleNamespace, api_client_for: Client, overrides: dict[str, Any], field: str
) -> None:
    response = api_client_for(hall.clerk).post(URL, submission(**overrides), format="json")
    assert response.status_code == 400, response.json()
    assert field in response.json()["fields"]
    assert not Application.objects.exists() and not CaseEvent.objects.exists()


def test_only_clerks_and_citizens_submit_and_are_told_so_before_any_field_is_read(
    hall: SimpleNamespace, people: SimpleNamespace, api_client_for: Client
) -> None:
    for user in (people.handler_a, people.operator, people.supervisor):
        response = api_client_for(user).post(URL, {"matter": 1}, format="json")
        assert response.status_code == 403, user
    assert not Application.objects.exists()


def test_the_form_errors_name_every_bad_field(hall: SimpleNamespace, api_client_for: Client) -> None:
    form = {"project_name": "", "area": "很大", "promise": False}
    response = api_client_for(hall.clerk).post(URL, submission(form=form), format="json")
    assert response.status_code == 400
    assert {"form.project_name", "form.area", "form.promise"} <= set(response.json()["fields"])


def test_actions_answer_409_in_the_wrong_state_and_403_for_the_wrong_unit(
    hall: SimpleNamespace, people: SimpleNamespace, api_client_for: Client, fake_pdf: FakePdf
) -> None:
    application = make_application(hall, people, Status.SUBMITTED)
    clerk = api_client_for(hall.clerk)
    # A required material missing: 409, not accepted.
    response = clerk.post(f"{URL}{application.number}/accept/", {}, format="json")
    assert response.status_code == 409 and response.json()["code"] == "invalid_transition"
    response = clerk.post(f"{URL}{application.number}/deliver/", {}, format="json")
    assert response.status_code == 409
    clerk.post(f"{URL}{application.number}/supplement/", {"materials": ["M02", "M03"]}, format="json")
    assert clerk.post(f"{URL}{application.number}/accept/", {}, format="json").status_code == 200
    response = api_client_for(people.handler_b).post(f"{URL}{application.number}/approve/", {}, format="json")
    assert response.status_code == 403
    response = api_client_for(people.handler_a).post(
        f"{URL}{application.number}/suspend/", {"reason": "组织听证", "kind": "hearing"}, format="json"
    )
    assert response.status_code == 200 and response.json()["status"] == "suspended"
    assert response.json()["suspensions"][0]["kind"] == "hearing"
    assert response.json()["due_at"] is None
    response = api_client_for(people.handler_a).post(f"{URL}{application.number}/resume/", {}, format="json")
    assert response.json()["status"] == "handling" and response.json()["due_at"]
    response = api_client_for(people.handler_a).post(f"{URL}{application.number}/deny/", {"reason": ""}, format="json")
    assert response.status_code == 400 and "reason" in response.json()["fields"]
    response = api_client_for(people.handler_a).post(
        f"{URL}{application.number}/deny/", {"reason": "不符合法定条件"}, format="json"
    )
    assert response.json()["status"] == "denied"
    response = clerk.post(f"{URL}{application.number}/deliver/", {"delivery": "post"}, format="json")
    assert response.json()["status"] == "closed"
    assert api_client_for(people.handler_a).post(f"{URL}{application.number}/nonsense/", {}).status_code == 404


def test_request_correction_and_refuse_through_the_api(
    hall: SimpleNamespace, people: SimpleNamespace, api_client_for: Client, fake_pdf: FakePdf
) -> None:
    clerk = api_client_for(hall.clerk)
    first = make_application(hall, people, Status.SUBMITTED)
    response = clerk.post(f"{URL}{first.number}/request-correction/", {"defects": {"M01": "未签字"}}, format="json")
    assert response.status_code == 200
    assert response.json()["missing_materials"] == ["M01", "M02", "M03"]
    second = make_application(hall, people, Status.SUBMITTED)
    assert clerk.post(f"{URL}{second.number}/refuse/", {}, format="json").status_code == 400
    response = clerk.post(f"{URL}{second.number}/refuse/", {"reason": "不属于本机关职权范围"}, format="json")
    assert response.json()["status"] == "refused" and response.json()["notices"][0]["kind"] == "refusal"


def test_visibility_clerk_unit_applicant_and_others(
    hall: SimpleNamespace, people: SimpleNamespace, api_client_for: Client, fake_pdf: FakePdf
) -> None:
    own = api_client_for(hall.applicant).post(URL, submission(channel="online"), format="json").json()["number"]
    dept_b = (
        api_client_for(hall.clerk).post(URL, submission(matter="141102-RS-QR-0003"), format="json").json()["number"]
    )
    for user, status in (
        (hall.clerk, 200),
        (people.handler_a, 200),
        (people.unit_admin_a, 200),
        (hall.applicant, 200),
        (people.supervisor, 200),
        (people.handler_b, 403),
        (people.operator, 403),
        (people.other_citizen, 404),
    ):
        assert api_client_for(user).get(f"{URL}{own}/").status_code == status, user
    # A citizen hears "not found" for another's application exactly as for a number nobody uses.
    unknown = api_client_for(people.other_citizen).get(f"{URL}BJ20990101000001/")
    other = api_client_for(people.other_citizen).get(f"{URL}{own}/")
    assert unknown.status_code == other.status_code == 404
    assert unknown.json()["code"] == other.json()["code"]
    # Lists: each sees what is theirs.
    numbers = lambda user: {r["number"] for r in api_client_for(user).get(URL).json()["results"]}  # noqa: E731
    assert numbers(hall.clerk) == {own, dept_b}
    assert numbers(people.handler_a) == {own}
    assert numbers(people.handler_b) == {dept_b}
    assert numbers(hall.applicant) == {own}
    assert numbers(people.other_citizen) == set()
    assert api_client_for(None).get(URL).status_code in (401, 403)


def test_the_list_costs_the_same_queries_for_one_row_or_many(
    hall: SimpleNamespace, people: SimpleNamespace, api_client_for: Client, fake_pdf: FakePdf
) -> None:
    client = api_client_for(hall.clerk)
    make_application(hall, people, Status.SUBMITTED)
    with CaptureQueriesContext(connection) as one:
        assert client.get(URL).status_code == 200
    for _ in range(4):
        make_application(hall, people, Status.HANDLING)
    with CaptureQueriesContext(connection) as five:
        body = client.get(URL).json()
    assert body["count"] == 5
    assert len(five.captured_queries) == len(one.captured_queries)
    assert client.get(URL, {"status": "nonsense"}).status_code == 400
    assert client.get(URL, {"status": "handling"}).json()["count"] == 4


def test_a_notice_is_served_only_to_those_who_may_see_the_application(
    hall: SimpleNamespace, people: SimpleNamespace, api_client_for: Client, fake_pdf: FakePdf
) -> None:
    application = make_application(hall, people, Status.APPROVED, channel="window")
    body = api_client_for(hall.clerk).get(f"{URL}{application.number}/").json()
    urls = {n["kind"]: n["url"] for n in body["notices"]}
    assert set(urls) == {"acceptance", "result"}
    response: Any = api_client_for(people.handler_a).get(urls["result"])
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF-")
    assert api_client_for(people.handler_b).get(urls["result"]).status_code == 403
    assert api_client_for(people.other_citizen).get(urls["result"]).status_code == 404
    assert api_client_for(None).get(urls["result"]).status_code in (401, 403)
    other_notice = ApplicationNotice.objects.exclude(application=application).first()
    if other_notice is not None:  # a notice id of another application under this number: not found
        assert (
            api_client_for(hall.clerk).get(f"{URL}{application.number}/notices/{other_notice.pk}/").status_code == 404
        )


def test_material_files_oversized_disguised_or_twice_are_400_and_store_nothing(
    hall: SimpleNamespace, people: SimpleNamespace, api_client_for: Client, settings: Any
) -> None:
    application = make_application(hall, people, Status.SUBMITTED)
    client = api_client_for(hall.clerk)
    url = f"{URL}{application.number}/materials/M02/file/"
    disguised = SimpleUploadedFile("规划许可证.pdf", b"MZ\x90\x00 an executable", content_type="application/pdf")
    assert client.post(url, {"file": disguised}, format="multipart").status_code == 400
    settings.GOVDESK = {**settings.GOVDESK, "ATTACHMENT_MAX_BYTES": 64}
    big = SimpleUploadedFile("big.pdf", PDF + b"0" * 100 + b"%%EOF\n", content_type="application/pdf")
    assert client.post(url, {"file": big}, format="multipart").status_code == 400
    assert not Attachment.objects.exists()
    ok = SimpleUploadedFile("规划许可证.pdf", PDF, content_type="application/pdf")
    response = client.post(url, {"file": ok}, format="multipart")
    assert response.status_code == 201 and response.json()["has_file"] is True
    again = SimpleUploadedFile("规划许可证.pdf", PDF, content_type="application/pdf")
    assert client.post(url, {"file": again}, format="multipart").status_code == 400
    assert Attachment.objects.count() == 1
    unknown = f"{URL}{application.number}/materials/M99/file/"
    assert client.post(unknown, {"file": SimpleUploadedFile("a.pdf", PDF)}, format="multipart").status_code == 400
    # Another citizen's application does not exist for them.
    other = api_client_for(people.other_citizen).post(url, {"file": SimpleUploadedFile("a.pdf", PDF)})
    assert other.status_code == 404


def test_reveal_is_audited_and_only_for_the_window_and_the_unit(
    hall: SimpleNamespace, people: SimpleNamespace, api_client_for: Client, fake_pdf: FakePdf
) -> None:
    application = make_application(hall, people, Status.HANDLING)
    url = f"{URL}{application.number}/reveal/"
    response = api_client_for(hall.clerk).post(url, {"field": "applicant_phone"}, format="json")
    assert response.status_code == 200 and response.json()["value"] == "13912345678"
    response = api_client_for(people.handler_a).post(url, {"field": "applicant_id_number"}, format="json")
    assert response.json()["value"] == "11010519491231002X"
    assert api_client_for(people.supervisor).post(url, {"field": "applicant_phone"}, format="json").status_code == 403
    assert api_client_for(people.handler_b).post(url, {"field": "applicant_phone"}, format="json").status_code == 403
    assert (
        api_client_for(people.other_citizen).post(url, {"field": "applicant_phone"}, format="json").status_code == 404
    )
    views = AuditEvent.objects.filter(action="pii.view", object_id=application.number)
    assert views.filter(success=True).count() == 2 and views.filter(success=False).count() == 3
