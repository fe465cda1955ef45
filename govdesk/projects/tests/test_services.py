"""Construction projects through the real services: registration and its code, a stage applied for, accepted, fanned
out to its units in parallel and decided; the next stage reusing answers and documents; a locked stage (409); a
denied part and a new attempt; 告知承诺 at acceptance; the joint acceptance's one result or failure; the stage clock
pushed by a suspension; at risk; completion; every combination of stage outcomes in a small flow."""

from __future__ import annotations

import re
from datetime import datetime
from io import StringIO
from types import SimpleNamespace
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone, translation
from huey.contrib.djhuey import HUEY

from govdesk.applications.services import application_resume, application_suspend
from govdesk.audit.models import AuditEvent
from govdesk.cases.attachments import CheckedFile
from govdesk.common.errors import InvalidTransition, NotFound, PermissionDenied, ValidationFailed
from govdesk.packages import case_services
from govdesk.packages.models import PackageApplication, PackageMaterialReceipt
from govdesk.permits.models import Permit
from govdesk.projects import selectors, services, tasks
from govdesk.projects.models import (
    JointAcceptance,
    JointAcceptanceStatus,
    Project,
    ProjectDocument,
    ProjectStatus,
    StageApplication,
    StageStatus,
)

from .case_fixtures import (
    BUILD,
    CHECK,
    DEFENCE,
    DESIGN,
    FIRE,
    LAND,
    PLAN,
    PROPOSAL,
    REDLINE,
    SAFETY,
    SITE,
    _matter,
    accept,
    apply,
    at,
    decide,
    flow_publish,
    fresh,
    pair,
    parts,
    pass_stage,
    register,
    stage,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english() -> Any:
    with translation.override("en"):
        yield


def statuses(project: Any) -> list[str]:
    return [s.status for s in fresh(project).stages.order_by("no")]


def local(moment: datetime | None) -> str:
    assert moment is not None
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


# --- registration -------------------------------------------------------------------------------------------------


def test_register_writes_the_code_and_the_stages_first_open(construction: SimpleNamespace) -> None:
    project = register(construction)
    assert re.fullmatch(r"2026-141102-47-01-\d{6}", project.code)
    assert statuses(project) == ["open", "locked", "locked", "locked"]
    assert stage(project, 1).opened_at is not None
    assert project.registered_by == construction.clerk and project.applicant is None
    assert AuditEvent.objects.filter(action="project.register", object_id=project.code).exists()
    assert AuditEvent.objects.filter(action="project.stage.open", object_id=project.code).count() == 1
    second = register(construction, industry="48")
    assert second.code.split("-")[2] == "48"
    assert int(second.code[-6:]) == int(project.code[-6:]) + 1


def test_register_reports_every_bad_field_and_stores_nothing(construction: SimpleNamespace) -> None:
    with pytest.raises(ValidationFailed) as caught:
        register(construction, name="", type="NOPE", investment="-3", owner_credit_code="123", contact_phone="12")
    assert {"name", "type", "investment", "owner_credit_code", "contact_phone"} <= set(caught.value.fields)
    assert not Project.objects.exists()


def test_register_is_for_the_window_and_citizens(construction: SimpleNamespace) -> None:
    with pytest.raises(PermissionDenied):
        register(construction, actor=construction.people.handler_a)


def test_a_citizen_registers_their_own_project_with_their_account_as_contact(construction: SimpleNamespace) -> None:
    citizen = construction.people.citizen
    citizen.display_name, citizen.phone = "王老板", "13900001111"
    citizen.save()
    project = register(construction, actor=citizen, contact_name="", contact_phone="", contact_id_number="")
    assert project.applicant == citizen
    assert (project.contact_name, project.contact_phone) == ("王老板", "13900001111")


# --- the main flow ------------------------------------------------------------------------------------------------


def test_stage_one_goes_to_its_units_in_parallel_and_stage_two_reuses_answers_and_documents(
    construction: SimpleNamespace, district: Any
) -> None:
    fx = construction
    project = register(fx)
    submitted = apply(fx, project, 1)
    assert submitted.status == "submitted"
    assert statuses(project)[0] == StageStatus.UNDER_WAY
    assert stage(project, 1).started_at is None  # the clock starts at acceptance, not at the window
    accepted = accept(fx, submitted)
    first = stage(project, 1)
    assert local(first.started_at) == "2026-11-02 10:00"
    assert local(first.due_at) == "2026-11-16 17:30"  # 10 working days
    started = parts(accepted)
    assert set(started) == {LAND, SITE}
    assert {a.status for a in started.values()} == {"handling"}
    assert {a.primary_unit_id for a in started.values()} == {district.dept_a.pk, district.dept_b.pk}
    fx.travel.move_to(at(11, 5))
    decide(fx, started[LAND])
    assert statuses(project)[:2] == ["under_way", "locked"]
    decide(fx, started[SITE])
    assert statuses(project) == ["done", "open", "locked", "locked"]
    first = stage(project, 1)
    assert first.elapsed_days == 3 and local(first.done_at) == "2026-11-05 10:00"
    assert set(Permit.objects.filter(project=project).values_list("matter__code", flat=True)) == {LAND, SITE}
    assert set(ProjectDocument.objects.filter(project=project).values_list("code", flat=True)) == {PROPOSAL, REDLINE}
    # Stage 2 asks only for its new answer and its new document.
    assert selectors.project_stage_form_initial(project=fresh(project), no=2) == {"project_name": "滨河综合楼"}
    second = apply(fx, project, 2)
    assert second.form == {"project_name": "滨河综合楼", "designer": "吕梁市建筑设计院"}
    receipts = dict(PackageMaterialReceipt.objects.filter(package_application=second).values_list("code", "received"))
    assert receipts == {PROPOSAL: True, DESIGN: True}
    assert fresh(project).form == {
        "project_name": "滨河综合楼",
        "site_area": "12000平方米",
        "designer": "吕梁市建筑设计院",
    }


def test_a_stage_before_its_predecessor_is_done_is_a_409_and_stores_nothing(construction: SimpleNamespace) -> None:
    fx = construction
    project = register(fx)
    with pytest.raises(InvalidTransition) as caught:
        apply(fx, project, 2)
    assert "stage before it is done" in caught.value.message
    accept(fx, apply(fx, project, 1))
    with pytest.raises(InvalidTransition):
        apply(fx, project, 1)  # under way already
    with pytest.raises(InvalidTransition):
        apply(fx, project, 3)
    assert PackageApplication.objects.count() == 1
    assert StageApplication.objects.count() == 1


def test_form_and_material_errors_name_the_field_and_store_nothing(construction: SimpleNamespace) -> None:
    fx = construction
    project = register(fx)
    with pytest.raises(ValidationFailed) as caught:
        apply(fx, project, 1, form={"project_name": "x", "site_area": ""}, materials=["NOPE"])
    assert {"form.site_area", "materials"} <= set(caught.value.fields)
    with pytest.raises(ValidationFailed) as caught:
        apply(fx, project, 1, form="滨河综合楼")
    assert set(caught.value.fields) == {"form"}
    assert not PackageApplication.objects.exists()
    assert statuses(project)[0] == "open"


def test_another_citizen_cannot_apply_for_a_project(construction: SimpleNamespace) -> None:
    fx = construction
    project = register(fx, actor=fx.people.citizen)
    with pytest.raises(NotFound):
        apply(fx, project, 1, actor=fx.people.other_citizen)
    with pytest.raises(PermissionDenied):
        apply(fx, project, 1, actor=fx.people.handler_a)
    online = apply(fx, project, 1, actor=fx.people.citizen)
    assert online.channel == "online" and online.applicant == fx.people.citizen


def test_a_denied_part_leaves_the_stage_not_passed_and_it_is_applied_for_again(construction: SimpleNamespace) -> None:
    fx = construction
    project = register(fx)
    first = accept(fx, apply(fx, project, 1))
    started = parts(first)
    decide(fx, started[SITE])
    decide(fx, started[LAND], approve=False)
    assert statuses(project) == ["not_passed", "locked", "locked", "locked"]
    with pytest.raises(InvalidTransition):
        apply(fx, project, 2)
    again = accept(fx, apply(fx, project, 1))
    one = stage(project, 1)
    assert one.package_application_id == again.pk and one.applications.count() == 2
    assert [a.attempt for a in one.applications.all()] == [1, 2]
    for application in parts(again).values():
        decide(fx, application)
    assert statuses(project)[:2] == ["done", "open"]


def test_a_package_refused_at_the_window_leaves_the_stage_not_passed(construction: SimpleNamespace) -> None:
    fx = construction
    project = register(fx)
    submitted = apply(fx, project, 1)
    case_services.package_refuse(package_application=submitted.number, actor=fx.clerk, reason="不属于本区管辖")
    assert statuses(project)[0] == "not_passed"


# --- 告知承诺 -------------------------------------------------------------------------------------------------------


def test_a_commitment_matter_is_approved_at_acceptance_with_a_permit_on_commitment(
    construction: SimpleNamespace,
) -> None:
    fx = construction
    project = register(fx)
    pass_stage(fx, project, 1)
    second = accept(fx, apply(fx, project, 2))
    started = parts(second)
    assert started[DEFENCE].status == "approved"
    assert started[PLAN].status == "handling"
    assert started[DEFENCE].events.filter(to_status="approved", note__contains="commitment").exists()
    permit = Permit.objects.get(case=started[DEFENCE])
    assert permit.on_commitment and permit.project == project and permit.holder_name == "吕梁滨河置业有限公司"
    assert local(permit.verify_due_at) == "2026-11-30 17:30"  # 20 working days
    assert permit.unit == fx.dept_c
    assert statuses(project)[1] == "under_way"
    decide(fx, started[PLAN])
    assert Permit.objects.get(case=started[PLAN]).kind == "建设工程规划许可证"
    assert statuses(project)[1:3] == ["done", "open"]


def test_a_part_waiting_for_a_commitment_matter_starts_at_acceptance_too(
    construction: SimpleNamespace, district: Any
) -> None:
    a, b = district.dept_a, district.dept_b
    first, second = pair("T-CM", a, b)
    then, after = pair("T-AF", a, b)
    committed = flow_publish(
        "TEST-COMMIT",
        total=20,
        stages=[
            {
                "name": "承诺",
                "limit": 5,
                "lead": a,
                "matters": [first, second],
                "depends": {"T-CM-2": ["T-CM-1"]},
                "commitment_matters": ["T-CM-1"],
            },
            {
                "name": "全承诺",
                "limit": 5,
                "lead": a,
                "matters": [then, after],
                "commitment_matters": ["T-AF-1", "T-AF-2"],
            },
        ],
        order=5,
    )
    project = register(construction, type=committed.code)
    accepted = accept(
        construction, services.project_stage_apply(actor=construction.clerk, project=project.code, no=1, data={})
    )
    started = parts(accepted)
    assert started["T-CM-1"].status == "approved"
    assert started["T-CM-2"].status == "handling"  # started in the same acceptance, after its dependency
    decide(construction, started["T-CM-2"])
    assert statuses(project) == ["done", "open"]
    # A stage whose every matter is on commitment is done at its acceptance.
    accept(construction, services.project_stage_apply(actor=construction.clerk, project=project.code, no=2, data={}))
    assert statuses(project) == ["done", "done"]
    assert fresh(project).status == ProjectStatus.COMPLETED
    assert Permit.objects.filter(project=project, on_commitment=True).count() == 3


# --- joint acceptance ---------------------------------------------------------------------------------------------


def _to_stage_four(fx: SimpleNamespace) -> tuple[Any, PackageApplication]:
    project = register(fx)
    for no in (1, 2, 3):
        pass_stage(fx, project, no)
    return project, accept(fx, apply(fx, project, 4))


def test_joint_acceptance_issues_one_permit_when_every_unit_approves(construction: SimpleNamespace) -> None:
    fx = construction
    project, fourth = _to_stage_four(fx)
    joint = JointAcceptance.objects.get(stage_application__package_application=fourth)
    assert joint.status == JointAcceptanceStatus.INSPECTING
    assert local(joint.due_at) == "2026-11-09 17:30"
    services.project_joint_schedule(actor=fx.people.handler_a, project=project, no=4, inspect_on="2026-11-05")
    with pytest.raises(PermissionDenied):
        services.project_joint_schedule(actor=fx.handler_c, project=project, no=4, inspect_on="2026-11-05")
    with pytest.raises(ValidationFailed):
        services.project_joint_schedule(actor=fx.people.handler_a, project=project, no=4, inspect_on="2026-12-31")
    started = parts(fourth)
    decide(fx, started[CHECK])
    assert not Permit.objects.filter(case=started[CHECK]).exists()  # an inspection issues no permit of its own
    before = Permit.objects.filter(project=project).count()
    decide(fx, started[FIRE])
    issued = Permit.objects.filter(project=project).count() - before
    assert issued == 1
    result = Permit.objects.get(case=fourth)
    assert result.kind == "联合验收意见书" and result.unit.code == "LS-ZJ" and result.matter is None
    joint.refresh_from_db()
    assert joint.status == JointAcceptanceStatus.PASSED and str(joint.inspect_on) == "2026-11-05"
    project = fresh(project)
    assert project.status == ProjectStatus.COMPLETED and project.completed_at is not None
    assert not project.at_risk
    assert AuditEvent.objects.filter(action="project.complete", object_id=project.code).exists()


def test_a_joint_part_denied_fails_the_joint_acceptance(construction: SimpleNamespace) -> None:
    fx = construction
    project, fourth = _to_stage_four(fx)
    started = parts(fourth)
    decide(fx, started[FIRE], approve=False)
    joint = JointAcceptance.objects.get(stage_application__package_application=fourth)
    assert joint.status == JointAcceptanceStatus.FAILED  # at once, without waiting for the other unit
    decide(fx, started[CHECK])
    assert not Permit.objects.filter(case=fourth).exists()
    assert statuses(project)[3] == "not_passed"
    assert fresh(project).status == ProjectStatus.UNDER_WAY


# --- clocks -------------------------------------------------------------------------------------------------------


def test_a_suspended_part_pushes_the_stage_deadline_and_corrections_before_acceptance_do_not_count(
    construction: SimpleNamespace,
) -> None:
    fx = construction
    project = register(fx)
    submitted = apply(fx, project, 1, materials=[PROPOSAL])
    case_services.package_request_correction(package_application=submitted.number, actor=fx.clerk)
    fx.travel.move_to(at(11, 4))  # two working days at the window, the applicant's time
    case_services.package_supplement(package_application=submitted.number, actor=fx.clerk, materials=[REDLINE])
    accepted = accept(fx, submitted)
    assert local(stage(project, 1).due_at) == "2026-11-18 17:30"
    land = parts(accepted)[LAND]
    fx.travel.move_to(at(11, 5))
    application_suspend(application=land.number, actor=fx.people.handler_b, reason="专家评审", kind="expert_review")
    fx.travel.move_to(at(11, 10))  # 11-06, 11-09 and 11-10: three working days suspended
    application_resume(application=land.number, actor=fx.people.handler_b)
    one = stage(project, 1)
    assert local(one.due_at) == "2026-11-23 17:30"
    assert one.elapsed_days == 4 - 3  # 11-05 to 11-10, less the three suspended days
    # Two parts suspended over the same days count those days once.
    site = parts(accepted)[SITE]
    application_suspend(application=site.number, actor=fx.people.handler_a, reason="检测", kind="testing")
    application_suspend(application=land.number, actor=fx.people.handler_b, reason="听证", kind="hearing")
    fx.travel.move_to(at(11, 11))
    application_resume(application=site.number, actor=fx.people.handler_a)
    application_resume(application=land.number, actor=fx.people.handler_b)
    assert local(stage(project, 1).due_at) == "2026-11-24 17:30"


def test_at_risk_when_an_open_stage_passes_80_percent_of_its_limit(construction: SimpleNamespace) -> None:
    fx = construction
    project = register(fx)
    accept(fx, apply(fx, project, 1))
    fx.travel.move_to(at(11, 12))  # 8 working days of 10
    assert services.projects_sweep() == 1
    assert not fresh(project).at_risk
    fx.travel.move_to(at(11, 13))  # 9 of 10
    services.projects_sweep()
    project = fresh(project)
    assert project.at_risk and project.elapsed_days == 9


def test_at_risk_when_the_stage_limits_cannot_fit_the_total(construction: SimpleNamespace, district: Any) -> None:
    tight = flow_publish(
        "TEST-TIGHT",
        total=12,
        stages=[
            {
                "name": "一",
                "limit": 10,
                "lead": district.dept_a,
                "matters": pair("T-ONE", district.dept_a, district.dept_b),
            },
            {
                "name": "二",
                "limit": 5,
                "lead": district.dept_a,
                "matters": pair("T-TWO", district.dept_a, district.dept_b),
            },
        ],
        order=2,
    )
    project = register(construction, type=tight.code)
    assert fresh(project).at_risk
    roomy = register(construction)
    assert not fresh(roomy).at_risk


def test_the_project_completes_when_its_last_stage_is_done(construction: SimpleNamespace) -> None:
    fx = construction
    project = register(fx)
    for no in (1, 2, 3):
        pass_stage(fx, project, no)
        assert fresh(project).status == ProjectStatus.UNDER_WAY
    fourth = accept(fx, apply(fx, project, 4))
    fx.travel.move_to(at(11, 4))
    for application in parts(fourth).values():
        decide(fx, application)
    project = fresh(project)
    assert project.status == ProjectStatus.COMPLETED
    assert statuses(project) == ["done"] * 4
    assert project.elapsed_days == 2
    permits = Permit.objects.filter(project=project)
    assert set(permits.exclude(matter=None).values_list("matter__code", flat=True)) == {
        LAND,
        SITE,
        PLAN,
        DEFENCE,
        BUILD,
        SAFETY,
    }
    assert permits.filter(matter=None).count() == 1


# --- every combination of outcomes in a small flow ----------------------------------------------------------------


@pytest.fixture
def two_stages(construction: SimpleNamespace, district: Any) -> Any:
    a, b = district.dept_a, district.dept_b
    return flow_publish(
        "TEST-TWO",
        total=20,
        stages=[
            {"name": "甲", "limit": 5, "lead": a, "matters": pair("T-JIA", b, a)},
            {"name": "乙", "limit": 5, "lead": a, "matters": pair("T-YI", a, b)},
        ],
        order=3,
    )


def _settle(fx: SimpleNamespace, project: Any, no: int, outcome: str) -> None:
    submitted = services.project_stage_apply(actor=fx.clerk, project=project.code, no=no, data={})
    if outcome == "refused":
        case_services.package_refuse(package_application=submitted.number, actor=fx.clerk, reason="不予受理")
        return
    accepted = accept(fx, submitted)
    for application in parts(accepted).values():
        decide(fx, application, approve=outcome == "approved")


@pytest.mark.parametrize(
    ("first", "second", "expected", "project_status"),
    [
        ("approved", "approved", ["done", "done"], "completed"),
        ("approved", "denied", ["done", "not_passed"], "under_way"),
        ("approved", "refused", ["done", "not_passed"], "under_way"),
        ("denied", None, ["not_passed", "locked"], "under_way"),
        ("refused", None, ["not_passed", "locked"], "under_way"),
    ],
)
def test_every_combination_of_stage_outcomes(
    construction: SimpleNamespace,
    two_stages: Any,
    first: str,
    second: str | None,
    expected: list[str],
    project_status: str,
) -> None:
    project = register(construction, type=two_stages.code)
    _settle(construction, project, 1, first)
    if second is not None:
        _settle(construction, project, 2, second)
    else:
        with pytest.raises(InvalidTransition):
            services.project_stage_apply(actor=construction.clerk, project=project.code, no=2, data={})
    assert statuses(project) == expected
    assert fresh(project).status == project_status


def test_a_stage_that_opens_with_the_previous_one_opens_at_once(construction: SimpleNamespace, district: Any) -> None:
    a = district.dept_a
    parallel = flow_publish(
        "TEST-PAR",
        total=30,
        stages=[
            {"name": "甲", "limit": 5, "lead": a, "matters": pair("T-P1", a, district.dept_b)},
            {
                "name": "乙",
                "limit": 5,
                "lead": a,
                "matters": pair("T-P2", a, district.dept_b),
                "opens_with_previous": True,
            },
            {"name": "丙", "limit": 5, "lead": a, "matters": pair("T-P3", a, district.dept_b)},
        ],
        order=4,
    )
    project = register(construction, type=parallel.code)
    assert statuses(project) == ["open", "open", "locked"]
    _settle(construction, project, 1, "approved")
    assert statuses(project) == ["done", "open", "locked"]
    _settle(construction, project, 2, "approved")
    assert statuses(project) == ["done", "done", "open"]


def test_the_sweep_is_hourly_and_a_command(construction: SimpleNamespace) -> None:
    task_class = tasks.projects_sweep_task.task_class
    assert task_class in HUEY._registry._periodic_tasks
    assert task_class().validate_datetime(datetime(2026, 3, 2, 9, 7))
    assert not task_class().validate_datetime(datetime(2026, 3, 2, 9, 8))
    project = register(construction)
    accept(construction, apply(construction, project, 1))
    construction.travel.move_to(at(11, 13))
    out = StringIO()
    call_command("projects_sweep", stdout=out)
    assert out.getvalue().strip() == "projects refreshed: 1"
    assert fresh(project).elapsed_days == 9 and fresh(project).at_risk


def test_a_reused_document_brings_its_file_to_the_next_stage(construction: SimpleNamespace) -> None:
    fx = construction
    project = register(fx)
    first = apply(fx, project, 1)
    scan = CheckedFile(name="建议书.pdf", content_type="application/pdf", data=b"%PDF-1.7\n% proposal\n%%EOF\n")
    case_services.package_material_attach(package_application=first.number, actor=fx.clerk, code=PROPOSAL, file=scan)
    for application in parts(accept(fx, first)).values():
        decide(fx, application)
    document = ProjectDocument.objects.get(project=project, code=PROPOSAL)
    assert document.attachment is not None and document.stage_no == 1
    second = accept(fx, apply(fx, project, 2))
    receipt = PackageMaterialReceipt.objects.get(package_application=second, code=PROPOSAL)
    assert receipt.attachment_id == document.attachment_id
    plan = parts(second)[PLAN]
    shared = plan.attachments.get()
    assert shared.sha256 == document.attachment.sha256


def test_the_registration_answers_the_stage_forms_fields_it_knows(construction: SimpleNamespace, district: Any) -> None:
    code_field = {"name": "project_code", "label": "项目代码", "type": "text", "required": True, "choices": []}
    code_field["pattern"] = r"\d{4}-\d{6}-\d{2}-\d{2}-\d{6}"
    money = {"name": "total_investment", "label": "总投资（万元）", "type": "number", "required": True, "choices": []}
    first = _matter("T-FACT-1", "立项备案", district.dept_a, [code_field, money], [])
    second = _matter("T-FACT-2", "用地许可", district.dept_b, [code_field], [])
    facts = flow_publish(
        "TEST-FACTS",
        total=10,
        stages=[{"name": "立项", "limit": 5, "lead": district.dept_a, "matters": [first, second]}],
    )
    project = register(construction, type=facts.code, investment="3500.50")
    assert selectors.project_stage_form_initial(project=project, no=1) == {
        "project_code": project.code,
        "total_investment": "3500.50",
    }
    submitted = services.project_stage_apply(actor=construction.clerk, project=project.code, no=1, data={})
    assert submitted.form == {"project_code": project.code, "total_investment": 3500.5}
