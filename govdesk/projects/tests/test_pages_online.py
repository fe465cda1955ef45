"""The applicant's and the window's project pages, driven through a client over the services: a citizen registers
their project (the types with their stages and limits shown; bad input re-shown with the field's message, 400, nothing
stored), follows it (another citizen finds nothing), applies for an open stage with the form prefilled from earlier
answers and the earlier stages' documents not asked again (uploaded files are the stage's materials), cannot apply
for a locked stage (the page says so; a POST is 409 and stores nothing); the clerk does the same for an owner at the
window and lands on the package page; the stage's lead unit sets the joint inspection day on the staff page."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import translation

from govdesk.org.tests.factories import login_verified
from govdesk.packages.models import PackageApplication
from govdesk.projects.models import JointAcceptance, Project, StageApplication

from .case_fixtures import (
    CONTRACT,
    DESIGN,
    PROPOSAL,
    REDLINE,
    REPORT,
    STAGE_FORMS,
    accept,
    apply,
    decide,
    parts,
    pass_stage,
    register,
    stage,
)

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
REGISTRATION = {
    "name": "滨河综合楼",
    "owner": "吕梁滨河置业有限公司",
    "owner_credit_code": "",
    "investment": "3500",
    "location": "离石区滨河北路",
    "land": "国有建设用地（出让）",
    "contact_name": "张工",
    "contact_phone": "13812345678",
    "contact_id_number": "",
}


def logged_in(user: Any) -> Client:
    client = Client()
    login_verified(client, user)
    return client


def pdf(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def stage_post(no: int, *, files: dict[str, SimpleUploadedFile], window: bool = False, **form: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"applicant_name": "张工", "applicant_phone": "13812345678", "applicant_id_number": ""}
    body.update({f"f_{k}": v for k, v in {**STAGE_FORMS[no], **form}.items()})
    body.update({("scan_" if window else "file_") + code: f for code, f in files.items()})
    return body


def test_citizen_registers_and_follows_own_project(construction: SimpleNamespace) -> None:
    citizen = logged_in(construction.people.citizen)
    page = citizen.get("/apply/projects/register/")
    html = page.content.decode()
    # The type with its stages and limits: the choice is made knowing the flow.
    assert page.status_code == 200 and f'value="{construction.type.code}"' in html
    assert "立项用地规划许可" in html and "竣工验收" in html
    with translation.override("en"):
        bad = citizen.post(
            "/apply/projects/register/", {**REGISTRATION, "type": construction.type.code, "investment": "many"}
        )
    assert bad.status_code == 400 and "总投资请填写数字（万元）" in bad.content.decode()
    assert not Project.objects.exists()
    done = citizen.post("/apply/projects/register/", {**REGISTRATION, "type": construction.type.code})
    project = Project.objects.get()
    assert done.status_code == 302 and done["Location"] == f"/apply/projects/{project.code}/"
    assert project.applicant == construction.people.citizen and project.investment == 3500
    mine = citizen.get("/apply/projects/").content.decode()
    assert project.code in mine
    detail = citizen.get(f"/apply/projects/{project.code}/").content.decode()
    # Stage 1 open (a link to apply), the others waiting.
    assert f"/apply/projects/{project.code}/stages/1/" in detail
    assert f"/apply/projects/{project.code}/stages/2/" not in detail
    other = logged_in(construction.people.other_citizen)
    assert other.get(f"/apply/projects/{project.code}/").status_code == 404
    assert other.get(f"/apply/projects/{project.code}/stages/1/").status_code == 404
    assert project.code not in other.get("/apply/projects/").content.decode()
    # The window's pages are the clerk's.
    assert citizen.get("/window/projects/").status_code == 403


def test_stage_form_prefilled_and_earlier_documents_not_asked_again(construction: SimpleNamespace) -> None:
    project = register(construction, actor=construction.people.citizen)
    citizen = logged_in(construction.people.citizen)
    url1 = f"/apply/projects/{project.code}/stages/1/"
    # A form error: shown on the field, 400, nothing stored.
    with translation.override("en"):
        bad = citizen.post(url1, stage_post(1, files={PROPOSAL: pdf("a.pdf")}, site_area=""))
    assert bad.status_code == 400 and 'class="error"' in bad.content.decode()
    assert not PackageApplication.objects.exists()
    sent = citizen.post(url1, stage_post(1, files={PROPOSAL: pdf("a.pdf"), REDLINE: pdf("b.pdf")}))
    package_application = PackageApplication.objects.get()
    assert sent.status_code == 302 and sent["Location"] == f"/apply/packages/mine/{package_application.number}/"
    assert set(package_application.materials.filter(attachment__isnull=False).values_list("code", flat=True)) == {
        PROPOSAL,
        REDLINE,
    }
    # The clerk accepts; the units approve: stage 1 done, stage 2 open.
    accept(construction, package_application)
    for application in parts(package_application).values():
        decide(construction, application)
    assert stage(project, 2).status == "open"
    form = citizen.get(f"/apply/projects/{project.code}/stages/2/").content.decode()
    # The project's name answered in stage 1 is there already.
    assert 'name="f_project_name"' in form and 'value="滨河综合楼"' in form
    # 项目建议书 was handed in at stage 1: listed as received, no upload asked; 设计方案 is asked.
    assert f'name="file_{PROPOSAL}"' not in form and f'name="file_{DESIGN}"' in form
    assert 'data-testid="already-received"' in form
    sent2 = citizen.post(f"/apply/projects/{project.code}/stages/2/", stage_post(2, files={DESIGN: pdf("d.pdf")}))
    assert sent2.status_code == 302
    second = StageApplication.objects.get(stage__no=2).package_application
    received = dict(second.materials.values_list("code", "received"))
    assert received[PROPOSAL] and received[DESIGN]
    assert second.form["project_name"] == "滨河综合楼"


def test_locked_stage_says_not_open_and_refuses(construction: SimpleNamespace) -> None:
    project = register(construction, actor=construction.people.citizen)
    citizen = logged_in(construction.people.citizen)
    url = f"/apply/projects/{project.code}/stages/3/"
    with translation.override("en"):
        page = citizen.get(url)
        assert page.status_code == 200 and "尚未开放" in page.content.decode()
        assert 'name="f_builder"' not in page.content.decode()
        refused = citizen.post(url, stage_post(3, files={CONTRACT: pdf("c.pdf")}))
    assert refused.status_code == 409 and "尚未开放" in refused.content.decode()
    assert not PackageApplication.objects.exists() and stage(project, 3).status == "locked"


def test_window_registers_for_owner_and_lands_on_the_package_page(construction: SimpleNamespace) -> None:
    clerk = logged_in(construction.clerk)
    assert clerk.get("/window/projects/").status_code == 200
    assert clerk.get("/window/projects/register/").status_code == 200
    done = clerk.post("/window/projects/register/", {**REGISTRATION, "type": construction.type.code})
    project = Project.objects.get()
    assert done.status_code == 302 and done["Location"] == f"/window/projects/{project.code}/"
    assert project.applicant is None and project.registered_by == construction.clerk
    assert project.code in clerk.get("/window/projects/", {"q": "滨河"}).content.decode()
    # Ticked (brought on paper) and scanned: both received.
    body = stage_post(1, files={REDLINE: pdf("r.pdf")}, window=True)
    body["received"] = [PROPOSAL]
    # The counter checks the owner's contact's identity: without the ID number the form says so and stores nothing.
    assert clerk.post(f"/window/projects/{project.code}/stages/1/", body).status_code == 400
    assert not PackageApplication.objects.exists()
    body = {**stage_post(1, files={REDLINE: pdf("r.pdf")}, window=True), "received": [PROPOSAL]}
    body["applicant_id_number"] = "11010519491231002X"
    sent = clerk.post(f"/window/projects/{project.code}/stages/1/", body)
    package_application = PackageApplication.objects.get()
    assert sent.status_code == 302 and sent["Location"] == f"/packages/cases/{package_application.number}/"
    assert package_application.channel == "window"
    receipts = {r.code: r for r in package_application.materials.all()}
    assert receipts[PROPOSAL].received and receipts[REDLINE].attachment_id is not None
    assert logged_in(construction.people.citizen).get(f"/window/projects/{project.code}/").status_code == 403


def test_lead_unit_sets_the_joint_inspection_day(construction: SimpleNamespace) -> None:
    project = register(construction)
    for no in (1, 2, 3):
        pass_stage(construction, project, no)
    accept(construction, apply(construction, project, 4, materials=[REPORT]))
    url = f"/projects/{project.code}/"
    lead = logged_in(construction.people.handler_a)
    page = lead.get(url).content.decode()
    assert 'data-testid="joint-schedule"' in page
    other = logged_in(construction.handler_c)
    assert 'data-testid="joint-schedule"' not in other.get(url).content.decode()
    assert other.post(f"{url}stages/4/joint/", {"inspect_on": "2026-11-04"}).status_code == 403
    assert lead.post(f"{url}stages/4/joint/", {"inspect_on": "2020-01-01"}).status_code == 400
    assert JointAcceptance.objects.get().inspect_on is None
    done = lead.post(f"{url}stages/4/joint/", {"inspect_on": "2026-11-04"})
    assert done.status_code == 302
    assert str(JointAcceptance.objects.get().inspect_on) == "2026-11-04"
