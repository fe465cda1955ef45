"""网上申报 of a package: the merged form asks each field once and shows the services' errors on their fields, in
Chinese, storing nothing; the one progress page is the applicant's alone and shows every part as it goes."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from django.test import Client

from govdesk.applications import services as application_services
from govdesk.audit.models import AuditEvent
from govdesk.cases.models import Attachment
from govdesk.packages.models import PackageApplication, PackageNotice

from .page_fixtures import PARENT, birth, files_except, logged_in, merged_answers, pdf

__all__ = ["birth"]
pytestmark = pytest.mark.django_db


def apply_url(birth: SimpleNamespace) -> str:
    return f"/apply/packages/{birth.code}/"


def field_block(html: str, name: str) -> str:
    """The markup of one form field's block, from its label to the next field."""
    start = html.index(f'for="id_{name}"')
    end = html.find('<div class="field', start)
    return html[start : end if end != -1 else len(html)]


def test_pages_answer_by_role(birth: SimpleNamespace, people: SimpleNamespace) -> None:
    parent = logged_in(birth.parent)
    index = parent.get("/apply/packages/")
    assert index.status_code == 200 and apply_url(birth) in index.content.decode()
    form = parent.get(apply_url(birth))
    assert form.status_code == 200
    html = form.content.decode()
    # Three matters ask for the baby's name: the one form asks once.
    assert html.count('name="f_baby_name"') == 1 and html.count('name="f_promise"') == 1
    # The payer's phone is needed only with the insurance: its rule is on the page for the script.
    assert 'data-required-if-field="f_want_insurance" data-required-if-equals="true"' in html
    # Without the script the field stays on the page, saying when it is needed.
    assert "Needed when “办理医保参保” is ticked." in field_block(html, "f_payer_phone")
    for material in birth.version.materials.all():
        assert html.count(f'name="file_{material.code}"') == 1
    assert parent.get("/apply/packages/NO-SUCH/").status_code == 404
    assert logged_in(birth.clerk).get("/apply/packages/").status_code == 403
    assert logged_in(people.handler_a).get(apply_url(birth)).status_code == 403
    assert Client().get(apply_url(birth)).status_code == 302


def test_a_bad_form_shows_chinese_errors_on_its_fields_and_stores_nothing(birth: SimpleNamespace) -> None:
    parent = logged_in(birth.parent, language="zh-hans")
    counts = (PackageApplication.objects.count(), Attachment.objects.count(), AuditEvent.objects.count())
    data = merged_answers(f_baby_name="", f_promise="", f_want_insurance="on", **files_except(birth))
    response = parent.post(apply_url(birth), data)
    assert response.status_code == 400
    html = response.content.decode()
    assert "这个字段是必填项" in field_block(html, "f_baby_name")
    assert "请确认此项" in field_block(html, "f_promise")
    # Insurance asked for: the payer's phone becomes required, and says so on its field.
    assert "这个字段是必填项" in field_block(html, "f_payer_phone")
    assert "这个字段是必填项" not in field_block(html, "f_household")
    assert counts == (PackageApplication.objects.count(), Attachment.objects.count(), AuditEvent.objects.count())


def test_an_answer_one_matter_takes_and_another_refuses_is_an_error_on_that_field(birth: SimpleNamespace) -> None:
    parent = logged_in(birth.parent, language="zh-hans")
    response = parent.post(apply_url(birth), merged_answers(f_baby_name="欧阳小明明", **files_except(birth)))
    assert response.status_code == 400
    # The certificate takes 20 characters, the registration 4: the merged field holds the stricter rule and says so
    # on the field.
    block = field_block(response.content.decode(), "f_baby_name")
    assert 'class="error"' in block and "4" in block
    assert 'class="error"' not in field_block(response.content.decode(), "f_birth_date")
    assert not PackageApplication.objects.exists()


def test_the_progress_page_is_the_applicants_only_and_follows_the_parts(
    birth: SimpleNamespace, people: SimpleNamespace
) -> None:
    parent = logged_in(birth.parent)
    response = parent.post(apply_url(birth), merged_answers(**files_except(birth, "居民户口簿")))
    assert response.status_code == 302
    package_application = PackageApplication.objects.get()
    progress = f"/apply/packages/mine/{package_application.number}/"
    assert response["Location"] == progress
    assert package_application.applicant_id == birth.parent.pk
    assert logged_in(birth.stranger).get(progress).status_code == 404
    assert logged_in(birth.clerk).get(progress).status_code == 403
    assert Client().get(progress).status_code == 302

    # The clerk asks once for what is missing: the page offers exactly that upload, and the notice.
    clerk = logged_in(birth.clerk)
    asked = clerk.post(f"/packages/cases/{package_application.number}/actions/request-correction/")
    assert asked.status_code == 302
    page = parent.get(progress).content.decode()
    household = birth.materials["居民户口簿"]
    assert re.findall(r'name="file_(\w+)"', page) == [household]
    notice = PackageNotice.objects.get(package_application=package_application)
    assert f"/apply/packages/mine/{package_application.number}/notices/{notice.pk}/" in page
    assert (
        logged_in(birth.stranger)
        .get(f"/apply/packages/mine/{package_application.number}/notices/{notice.pk}/")
        .status_code
        == 404
    )
    supplied = parent.post(f"{progress}supplement/", {f"file_{household}": pdf("hukou.pdf")})
    assert supplied.status_code == 302
    package_application.refresh_from_db()
    assert package_application.status == "submitted"

    # Accepted: the certificate starts, the registration waits for it; the page says both, with the units.
    assert clerk.post(f"/packages/cases/{package_application.number}/actions/accept/").status_code == 302
    page = parent.get(progress).content.decode()
    assert 'data-matter="141102-09-WJ-0007" data-status="handling"' in page
    assert 'data-matter="141102-09-GA-0001" data-status="waiting"' in page
    assert "Starts when 出生医学证明首次签发 is approved." in page
    assert people.handler_a.unit.name in page
    assert PARENT["applicant_phone"] not in page  # masked even for the applicant, as on the applications' page


def test_a_cancelled_part_says_which_part_it_waited_for(birth: SimpleNamespace, people: SimpleNamespace) -> None:
    parent = logged_in(birth.parent)
    assert parent.post(apply_url(birth), merged_answers(**files_except(birth))).status_code == 302
    package_application = PackageApplication.objects.get()
    clerk = logged_in(birth.clerk)
    assert clerk.post(f"/packages/cases/{package_application.number}/actions/accept/").status_code == 302
    certificate = package_application.parts.get(matter__code="141102-09-WJ-0007").application
    assert certificate is not None
    application_services.application_deny(
        application=certificate.number, actor=people.handler_a, reason="分娩记录与医院存档不符"
    )
    page = parent.get(f"/apply/packages/mine/{package_application.number}/").content.decode()
    assert 'data-matter="141102-09-WJ-0007" data-status="denied"' in page
    registration = page[page.index('data-matter="141102-09-GA-0001"') :].split("</tr>")[0]
    assert 'data-status="cancelled"' in registration
    assert "出生医学证明首次签发" in registration and "分娩记录与医院存档不符" in registration
