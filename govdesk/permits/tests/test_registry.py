"""The registry's API, the approval's document number at the API and on the page, the public verification page,
the staff registry (filters, chart, xlsx), verify/revoke by the issuing unit only, and the append-only guard."""

from __future__ import annotations

import io
from types import SimpleNamespace
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import translation
from openpyxl import load_workbook

from govdesk.applications.models import Application
from govdesk.applications.states import Status
from govdesk.audit.models import AuditEvent
from govdesk.common.errors import InvalidTransition, PermissionDenied, ValidationFailed
from govdesk.org.tests.factories import login_verified
from govdesk.permits import hooks, services
from govdesk.permits.models import AppendOnlyError, Permit, PermitStatus
from govdesk.permits.tests.factories import approved_permit, handling, project, terms_provider

pytestmark = pytest.mark.django_db
API = "/api/v1/permits/"


def _page(user: Any) -> Client:
    client = Client()
    login_verified(client, user)
    return client


# --- the API ------------------------------------------------------------------------------------------------------


def test_the_api_lists_a_projects_permits_by_project_code(
    hall: SimpleNamespace, people: SimpleNamespace, api_client_for: Any, fake_pdf: object
) -> None:
    site = project()
    with terms_provider(lambda a: hooks.PermitTerms(kind="建设工程规划许可证", project_id=site.pk)):
        ours = approved_permit(hall, people)
    approved_permit(hall, people)  # no project
    body = api_client_for(people.supervisor).get(API, {"project": site.code}).json()
    assert [row["number"] for row in body["results"]] == [ours.number]
    row = body["results"][0]
    assert row["kind"] == "建设工程规划许可证" and row["unit"] == "LS-ZJ" and row["project"] == site.code
    assert row["status"] == "valid" and row["issued_at"] and row["matter"] == "141102-ZJ-XK-0001"
    assert row["holder"] == "吕梁城建开发有限公司"  # an enterprise: in full
    assert api_client_for(people.supervisor).get(API, {"project": "NO-SUCH"}).json()["results"] == []


def test_the_api_shows_each_role_its_own_permits(
    hall: SimpleNamespace, people: SimpleNamespace, api_client_for: Any, fake_pdf: object
) -> None:
    permit = approved_permit(hall, people, applicant=None)
    mine = approved_permit(hall, people, channel="window")
    Application.objects.filter(pk=mine.case_id).update(applicant=people.citizen)

    def numbers(user: Any, **params: str) -> list[str]:
        return [r["number"] for r in api_client_for(user).get(API, params).json()["results"]]

    assert set(numbers(people.supervisor)) == {permit.number, mine.number}
    assert set(numbers(people.handler_a)) == {permit.number, mine.number}
    assert numbers(people.handler_b) == []  # another unit's permits
    assert numbers(people.citizen) == [mine.number]
    assert numbers(people.other_citizen) == []
    assert numbers(people.supervisor, unit="LS-RS") == []
    assert numbers(people.supervisor, number=mine.number) == [mine.number]
    supervisor_row = api_client_for(people.supervisor).get(API, {"number": mine.number}).json()["results"][0]
    assert supervisor_row["holder"] == "张**"  # a person's name: the supervisor does not need it
    assert api_client_for(people.handler_a).get(API, {"number": mine.number}).json()["results"][0]["holder"] == "张建国"
    assert api_client_for().get(API).status_code in (401, 403)
    assert api_client_for(people.supervisor).get(API, {"status": "bogus"}).status_code == 400


def test_the_approve_api_takes_the_document_number_and_refuses_a_reused_one(
    hall: SimpleNamespace, people: SimpleNamespace, api_client_for: Any, fake_pdf: object
) -> None:
    first, second = handling(hall, people), handling(hall, people)
    client = api_client_for(people.handler_a)
    url = "/api/v1/applications/{}/approve/"
    assert (
        client.post(url.format(first.number), {"result_number": "离住建许字〔2026〕7号"}, format="json").status_code
        == 200
    )
    assert Permit.objects.get(case_id=first.pk).number == "离住建许字〔2026〕7号"
    audit_before = AuditEvent.objects.count()
    with translation.override("en"):
        response = client.post(url.format(second.number), {"result_number": "离住建许字〔2026〕7号"}, format="json")
    assert response.status_code == 400
    assert "已在证照登记库中" in response.json()["message"]
    assert "result_number" in response.json()["fields"]
    assert Application.objects.get(pk=second.pk).status == Status.HANDLING
    assert not Permit.objects.filter(case_id=second.pk).exists() and AuditEvent.objects.count() == audit_before
    too_long = client.post(url.format(second.number), {"result_number": "号" * 65}, format="json")
    assert too_long.status_code == 400 and Application.objects.get(pk=second.pk).status == Status.HANDLING


def test_the_approve_form_shows_a_reused_number_as_a_form_error(
    hall: SimpleNamespace, people: SimpleNamespace, fake_pdf: object
) -> None:
    approved_permit(hall, people, result_number="离住建许字〔2026〕8号")
    application = handling(hall, people)
    client = _page(people.handler_a)
    assert 'name="result_number"' in client.get(f"/applications/{application.number}/").content.decode()
    with translation.override("en"):
        response = client.post(
            f"/applications/{application.number}/actions/approve/",
            {"result_number": "离住建许字〔2026〕8号"},
        )
    assert response.status_code == 400
    assert "离住建许字〔2026〕8号" in response.content.decode()
    assert Application.objects.get(pk=application.pk).status == Status.HANDLING
    assert not Permit.objects.filter(case_id=application.pk).exists()
    ok = client.post(f"/applications/{application.number}/actions/approve/", {"result_number": "离住建许字〔2026〕9号"})
    assert ok.status_code == 302 and Permit.objects.get(case_id=application.pk).number == "离住建许字〔2026〕9号"


# --- the public verification page ---------------------------------------------------------------------------------


def test_the_verification_page_shows_a_permit_to_anyone_with_the_person_masked(
    hall: SimpleNamespace, people: SimpleNamespace, fake_pdf: object
) -> None:
    permit = approved_permit(hall, people)
    response = Client().get("/permits/verify/", {"number": permit.number})
    page = response.content.decode()
    assert response.status_code == 200
    assert permit.number in page and "区住建局" in page and 'data-status="valid"' in page
    assert "张**" in page and "张建国" not in page


def test_the_verification_page_shows_an_enterprise_in_full_and_a_revocation(
    hall: SimpleNamespace, people: SimpleNamespace, fake_pdf: object
) -> None:
    site = project()
    with terms_provider(lambda a: hooks.PermitTerms(kind="施工许可证", project_id=site.pk)):
        permit = approved_permit(hall, people)
    services.permit_revoke(permit=permit, actor=people.handler_a, reason="以欺骗手段取得")
    page = Client().get("/permits/verify/", {"number": permit.number}).content.decode()
    assert "吕梁城建开发有限公司" in page and site.code in page and 'data-status="revoked"' in page


@pytest.mark.parametrize(
    "number", ["LS2026999999", "", "   ", "x" * 5000, "\x00", "' OR 1=1 --", "<script>", "离住建许字〔2026〕1号"]
)
def test_the_verification_page_says_unknown_for_any_other_number(
    hall: SimpleNamespace, people: SimpleNamespace, fake_pdf: object, number: str
) -> None:
    approved_permit(hall, people)
    response = Client().get("/permits/verify/", {"number": number})
    assert response.status_code == 404
    assert 'data-testid="permit-unknown"' in response.content.decode()
    assert "<script>" not in response.content.decode()


def test_the_verification_page_is_rate_limited(db: Any, settings: Any) -> None:
    cache.clear()
    settings.GOVDESK = {**settings.GOVDESK, "PERMIT_VERIFY_RATE": "3/m"}
    client = Client()
    codes = [client.get("/permits/verify/", {"number": f"LS20260000{i:02d}"}).status_code for i in range(4)]
    assert codes == [404, 404, 404, 429]
    cache.clear()


def test_the_verification_page_without_a_number_is_the_form(db: Any) -> None:
    response = Client().get("/permits/verify/")
    assert response.status_code == 200 and 'name="number"' in response.content.decode()


# --- verify and revoke ----------------------------------------------------------------------------------------------


def _commitment_permit(hall: SimpleNamespace, people: SimpleNamespace) -> Permit:
    with terms_provider(lambda a: hooks.PermitTerms(kind="施工许可证", on_commitment=True, verify_days=20)):
        return approved_permit(hall, people)


def test_the_issuing_unit_verifies_a_commitment_permit_audited(
    hall: SimpleNamespace, people: SimpleNamespace, fake_pdf: object
) -> None:
    permit = _commitment_permit(hall, people)
    with pytest.raises(PermissionDenied):
        services.permit_verify(permit=permit, actor=people.handler_b)
    with pytest.raises(PermissionDenied):
        services.permit_verify(permit=permit, actor=people.supervisor)
    verified = services.permit_verify(permit=permit, actor=people.unit_admin_a)
    assert verified.verified_at is not None and verified.verified_by == people.unit_admin_a
    assert AuditEvent.objects.filter(action="permit.verify", object_id=permit.number).count() == 1
    with pytest.raises(InvalidTransition):
        services.permit_verify(permit=verified, actor=people.handler_a)


def test_revocation_needs_reasons_keeps_the_permit_and_is_audited(
    hall: SimpleNamespace, people: SimpleNamespace, fake_pdf: object
) -> None:
    permit = approved_permit(hall, people)
    with pytest.raises(ValidationFailed):
        services.permit_revoke(permit=permit, actor=people.handler_a, reason="  ")
    with pytest.raises(PermissionDenied):
        services.permit_revoke(permit=permit, actor=people.handler_b, reason="理由")
    assert Permit.objects.get(pk=permit.pk).status == PermitStatus.VALID
    revoked = services.permit_revoke(permit=permit, actor=people.handler_a, reason="以欺骗手段取得")
    assert Permit.objects.filter(pk=permit.pk).exists()
    assert revoked.status == PermitStatus.REVOKED and revoked.revoke_reason == "以欺骗手段取得"
    assert AuditEvent.objects.filter(action="permit.revoke", object_id=permit.number).count() == 1
    with pytest.raises(InvalidTransition):
        services.permit_revoke(permit=revoked, actor=people.handler_a, reason="再次")


def test_the_permit_page_actions_are_for_the_issuing_unit_only(
    hall: SimpleNamespace, people: SimpleNamespace, fake_pdf: object
) -> None:
    permit = _commitment_permit(hall, people)
    url = f"/permits/{permit.pk}/"
    assert 'id="act-verify"' in _page(people.handler_a).get(url).content.decode()
    assert 'id="act-verify"' not in _page(people.supervisor).get(url).content.decode()
    assert _page(people.handler_b).get(url).status_code == 404  # another unit's permit: not theirs to see
    assert _page(people.handler_b).post(url + "revoke/", {"reason": "x"}).status_code == 404
    assert _page(people.supervisor).post(url + "revoke/", {"reason": "x"}).status_code == 403
    assert _page(people.handler_a).post(url + "revoke/", {"reason": ""}).status_code == 400
    assert _page(people.handler_a).post(url + "verify/").status_code == 302
    assert _page(people.handler_a).post(url + "revoke/", {"reason": "承诺不实"}).status_code == 302
    permit.refresh_from_db()
    assert permit.verified_at is not None and permit.status == PermitStatus.REVOKED


# --- the staff registry ---------------------------------------------------------------------------------------------


def test_the_registry_lists_commitment_permits_due_first_with_a_chart_and_exports(
    hall: SimpleNamespace, people: SimpleNamespace, fake_pdf: object
) -> None:
    plain = approved_permit(hall, people)
    due = _commitment_permit(hall, people)
    third = approved_permit(hall, people)
    client = _page(people.handler_a)
    page = client.get("/permits/").content.decode()
    assert page.index(f"permit-{due.pk}") < page.index(f"permit-{plain.pk}")
    assert 'data-testid="permit-chart"' in page and "<rect" in page
    searched = client.get("/permits/", {"q": plain.number}).content.decode()
    assert f"permit-{plain.pk}" in searched and f"permit-{due.pk}" not in searched
    export = client.get("/permits/", {"format": "xlsx"})
    assert export.status_code == 200
    sheet = load_workbook(io.BytesIO(export.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 4 and {r[0] for r in rows[1:]} == {plain.number, due.number, third.number}
    assert rows[1][0] == due.number  # due for verification first, as on the page
    assert _page(people.citizen).get("/permits/").status_code == 403
    assert Client().get("/permits/").status_code == 302


# --- append-only --------------------------------------------------------------------------------------------------


def test_the_registry_is_append_only(hall: SimpleNamespace, people: SimpleNamespace, fake_pdf: object) -> None:
    permit = approved_permit(hall, people)
    for field, value in [
        ("number", "X-1"),
        ("kind", "别的"),
        ("holder_name", "李四"),
        ("unit_id", permit.unit_id + 99),
    ]:
        changed = Permit.objects.get(pk=permit.pk)
        setattr(changed, field, value)
        with pytest.raises(AppendOnlyError):
            changed.save()
    with pytest.raises(AppendOnlyError):
        permit.delete()
    with pytest.raises(AppendOnlyError):
        Permit.objects.filter(pk=permit.pk).delete()
    with pytest.raises(AppendOnlyError):
        Permit.objects.filter(pk=permit.pk).update(number="X-2")
    revoked = services.permit_revoke(permit=permit, actor=people.handler_a, reason="撤销")
    revoked.status = PermitStatus.VALID
    with pytest.raises(AppendOnlyError):
        revoked.save()
    stored = Permit.objects.get(pk=permit.pk)
    assert stored.number == permit.number and stored.holder_name == "张建国" and stored.status == PermitStatus.REVOKED


def test_the_admin_cannot_add_change_or_delete(people: SimpleNamespace, fake_pdf: object) -> None:
    from django.contrib.admin.sites import site
    from django.test import RequestFactory

    admin = site._registry[Permit]
    request = RequestFactory().get("/admin/")
    request.user = people.sysadmin
    assert not admin.has_add_permission(request)
    assert not admin.has_change_permission(request)
    assert not admin.has_delete_permission(request)
