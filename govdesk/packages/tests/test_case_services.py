"""Package applications through the services: one acceptance fans out into the right applications (units,
deadlines, materials: a shared material attached to each part), a part's approval starts the part waiting on it with
its result, a denial cancels what needs it, the package derives its status through every combination of outcomes,
one delivery closes everything, a crash anywhere leaves nothing half-way, and the audit chain holds."""

from __future__ import annotations

import itertools
from datetime import datetime
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db.models import F

from govdesk.applications import services as application_services
from govdesk.applications.models import Application, ApplicationNotice
from govdesk.audit.models import AuditEvent
from govdesk.audit.services import audit_chain_verify
from govdesk.calendar.core import deadline_add_working_days
from govdesk.calendar.selectors import calendar_get
from govdesk.cases.attachments import CheckedFile
from govdesk.cases.models import Attachment, CaseEvent
from govdesk.common.errors import InvalidTransition, NotFound, PermissionDenied, ValidationFailed
from govdesk.matters.models import MatterVersion
from govdesk.matters.services import matter_version_publish
from govdesk.packages import case_services
from govdesk.packages.models import PackageApplication, PackageNotice, PackagePart
from govdesk.packages.tests.case_factories import (
    CARD,
    CERTIFICATE,
    ID_CARDS,
    REGISTRATION,
    FakePdf,
    accepted_package,
    birth,
    fake_pdfs,
    fresh,
    package_data,
    part_application,
)

pytestmark = pytest.mark.django_db
__all__ = ["birth", "fake_pdfs"]  # fixtures

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _parts(package_application: PackageApplication) -> dict[str, PackagePart]:
    return {
        part.matter.code: part
        for part in PackagePart.objects.filter(package_application=package_application).select_related(
            "application", "matter", "application__primary_unit"
        )
    }


def _decide(birth: SimpleNamespace, part: PackagePart, ending: str) -> None:
    assert part.application is not None
    actor = birth.deciders[part.matter.code]
    if ending == "approved":
        application_services.application_approve(application=part.application.number, actor=actor)
    else:
        application_services.application_deny(application=part.application.number, actor=actor, reason="不符合条件")


def test_acceptance_fans_out_into_the_right_applications(
    birth: SimpleNamespace, district: SimpleNamespace, fake_pdfs: FakePdf
) -> None:
    with time_machine.travel(datetime(2026, 10, 12, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False):
        package_application = accepted_package(birth)
    assert package_application.status == "handling"
    parts = _parts(package_application)
    accepted_at = package_application.accepted_at
    assert accepted_at is not None
    assert list(parts) == [CERTIFICATE, REGISTRATION, CARD]
    certificate, registration, card = parts[CERTIFICATE], parts[REGISTRATION], parts[CARD]
    # The certificate and the card start at once, each to its own unit; the registration waits for the certificate.
    assert registration.state == "waiting" and registration.application is None
    assert certificate.application is not None and card.application is not None
    assert certificate.application.primary_unit == district.dept_a
    assert card.application.primary_unit == birth.dept_c
    for part, days in ((certificate, 3), (card, 7)):
        application = part.application
        assert application is not None
        assert application.status == "handling"
        assert application.accepted_at == package_application.accepted_at
        expected = deadline_add_working_days(accepted_at, days, calendar_get()).due_at
        assert application.due_at == expected
        assert application.applicant_name == "王丽"
        # No 受理通知书 of its own: the package's one acceptance notice covers it.
        assert not ApplicationNotice.objects.filter(application=application).exists()
    assert package_application.due_at == deadline_add_working_days(accepted_at, 10, calendar_get()).due_at
    # The form mapped onto each matter's own fields.
    assert certificate.application.form == {"baby_name": "王小宝", "birth_date": "2026-10-08", "promise": True}
    assert card.application.form == {"baby_name": "王小宝", "payer_phone": "13912345678"}
    # One acceptance notice for the package, listing the parts.
    (notice,) = PackageNotice.objects.filter(package_application=package_application)
    assert notice.kind == "acceptance"
    listed = fake_pdfs.rendered[-1]
    assert [line["matter"] for line in listed.parts] == ["出生医学证明首次签发", "出生登记", "社会保障卡申领"]
    assert [line["number"] for line in listed.parts] == [
        part_application(certificate).number,
        "",
        card.application.number,
    ]


def test_a_shared_material_is_handed_in_once_and_attached_to_every_part(
    birth: SimpleNamespace, fake_pdfs: FakePdf
) -> None:
    submitted = case_services.package_submit(actor=birth.clerk, data=package_data(birth))
    shared = birth.codes[ID_CARDS]
    assert submitted.materials.filter(name=ID_CARDS).count() == 1
    case_services.package_material_attach(
        package_application=submitted.number,
        actor=birth.clerk,
        code=shared,
        file=CheckedFile(name="id.png", content_type="image/png", data=PNG),
    )
    package_application = case_services.package_accept(package_application=submitted.number, actor=birth.clerk)
    receipt = package_application.materials.get(code=shared)
    parts = _parts(package_application)
    for code, material_code in ((CERTIFICATE, "M01"), (CARD, "C01")):
        application = parts[code].application
        assert application is not None
        material = application.materials.get(code=material_code)
        assert material.received and material.name == ID_CARDS
        assert material.attachment is not None
        assert material.attachment.case_id == application.pk
        assert receipt.attachment is not None
        assert material.attachment.sha256 == receipt.attachment.sha256
        assert material.attachment.file.name == receipt.attachment.file.name
        assert all(m.received for m in application.materials.all())
    # The waiting part gets it too when it starts.
    application_services.application_approve(
        application=part_application(parts[CERTIFICATE]).number, actor=birth.deciders[CERTIFICATE]
    )
    registration = _parts(package_application)[REGISTRATION].application
    assert registration is not None
    shared_file = registration.materials.get(code="R02").attachment
    assert shared_file is not None and receipt.attachment is not None
    assert shared_file.sha256 == receipt.attachment.sha256


def test_approval_starts_the_waiting_part_with_the_result_passed_on(
    birth: SimpleNamespace, district: SimpleNamespace, fake_pdfs: FakePdf
) -> None:
    package_application = accepted_package(birth)
    certificate = _parts(package_application)[CERTIFICATE]
    _decide(birth, certificate, "approved")
    registration = _parts(package_application)[REGISTRATION]
    assert registration.state == "started"
    application = registration.application
    assert application is not None
    assert application.status == "handling"
    assert application.primary_unit == district.dept_b
    result = ApplicationNotice.objects.get(application=certificate.application, kind="result")
    submit = CaseEvent.objects.get(case_id=application.pk, action="submit")
    assert submit.data["package"] == package_application.number
    assert submit.data["inputs"] == [
        {"matter": CERTIFICATE, "application": part_application(certificate).number, "notice": result.number}
    ]
    passed = Attachment.objects.get(case_id=application.pk, content_type="application/pdf")
    assert passed.file.name == result.file.name
    assert passed.original_name == f"{result.number}.pdf"
    assert fresh(package_application).status == "handling"


def test_denial_cancels_the_part_that_needs_it_with_the_reason(birth: SimpleNamespace, fake_pdfs: FakePdf) -> None:
    package_application = accepted_package(birth)
    _decide(birth, _parts(package_application)[CERTIFICATE], "denied")
    registration = _parts(package_application)[REGISTRATION]
    assert registration.state == "cancelled"
    assert registration.application is None
    assert "出生医学证明首次签发" in registration.reason and "不符合条件" in registration.reason
    assert fresh(package_application).status == "handling"  # the card is still open
    promised = fresh(package_application).due_at
    _decide(birth, _parts(package_application)[CARD], "approved")
    package_application = fresh(package_application)
    assert package_application.status == "decided" and package_application.decided_at is not None
    # From the decision on, the deadline is the delivery's (not flagged overdue while the results wait); the
    # promised total's is kept on the decide event.
    delivery_due = deadline_add_working_days(package_application.decided_at, 10, calendar_get()).due_at
    assert package_application.due_at == delivery_due
    decide = CaseEvent.objects.get(case_id=package_application.pk, action="decide")
    assert promised is not None and decide.data["decision_due_at"] == promised.isoformat()


@pytest.mark.parametrize(
    ("endings", "order"),
    [
        (dict(zip((CERTIFICATE, REGISTRATION, CARD), combo, strict=True)), order)
        for combo in itertools.product(("approved", "denied"), repeat=3)
        for order in ((CERTIFICATE, REGISTRATION, CARD), (CARD, CERTIFICATE, REGISTRATION))
        if not (combo[0] == "denied" and combo[1] == "denied")  # the registration never starts: same as "approved"
    ],
)
def test_every_combination_of_outcomes_reaches_decided_then_closed(
    birth: SimpleNamespace, fake_pdfs: FakePdf, endings: dict[str, str], order: tuple[str, ...]
) -> None:
    package_application = accepted_package(birth)
    for code in order:
        part = _parts(package_application)[code]
        if part.state == "started":
            assert fresh(package_application).status == "handling"
            _decide(birth, part, endings[code])
    parts = _parts(package_application)
    assert "waiting" not in {part.state for part in parts.values()}  # nothing waits forever
    package_application = fresh(package_application)
    assert package_application.status == "decided"
    assert package_application.decided_at is not None
    # ONE result notice, listing every part's result.
    (result,) = PackageNotice.objects.filter(package_application=package_application, kind="result")
    content = next(c for c in fake_pdfs.rendered if c.number == result.number)
    assert [line["matter"] for line in content.parts] == ["出生医学证明首次签发", "出生登记", "社会保障卡申领"]
    expected_registration = (
        "未启动"
        if endings[CERTIFICATE] == "denied"
        else {"approved": "准予办理", "denied": "不予准许"}[endings[REGISTRATION]]
    )
    words = {"approved": "准予办理", "denied": "不予准许"}
    assert [line["result"] for line in content.parts] == [
        words[endings[CERTIFICATE]],
        expected_registration,
        words[endings[CARD]],
    ]
    case_services.package_deliver(package_application=package_application.number, actor=birth.clerk, delivery="post")
    package_application = fresh(package_application)
    assert package_application.status == "closed" and not package_application.is_open
    for part in _parts(package_application).values():
        assert part.state == "cancelled" or part_application(part).status == "closed"
    with pytest.raises(InvalidTransition):
        case_services.package_deliver(package_application=package_application.number, actor=birth.clerk)
    assert audit_chain_verify().ok


def test_delivering_the_parts_one_by_one_closes_the_package(birth: SimpleNamespace, fake_pdfs: FakePdf) -> None:
    package_application = accepted_package(birth)
    for code in (CERTIFICATE, REGISTRATION, CARD):
        _decide(birth, _parts(package_application)[code], "approved")
    assert fresh(package_application).status == "decided"
    for part in _parts(package_application).values():
        assert part.application is not None
        application_services.application_deliver(application=part.application.number, actor=birth.clerk)
    assert fresh(package_application).status == "closed"


def test_one_correction_notice_lists_a_shared_material_once(birth: SimpleNamespace, fake_pdfs: FakePdf) -> None:
    shared = birth.codes[ID_CARDS]
    photo = birth.codes["免冠照片"]
    missing = {shared, photo}
    data = package_data(birth, materials=[c for c in birth.all_materials if c not in missing])
    submitted = case_services.package_submit(actor=birth.clerk, data=data)
    case_services.package_request_correction(package_application=submitted.number, actor=birth.clerk, note="请补齐")
    (notice,) = PackageNotice.objects.filter(package_application=submitted)
    assert notice.kind == "correction"
    content = fake_pdfs.rendered[-1]
    assert [m["name"] for m in content.materials] == [ID_CARDS, "免冠照片"]
    assert content.materials[0]["matters"] == "出生医学证明首次签发、出生登记、社会保障卡申领"
    with pytest.raises(InvalidTransition):
        case_services.package_accept(package_application=submitted.number, actor=birth.clerk)
    case_services.package_supplement(package_application=submitted.number, actor=birth.clerk, materials=[shared])
    assert fresh(submitted).status == "correction"
    case_services.package_supplement(package_application=submitted.number, actor=birth.clerk, materials=[photo])
    assert fresh(submitted).status == "submitted"
    assert case_services.package_accept(package_application=submitted.number, actor=birth.clerk).status == "handling"


def test_refused_before_acceptance_nothing_fans_out(birth: SimpleNamespace, fake_pdfs: FakePdf) -> None:
    submitted = case_services.package_submit(actor=birth.clerk, data=package_data(birth, materials=[]))
    case_services.package_refuse(package_application=submitted.number, actor=birth.clerk, reason="不属于本机关职权范围")
    package_application = fresh(submitted)
    assert package_application.status == "refused" and not package_application.is_open
    assert not PackagePart.objects.filter(package_application=package_application).exists()
    assert PackageNotice.objects.get(package_application=package_application).kind == "refusal"
    with pytest.raises(InvalidTransition):
        case_services.package_accept(package_application=submitted.number, actor=birth.clerk)


def test_a_crash_inside_fan_out_leaves_nothing_half_way(
    birth: SimpleNamespace, fake_pdfs: FakePdf, monkeypatch: pytest.MonkeyPatch
) -> None:
    submitted = case_services.package_submit(actor=birth.clerk, data=package_data(birth))
    real = case_services.application_part_open
    calls = []

    def crash_on_the_second(**kwargs: Any) -> Application:
        calls.append(kwargs["version"].matter.code)
        if len(calls) == 2:
            raise RuntimeError("the database went away")
        return real(**kwargs)

    monkeypatch.setattr(case_services, "application_part_open", crash_on_the_second)
    applications, events, audits = Application.objects.count(), CaseEvent.objects.count(), AuditEvent.objects.count()
    with pytest.raises(RuntimeError):
        case_services.package_accept(package_application=submitted.number, actor=birth.clerk)
    assert len(calls) == 2
    package_application = fresh(submitted)
    assert package_application.status == "submitted" and package_application.accepted_at is None
    assert not PackagePart.objects.filter(package_application=package_application).exists()
    assert Application.objects.count() == applications
    assert (CaseEvent.objects.count(), AuditEvent.objects.count()) == (events, audits)
    assert not PackageNotice.objects.exists()
    # And a crash while starting a waiting part undoes the approval that started it.
    monkeypatch.setattr(case_services, "application_part_open", real)
    package_application = case_services.package_accept(package_application=submitted.number, actor=birth.clerk)
    certificate = _parts(package_application)[CERTIFICATE]
    monkeypatch.setattr(case_services, "application_part_open", crash_on_the_second)
    calls[:] = [REGISTRATION]
    with pytest.raises(RuntimeError):
        _decide(birth, certificate, "approved")
    assert Application.objects.get(pk=part_application(certificate).pk).status == "handling"
    assert _parts(package_application)[REGISTRATION].state == "waiting"
    assert not ApplicationNotice.objects.filter(application=certificate.application).exists()
    assert audit_chain_verify().ok


def test_the_lead_unit_urges_a_part(birth: SimpleNamespace, people: SimpleNamespace, fake_pdfs: FakePdf) -> None:
    package_application = accepted_package(birth)
    card = _parts(package_application)[CARD].application
    assert card is not None
    case_services.package_part_urge(
        package_application=package_application.number, actor=people.handler_a, matter=CARD, note="请加快"
    )
    urge = CaseEvent.objects.get(case_id=card.pk, action="urge")
    assert urge.note == "请加快" and urge.data["package"] == package_application.number
    assert AuditEvent.objects.filter(action="application.urge", object_id=card.number).exists()
    assert AuditEvent.objects.filter(action="package.part-urge", object_id=package_application.number).exists()
    with pytest.raises(InvalidTransition):  # a waiting part starts by itself
        case_services.package_part_urge(
            package_application=package_application.number, actor=people.handler_a, matter=REGISTRATION
        )
    for outsider in (people.handler_b, birth.handler_c, people.supervisor, birth.clerk):
        with pytest.raises(PermissionDenied):
            case_services.package_part_urge(package_application=package_application.number, actor=outsider, matter=CARD)
    with pytest.raises(NotFound):
        case_services.package_part_urge(
            package_application=package_application.number, actor=people.other_citizen, matter=CARD
        )


def test_bad_submissions_name_the_problem(birth: SimpleNamespace, fake_pdfs: FakePdf) -> None:
    with pytest.raises(ValidationFailed) as unknown:
        case_services.package_submit(actor=birth.clerk, data=package_data(birth, package="NO-SUCH"))
    assert "NO-SUCH" in unknown.value.fields["package"][0]
    with pytest.raises(ValidationFailed) as material:
        case_services.package_submit(actor=birth.clerk, data=package_data(birth, materials=["P99"]))
    assert "P99" in material.value.fields["materials"][0]
    with pytest.raises(ValidationFailed) as form:
        case_services.package_submit(
            actor=birth.clerk, data=package_data(birth, form={**package_data(birth)["form"], "payer_phone": "12"})
        )
    assert list(form.value.fields) == ["form.payer_phone"]
    with pytest.raises(ValidationFailed) as channel:
        case_services.package_submit(actor=birth.clerk, data=package_data(birth, channel="online"))
    assert "channel" in channel.value.fields
    assert not PackageApplication.objects.exists()


def test_roles_and_objects(birth: SimpleNamespace, people: SimpleNamespace, fake_pdfs: FakePdf) -> None:
    with pytest.raises(PermissionDenied):
        case_services.package_submit(actor=people.handler_a, data=package_data(birth))
    online = case_services.package_submit(actor=people.citizen, data=package_data(birth, channel="online"))
    assert online.applicant == people.citizen
    # The applicant supplements, but only the hall accepts; another citizen hears "not found".
    with pytest.raises(PermissionDenied):
        case_services.package_accept(package_application=online.number, actor=people.citizen)
    with pytest.raises(NotFound):
        case_services.package_supplement(package_application=online.number, actor=people.other_citizen, materials=[])
    with pytest.raises(PermissionDenied):
        case_services.package_accept(package_application=online.number, actor=people.handler_a)
    case_services.package_accept(package_application=online.number, actor=birth.clerk)
    card = _parts(online)[CARD].application
    assert card is not None and card.applicant == people.citizen


def test_a_part_refused_at_the_window_before_acceptance_settles_like_a_denied_one(
    birth: SimpleNamespace, district: SimpleNamespace, fake_pdfs: FakePdf
) -> None:
    """The registration's rules change while it waits (a new required material): when it starts it stays at the
    window, as any incomplete application, and the clerk refuses it; the package still reaches decided."""
    package_application = accepted_package(birth)
    _decide(birth, _parts(package_application)[CARD], "approved")
    current = MatterVersion.objects.get(matter__code=REGISTRATION, matter__current_version=F("pk"))
    attrs = {
        "name": current.name,
        "type": current.type,
        "unit": district.dept_b,
        "legal_limit_days": 20,
        "promised_limit_days": 5,
        "fields": current.fields,
    }
    materials = [
        {"code": m.code, "name": m.name, "required": m.required, "form": "original", "copies": 1}
        for m in current.materials.all()
    ] + [{"code": "R03", "name": "出生医学证明原件", "required": True, "form": "original", "copies": 1}]
    matter_version_publish(code=REGISTRATION, attrs=attrs, materials=materials)
    _decide(birth, _parts(package_application)[CERTIFICATE], "approved")
    registration = part_application(_parts(package_application)[REGISTRATION])
    assert registration.status == "submitted"
    assert registration.materials.get(code="R03").received is False
    assert fresh(package_application).status == "handling"
    application_services.application_refuse(application=registration.number, actor=birth.clerk, reason="缺少原件")
    package_application = fresh(package_application)
    assert package_application.status == "decided"
    (result,) = PackageNotice.objects.filter(package_application=package_application, kind="result")
    content = next(c for c in fake_pdfs.rendered if c.number == result.number)
    assert [line["result"] for line in content.parts] == ["准予办理", "不予受理", "准予办理"]
    assert content.parts[1]["reason"] == "缺少原件"
    case_services.package_deliver(package_application=package_application.number, actor=birth.clerk)
    assert fresh(package_application).status == "closed"
    assert part_application(_parts(package_application)[REGISTRATION]).status == "refused"
