"""Construction projects built straight from the models, in any state a test needs, with a true shape: a project type
whose stages are packages led by units, projects with their stages, stage applications (package applications) with
their parts (applications of the stage's matters at their units) and permits.

No service runs here: the pages and figures under test only read, so a fixture says exactly what they read (the
services have their own tests); the participation table (`ProjectUnit`) the services keep is written from the joins
as they would (`project_units_sync`). Times are given; working days are what the test says they were.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from itertools import count
from typing import Any

from govdesk.applications.models import Application
from govdesk.matters.models import MatterVersion
from govdesk.matters.services import matter_version_publish
from govdesk.packages.models import Package, PackageApplication, PackageItem, PackagePart, PackageVersion, PartState
from govdesk.permits.models import Permit
from govdesk.projects.models import FlowStage, Project, ProjectStage, ProjectType, StageApplication, StageStatus
from govdesk.projects.participation import project_units_sync

_serial = count(1)


def matter(code: str, name: str, unit: Any, limit: int = 5) -> MatterVersion:
    """A published matter of `unit` with no form and no materials."""
    attrs = {
        "name": name,
        "type": "licensing",
        "unit": unit,
        "legal_limit_days": 20,
        "promised_limit_days": limit,
        "fields": [],
    }
    return matter_version_publish(code=code, attrs=attrs, materials=[]).version


def stage_package(code: str, name: str, lead: Any, matters: list[MatterVersion]) -> PackageVersion:
    """A package (the stage's matters, led by `lead`) with one version, written directly."""
    package = Package.objects.create(code=code, name=name, life_event="construction", lead_unit=lead)
    version = PackageVersion.objects.create(
        package=package, version=1, name=name, life_event="construction", lead_unit=lead, is_published=True
    )
    for order, mv in enumerate(matters):
        PackageItem.objects.create(version=version, matter=mv.matter, order=order)
    package.current_version = version
    package.save(update_fields=["current_version"])
    return version


@dataclass
class Flow:
    """A project type and, per stage number, its package version and its matters."""

    type: ProjectType
    versions: dict[int, PackageVersion] = field(default_factory=dict)
    matters: dict[int, list[MatterVersion]] = field(default_factory=dict)


def flow_create(
    code: str, name: str, *, total: int, stages: list[tuple[str, int, Any, list[tuple[str, str, Any]]]], order: int = 0
) -> Flow:
    """A project type of `total` working days; `stages`: (name, limit_days, lead unit, [(matter code, matter name,
    unit)]) in order, numbered from 1."""
    project_type = ProjectType.objects.create(code=code, name=name, total_limit_days=total, order=order)
    flow = Flow(type=project_type)
    for no, (stage_name, limit, lead, matter_specs) in enumerate(stages, start=1):
        mvs = [matter(mcode, mname, unit) for mcode, mname, unit in matter_specs]
        version = stage_package(f"{code}-S{no}", stage_name, lead, mvs)
        FlowStage.objects.create(
            project_type=project_type, no=no, name=stage_name, package=version.package, limit_days=limit
        )
        flow.versions[no], flow.matters[no] = version, mvs
    return flow


def project_create(
    flow: Flow,
    *,
    registered_at: datetime,
    name: str = "",
    code: str = "",
    at_risk: bool = False,
    phone: str = "13812345678",
    **fields: Any,
) -> Project:
    """A project of the flow's type, under way, its first stage open from registration and the rest locked."""
    n = next(_serial)
    project = Project.objects.create(
        code=code or f"2026-141102-47-01-{n:06d}",
        name=name or f"测试项目{n}",
        type=flow.type,
        owner=fields.pop("owner", "吕梁测试建设有限公司"),
        contact_name=fields.pop("contact_name", "张工"),
        contact_phone=phone,
        investment=fields.pop("investment", Decimal("1200.00")),
        location=fields.pop("location", "离石区滨河北路"),
        land=fields.pop("land", "国有建设用地"),
        registered_at=registered_at,
        at_risk=at_risk,
        **fields,
    )
    for flow_stage in FlowStage.objects.filter(project_type=flow.type).order_by("no"):
        ProjectStage.objects.create(
            project=project,
            flow_stage=flow_stage,
            no=flow_stage.no,
            name=flow_stage.name,
            limit_days=flow_stage.limit_days,
            status=StageStatus.OPEN if flow_stage.no == 1 else StageStatus.LOCKED,
            opened_at=registered_at if flow_stage.no == 1 else None,
        )
    project_units_sync([project.pk])
    return project


def stage_of(project: Project, no: int) -> ProjectStage:
    return ProjectStage.objects.get(project=project, no=no)


def stage_apply(
    project: Project, no: int, *, accepted_at: datetime, due_at: datetime, applicant_name: str = "张工"
) -> PackageApplication:
    """The stage's package application, accepted at `accepted_at`: the stage under way until `due_at`."""
    stage = stage_of(project, no)
    version = PackageVersion.objects.get(package=stage.flow_stage.package, version=1)
    number = f"YJS{next(_serial):08d}"
    package_application = PackageApplication.objects.create(
        kind="package",
        number=number,
        status="handling",
        title=version.name,
        primary_unit=version.lead_unit,
        created_at=accepted_at,
        updated_at=accepted_at,
        due_at=due_at,
        package=version.package,
        package_version=version,
        channel="window",
        applicant_name=applicant_name,
        form={},
        accepted_at=accepted_at,
    )
    attempt = stage.applications.count() + 1
    StageApplication.objects.create(stage=stage, package_application=package_application, attempt=attempt)
    stage.status = StageStatus.UNDER_WAY
    stage.opened_at = stage.opened_at or accepted_at
    stage.package_application = package_application
    stage.started_at = accepted_at
    stage.due_at = due_at
    stage.save()
    return package_application


def part_add(
    package_application: PackageApplication,
    mv: MatterVersion,
    *,
    accepted_at: datetime,
    due_at: datetime,
    decided_at: datetime | None = None,
    approved: bool = True,
) -> Application:
    """One approval of the stage at the matter's unit: handling, or decided at `decided_at` (approved or denied)."""
    status = "handling" if decided_at is None else ("approved" if approved else "denied")
    application = Application.objects.create(
        kind="application",
        number=f"BJ{next(_serial):08d}",
        status=status,
        title=mv.name,
        primary_unit=mv.unit,
        created_at=accepted_at,
        updated_at=decided_at or accepted_at,
        due_at=due_at,
        matter=mv.matter,
        matter_version=mv,
        channel="window",
        applicant_name=package_application.applicant_name,
        form={},
        accepted_at=accepted_at,
        decided_at=decided_at,
        decision_due_at=due_at if decided_at is not None else None,
        decision_reason="" if approved else "不符合规划条件",
    )
    item = PackageItem.objects.get(version=package_application.package_version, matter=mv.matter)
    PackagePart.objects.create(
        package_application=package_application,
        item=item,
        matter=mv.matter,
        application=application,
        state=PartState.STARTED,
        order=item.order,
    )
    project_units_sync(
        StageApplication.objects.filter(package_application=package_application).values_list(
            "stage__project_id", flat=True
        )
    )
    return application


def stage_done(project: Project, no: int, *, done_at: datetime, elapsed_days: int) -> ProjectStage:
    """The stage decided with every part approved, `elapsed_days` working days after acceptance."""
    stage = stage_of(project, no)
    stage.status = StageStatus.DONE
    stage.done_at = done_at
    stage.elapsed_days = elapsed_days
    stage.save()
    return stage


def project_complete(project: Project, *, completed_at: datetime, elapsed_days: int) -> Project:
    project.status = "completed"
    project.completed_at = completed_at
    project.elapsed_days = elapsed_days
    project.save()
    return project


def permit_add(project: Project, application: Application, *, kind: str, issued_at: datetime) -> Permit:
    assert application.primary_unit is not None
    return Permit.objects.create(
        number=f"LS2026{next(_serial):06d}",
        kind=kind,
        case=application,
        matter=application.matter,
        unit=application.primary_unit,
        holder_name=project.owner,
        project=project,
        issued_at=issued_at,
    )
