"""The services: intake checks, the acceptance guard, the one-time correction and its clock, supplements,
deadlines across National Day and a suspension, 即办件, material files, and the audit of every change."""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
import time_machine

from govdesk.applications import services
from govdesk.applications.models import Application, ApplicationMaterial, ApplicationNotice
from govdesk.applications.states import Status
from govdesk.applications.tests.factories import (
    FORM,
    INSTANT_CODE,
    FakePdf,
    fresh,
    make_application,
    publish_matter,
    submission,
)
from govdesk.audit.models import AuditEvent
from govdesk.cases.attachments import CheckedFile, attachment_check
from govdesk.cases.models import Attachment, CaseEvent, CaseSuspension, CaseUnit
from govdesk.cases.services import case_deadlines_sweep
from govdesk.common.errors import InvalidTransition, NotFound, PermissionDenied, ValidationFailed

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def at(day: str, hour: int = 10) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=SHANGHAI)


# --- intake -------------------------------------------------------------------------------------------------------


def test_a_window_submission_keeps_the_version_the_unit_and_the_checklist(
    hall: SimpleNamespace, people: SimpleNamespace, district: SimpleNamespace
) -> None:
    application = services.application_submit(actor=hall.clerk, data=submission(materials=["M01", "M03"]))
    assert application.number.startswith("BJ") and len(application.number) == 16
    assert application.status == Status.SUBMITTED and application.kind == "application"
    assert application.matter_version == hall.matter and application.primary_unit == district.dept_a
    assert CaseUnit.objects.get(case=application, is_active=True).unit == district.dept_a
    assert application.accepted_at is None and application.due_at is None
    rows = {m.code: m for m in ApplicationMaterial.objects.filter(application=application)}
    assert {c for c, m in rows.items() if m.received} == {"M01", "M03"}
    assert rows["M01"].checked_by == hall.clerk and rows["M02"].checked_by is None
    assert fresh(application).form == {**FORM}
    assert AuditEvent.objects.filter(action="application.submit", object_id=application.number).exists()


def test_a_later_version_of_the_matter_does_not_change_a_submitted_application(
    hall: SimpleNamespace, people: SimpleNamespace, district: SimpleNamespace
) -> None:
    application = services.application_submit(actor=hall.clerk, data=submission())
    newer = publish_matter(district.dept_a, promised=3)
    assert newer.version == 2
    assert fresh(application).matter_version.version == 1


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"matter": "NO-SUCH-MATTER"}, "matter"),
        ({"materials": ["M01", "M99"]}, "materials"),
        ({"materials": ["M01", "M01"]}, "materials"),
        ({"form": {**FORM, "area": "十二"}}, "form.area"),
        ({"form": {**FORM, "project_name": ""}}, "form.project_name"),
        ({"form": {**FORM, "unknown": "x"}}, "form.unknown"),
        ({"applicant_phone": "12345"}, "applicant_phone"),
        ({"applicant_id_number": "110105194912310021"}, "applicant_id_number"),
        ({"applicant_name": "\u200b"}, "applicant_name"),
        ({"channel": "online"}, "channel"),
    ],
)
def test_bad_submissions_are_refused_with_the_field_named_and_nothing_stored(
    hall: SimpleNamespace, people: SimpleNamespace, overrides: dict[str, object], field: str
) -> None:
    with pytest.raises(ValidationFailed) as caught:
        services.application_submit(actor=hall.clerk, data=submission(**overrides))
    assert field in caught.value.fields
    assert not Application.objects.exists() and not CaseEvent.objects.exists()


def test_only_clerks_and_citizens_submit_and_each_on_their_own_channel(
    hall: SimpleNamespace, people: SimpleNamespace
) -> None:
    for outsider in (people.handler_a, people.operator, people.supervisor):
        with pytest.raises(PermissionDenied):
            services.application_submit(actor=outsider, data=submission())
    online = services.application_submit(actor=hall.applicant, data=submission(channel="online"))
    assert online.applicant == hall.applicant and online.channel == "online"
    assert not online.materials.filter(checked_by__isnull=False).exists()
    with pytest.raises(ValidationFailed):
        services.application_submit(actor=hall.applicant, data=submission(channel="window"))


# --- at the window ------------------------------------------------------------------------------------------------


def test_accepting_with_a_required_material_missing_is_409_and_writes_nothing(
    hall: SimpleNamespace, people: SimpleNamespace, fake_pdf: FakePdf
) -> None:
    # The optional M04 is not needed; M03 is.
    application = services.application_submit(actor=hall.clerk, data=submission(materials=["M01", "M02"]))
    with pytest.raises(InvalidTransition, match="施工合同"):
        services.application_accept(application=application.number, actor=hall.clerk)
    assert fresh(application).status == Status.SUBMITTED and not ApplicationNotice.objects.exists()


def test_the_correction_lists_everything_at_once_and_the_clock_waits_for_all_of_it(
    hall: SimpleNamespace, people: SimpleNamespace, fake_pdf: FakePdf
) -> None:
    with time_machine.travel(at("2026-09-21"), tick=False):
        application = services.application_submit(actor=hall.clerk, data=submission(materials=["M01", "M02"]))
        services.application_request_correction(
            application=application.number, actor=hall.clerk, defects={"M01": "未签字"}
        )
    assert [m["code"] for m in fake_pdf.rendered[-1].materials] == ["M01", "M03"]
    stored = fresh(application)
    assert stored.status == Status.CORRECTION and stored.due_at is None and stored.accepted_at is None
    # The applicant brings one of the two: still waiting, the clock still not started.
    with time_machine.travel(at("2026-09-24"), tick=False):
        services.application_supplement(application=application.number, actor=hall.clerk, materials=["M03"])
    stored = fresh(application)
    assert stored.status == Status.CORRECTION and stored.due_at is None
    # The second: complete, back to the window, still not started until accepted.
    with time_machine.travel(at("2026-09-29"), tick=False):
        services.application_supplement(application=application.number, actor=hall.clerk, materials=["M01"])
        assert fresh(application).status == Status.SUBMITTED and fresh(application).due_at is None
        services.application_accept(application=application.number, actor=hall.clerk)
    stored = fresh(application)
    assert stored.accepted_at == at("2026-09-29")
    # 5 working days from 29 September, across National Day 2026 (1–7 October off; Saturday 10 October worked).
    assert stored.due_at == datetime(2026, 10, 12, 17, 30, tzinfo=SHANGHAI)


def test_correction_needs_something_to_correct(
    hall: SimpleNamespace, people: SimpleNamespace, fake_pdf: FakePdf
) -> None:
    application = services.application_submit(actor=hall.clerk, data=submission(materials=["M01", "M02", "M03"]))
    with pytest.raises(InvalidTransition):
        services.application_request_correction(application=application.number, actor=hall.clerk)
    with pytest.raises(ValidationFailed):
        services.application_request_correction(application=application.number, actor=hall.clerk, defects={"M99": "x"})
    assert fresh(application).status == Status.SUBMITTED


def test_a_material_received_twice_or_unknown_is_400(
    hall: SimpleNamespace, people: SimpleNamespace, fake_pdf: FakePdf
) -> None:
    application = make_application(hall, people, Status.CORRECTION)
    for materials in (["M01"], ["M99"], ["M02", "M02"], []):
        with pytest.raises(ValidationFailed):
            services.application_supplement(application=application.number, actor=hall.clerk, materials=materials)
    assert fresh(application).status == Status.CORRECTION


def test_the_applicant_supplements_their_own_application_only(
    hall: SimpleNamespace, people: SimpleNamespace, fake_pdf: FakePdf
) -> None:
    own = services.application_submit(actor=hall.applicant, data=submission(channel="online", materials=["M01"]))
    services.application_request_correction(application=own.number, actor=hall.clerk)
    services.application_supplement(application=own.number, actor=hall.applicant, materials=["M02", "M03"])
    stored = fresh(own)
    assert stored.status == Status.SUBMITTED
    # Uploaded online: the clerk checks them when accepting.
    assert stored.materials.get(code="M02").checked_by is None
    services.application_accept(application=own.number, actor=hall.clerk)
    assert fresh(own).materials.get(code="M02").checked_by == hall.clerk
    window = make_application(hall, people, Status.CORRECTION)
    with pytest.raises(NotFound):
        services.application_supplement(application=window.number, actor=hall.applicant, materials=["M02"])


# --- the implementing unit ----------------------------------------------------------------------------------------


def test_a_suspension_stops_the_clock_and_moves_the_deadline_by_its_working_days(
    hall: SimpleNamespace, people: SimpleNamespace, fake_pdf: FakePdf
) -> None:
    with time_machine.travel(at("2026-09-29"), tick=False):
        application = make_application(hall, people, Status.HANDLING)
    assert fresh(application).due_at == datetime(2026, 10, 12, 17, 30, tzinfo=SHANGHAI)
    with time_machine.travel(at("2026-09-30"), tick=False):
        services.application_suspend(
            application=application.number, actor=people.handler_a, reason="专家评审", kind="expert_review"
        )
    assert fresh(application).due_at is None  # the clock stands: the deadline sweep cannot flag it overdue
    # Resumed on 9 October: 8 and 9 October were working days (1–7 October are National Day).
    with time_machine.travel(at("2026-10-09", 15), tick=False):
        services.application_resume(application=application.number, actor=people.handler_a)
    suspension = CaseSuspension.objects.get(case_id=application.pk)
    assert suspension.kind == "expert_review" and suspension.working_days == 2
    assert suspension.started_by == people.handler_a and suspension.ended_by == people.handler_a
    # 12 October + 2 working days.
    assert fresh(application).due_at == datetime(2026, 10, 14, 17, 30, tzinfo=SHANGHAI)
    assert fresh(application).status == Status.HANDLING


def test_suspend_checks_its_input(hall: SimpleNamespace, people: SimpleNamespace, fake_pdf: FakePdf) -> None:
    application = make_application(hall, people, Status.HANDLING)
    with pytest.raises(ValidationFailed):
        services.application_suspend(application=application.number, actor=people.handler_a, reason="")
    with pytest.raises(ValidationFailed):
        services.application_suspend(application=application.number, actor=people.handler_a, reason="x", kind="nap")
    assert not CaseSuspension.objects.exists()


def test_an_instant_matter_is_accepted_and_decided_on_the_spot(
    hall: SimpleNamespace, people: SimpleNamespace, fake_pdf: FakePdf
) -> None:
    with time_machine.travel(at("2026-09-29"), tick=False):
        application = services.application_submit(
            actor=hall.clerk, data=submission(matter=INSTANT_CODE, materials=["M01", "M02", "M03"])
        )
        services.application_accept(application=application.number, actor=hall.clerk)
    stored = fresh(application)
    assert stored.status == Status.APPROVED
    assert stored.accepted_at == stored.decided_at == at("2026-09-29")
    assert stored.decision_due_at == datetime(2026, 9, 29, 17, 30, tzinfo=SHANGHAI)
    # Ten working days to deliver: 30 Sep, 8, 9, 10 (make-up Saturday), 12–16 and 19 October.
    assert stored.due_at == datetime(2026, 10, 19, 17, 30, tzinfo=SHANGHAI)
    assert fake_pdf.rendered[0].due_at == stored.decision_due_at  # the acceptance notice states the decision's
    assert sorted(ApplicationNotice.objects.filter(application=stored).values_list("kind", flat=True)) == [
        "acceptance",
        "result",
    ]
    services.application_deliver(application=application.number, actor=hall.clerk, delivery="electronic")
    stored = fresh(application)
    assert stored.status == Status.CLOSED and stored.delivery == "electronic" and not stored.is_open


def test_handling_is_for_the_matters_own_unit(
    hall: SimpleNamespace, people: SimpleNamespace, fake_pdf: FakePdf
) -> None:
    application = make_application(hall, people, Status.HANDLING)
    for outsider in (people.handler_b, people.street_handler):
        with pytest.raises(PermissionDenied):
            services.application_approve(application=application.number, actor=outsider)
    # The clerk does not decide what the unit decides, and a unit does not accept at the window.
    with pytest.raises(PermissionDenied):
        services.application_approve(application=application.number, actor=hall.clerk)
    submitted = make_application(hall, people, Status.SUBMITTED)
    with pytest.raises(PermissionDenied):
        services.application_refuse(application=submitted.number, actor=people.handler_a, reason="x")
    # The unit's administrator decides too.
    services.application_approve(application=application.number, actor=people.unit_admin_a)
    assert fresh(application).status == Status.APPROVED


def test_every_change_is_on_the_timeline_and_in_the_audit_trail(
    hall: SimpleNamespace, people: SimpleNamespace, fake_pdf: FakePdf
) -> None:
    application = make_application(hall, people, Status.CLOSED)
    actions = list(CaseEvent.objects.filter(case_id=application.pk).values_list("action", flat=True))
    assert actions == ["submit", "accept", "approve", "deliver"]
    audited = list(
        AuditEvent.objects.filter(object_id=application.number).order_by("id").values_list("action", flat=True)
    )
    assert audited == ["application.submit", "application.accept", "application.approve", "application.deliver"]


# --- material files -----------------------------------------------------------------------------------------------


def test_a_material_file_is_stored_once(hall: SimpleNamespace, people: SimpleNamespace, fake_pdf: FakePdf) -> None:
    application = make_application(hall, people, Status.SUBMITTED)
    scan = attachment_check(name="合同.pdf", data=PDF)
    material = services.application_material_attach(
        application=application.number, actor=hall.clerk, code="M01", file=scan
    )
    assert material.attachment is not None and material.attachment.case_id == application.pk
    with pytest.raises(ValidationFailed):
        services.application_material_attach(application=application.number, actor=hall.clerk, code="M01", file=scan)
    with pytest.raises(ValidationFailed):
        services.application_material_attach(application=application.number, actor=hall.clerk, code="M99", file=scan)
    assert Attachment.objects.count() == 1
    services.application_supplement(application=application.number, actor=hall.clerk, materials=["M02", "M03"])
    services.application_accept(application=application.number, actor=hall.clerk)
    with pytest.raises(InvalidTransition):
        services.application_material_attach(
            application=application.number,
            actor=hall.clerk,
            code="M02",
            file=CheckedFile("a.pdf", "application/pdf", PDF),
        )


def test_a_decision_in_time_is_not_flagged_overdue_while_the_result_waits_for_delivery(
    hall: SimpleNamespace, people: SimpleNamespace, fake_pdf: FakePdf
) -> None:
    with time_machine.travel(at("2026-09-29"), tick=False):
        application = make_application(hall, people, Status.HANDLING)
    with time_machine.travel(at("2026-10-12", 16), tick=False):
        services.application_approve(application=application.number, actor=people.handler_a)
    stored = fresh(application)
    # The decision's deadline is kept; the open case now runs against the delivery's (第44条: 10 working days).
    assert stored.decision_due_at == datetime(2026, 10, 12, 17, 30, tzinfo=SHANGHAI)
    assert stored.decided_at is not None and stored.decided_at <= stored.decision_due_at
    assert stored.due_at == datetime(2026, 10, 26, 17, 30, tzinfo=SHANGHAI)
    with time_machine.travel(at("2026-10-14"), tick=False):
        case_deadlines_sweep()
    assert not fresh(application).is_overdue
    with time_machine.travel(at("2026-10-27"), tick=False):
        case_deadlines_sweep()
    assert fresh(application).is_overdue


def test_a_suspended_application_is_never_flagged_overdue(
    hall: SimpleNamespace, people: SimpleNamespace, fake_pdf: FakePdf
) -> None:
    with time_machine.travel(at("2026-09-29"), tick=False):
        application = make_application(hall, people, Status.SUSPENDED)
    with time_machine.travel(at("2026-11-30"), tick=False):
        case_deadlines_sweep()
    assert not fresh(application).is_overdue
