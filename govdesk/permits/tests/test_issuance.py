"""Issuance on approval, through the real application services: one permit per approval, in the approval's
transaction, audited; a unit's own document number, unique; the hook's terms (project, commitment, no permit)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.db import transaction
from django.utils import translation

from govdesk.applications import services as application_services
from govdesk.applications.models import Application
from govdesk.applications.states import Status
from govdesk.audit.models import AuditEvent
from govdesk.common.errors import ValidationFailed
from govdesk.permits import hooks
from govdesk.permits.models import Permit, PermitStatus
from govdesk.permits.tests.factories import approved_permit, handling, project, terms_provider

pytestmark = pytest.mark.django_db


def test_an_approval_issues_one_permit_in_the_registry_and_audits_it(
    hall: SimpleNamespace, people: SimpleNamespace, district: SimpleNamespace, fake_pdf: object
) -> None:
    application = handling(hall, people)
    application_services.application_approve(application=application.number, actor=people.handler_a, note="符合")
    permits = list(Permit.objects.filter(case_id=application.pk))
    assert len(permits) == 1
    permit = permits[0]
    assert permit.number.startswith("LS2") and len(permit.number) == len("LS2026000001")
    assert permit.kind.startswith("建筑工程施工许可")
    assert permit.unit == district.dept_a and permit.matter_id == application.matter_id
    assert permit.holder_name == "张建国" and permit.project_id is None
    assert permit.status == PermitStatus.VALID and not permit.on_commitment and permit.issued_by == people.handler_a
    assert AuditEvent.objects.filter(action="permit.issue", object_id=permit.number).count() == 1


def test_platform_numbers_follow_one_sequence(hall: SimpleNamespace, people: SimpleNamespace, fake_pdf: object) -> None:
    first = approved_permit(hall, people)
    second = approved_permit(hall, people)
    assert int(second.number[-6:]) == int(first.number[-6:]) + 1


def test_a_denial_issues_no_permit(hall: SimpleNamespace, people: SimpleNamespace, fake_pdf: object) -> None:
    application = handling(hall, people)
    application_services.application_deny(application=application.number, actor=people.handler_a, reason="不符合")
    assert not Permit.objects.exists()
    assert not AuditEvent.objects.filter(action="permit.issue").exists()


def test_a_rolled_back_approval_leaves_no_permit(
    hall: SimpleNamespace, people: SimpleNamespace, fake_pdf: object
) -> None:
    application = handling(hall, people)

    class Boom(Exception):
        pass

    def approve_then_fail() -> None:
        with transaction.atomic():
            application_services.application_approve(application=application.number, actor=people.handler_a)
            assert Permit.objects.filter(case_id=application.pk).count() == 1  # issued inside the approval …
            raise Boom

    with pytest.raises(Boom):
        approve_then_fail()
    assert not Permit.objects.exists()  # … and gone with it
    assert Application.objects.get(pk=application.pk).status == Status.HANDLING


def test_the_units_own_document_number_is_kept(
    hall: SimpleNamespace, people: SimpleNamespace, fake_pdf: object
) -> None:
    permit = approved_permit(hall, people, result_number=" 离住建许字〔2026〕12号 ")
    assert permit.number == "离住建许字〔2026〕12号"


def test_a_reused_number_fails_the_approval_and_nothing_is_stored(
    hall: SimpleNamespace, people: SimpleNamespace, fake_pdf: object
) -> None:
    approved_permit(hall, people, result_number="离住建许字〔2026〕12号")
    second = handling(hall, people)
    audit_before = AuditEvent.objects.count()
    with translation.override("en"), pytest.raises(ValidationFailed) as caught:
        application_services.application_approve(
            application=second.number, actor=people.handler_a, result_number="离住建许字〔2026〕12号"
        )
    assert "already in the permit registry" in caught.value.message
    assert caught.value.fields.keys() == {"result_number"}
    assert Application.objects.get(pk=second.pk).status == Status.HANDLING
    assert not Permit.objects.filter(case_id=second.pk).exists()
    assert AuditEvent.objects.count() == audit_before


def test_a_number_with_markup_is_refused(hall: SimpleNamespace, people: SimpleNamespace, fake_pdf: object) -> None:
    application = handling(hall, people)
    with pytest.raises(ValidationFailed):
        application_services.application_approve(
            application=application.number, actor=people.handler_a, result_number="<script>1</script>"
        )
    assert not Permit.objects.exists()


def test_the_hooks_terms_decide_project_holder_and_commitment(
    hall: SimpleNamespace, people: SimpleNamespace, fake_pdf: object
) -> None:
    site = project()

    def terms(application: Application) -> hooks.PermitTerms:
        return hooks.PermitTerms(kind="建设工程规划许可证", project_id=site.pk, on_commitment=True, verify_days=20)

    with terms_provider(terms):
        permit = approved_permit(hall, people)
    assert permit.kind == "建设工程规划许可证" and permit.project_id == site.pk
    assert permit.holder_name == "吕梁城建开发有限公司"  # the project's owner, not the contact who applied
    assert permit.on_commitment and permit.verify_due_at is not None
    assert permit.verify_due_at > permit.issued_at


def test_a_provider_answering_no_kind_issues_no_permit(
    hall: SimpleNamespace, people: SimpleNamespace, fake_pdf: object
) -> None:
    with terms_provider(lambda application: hooks.PermitTerms(kind=None)):
        application = handling(hall, people)
        application_services.application_approve(application=application.number, actor=people.handler_a)
    assert Application.objects.get(pk=application.pk).status == Status.APPROVED
    assert not Permit.objects.exists()


def test_a_provider_answering_none_leaves_the_default(
    hall: SimpleNamespace, people: SimpleNamespace, fake_pdf: object
) -> None:
    with terms_provider(lambda application: None):
        permit = approved_permit(hall, people)
    assert permit.kind.startswith("建筑工程施工许可") and permit.project_id is None
