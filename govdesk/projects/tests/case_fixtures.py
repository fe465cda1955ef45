"""Construction projects driven through the real services: a small project type whose four stages are packages
published here (matters at three units, a 告知承诺 matter in stage 2, a joint acceptance in stage 4), and helpers
that register, apply, accept and decide the way the window and the units do. Independent of the demo flows.

Stage 1 立项用地规划许可 (10 working days): 用地规划许可 (dept B) and 选址意见 (dept A), both need
项目建议书; 用地规划许可 also 用地红线图. Stage 2 工程建设许可 (10): 工程规划许可 (dept A; 项目建议书 again and
设计方案) and 人防审查 (dept C, on commitment). Stage 3 施工许可 (5): 施工许可 (dept A) and 质量安全监督登记
(dept C), both 施工合同. Stage 4 竣工验收 (5, joint within 5): 规划核实 (dept A) and 消防验收 (dept C) inspected
jointly, one 联合验收意见书. Total limit 40. Every stage is led by dept A.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from govdesk.applications import notices as application_notices
from govdesk.applications.models import Application
from govdesk.applications.services import application_approve, application_deny
from govdesk.matters.models import MatterVersion
from govdesk.matters.services import matter_version_publish
from govdesk.org.models import Role, UnitKind
from govdesk.org.tests.factories import UnitFactory, UserFactory
from govdesk.packages import case_services
from govdesk.packages import notices as package_notices
from govdesk.packages.catalogue import package_merged_form, package_version_publish
from govdesk.packages.models import PackageApplication, PackageVersion
from govdesk.projects import services
from govdesk.projects.models import FlowStage, Project, ProjectStage, ProjectType

SH = ZoneInfo("Asia/Shanghai")

LAND = "T-YDGH"  # 用地规划许可, dept B
SITE = "T-XZYJ"  # 选址意见, dept A
PLAN = "T-GCGH"  # 工程规划许可, dept A
DEFENCE = "T-RFSC"  # 人防审查, dept C, approved on commitment
BUILD = "T-SGXK"  # 施工许可, dept A
SAFETY = "T-ZLAQ"  # 质量安全监督登记, dept C
CHECK = "T-GHHS"  # 规划核实, dept A, joint
FIRE = "T-XFYS"  # 消防验收, dept C, joint

PROPOSAL, REDLINE, DESIGN, CONTRACT, REPORT = "XMJYS", "YDHX", "SJFA", "SGHT", "JGBG"
MATERIAL_CODES = {
    "项目建议书": PROPOSAL,
    "用地红线图": REDLINE,
    "设计方案": DESIGN,
    "施工合同": CONTRACT,
    "竣工报告": REPORT,
}

PROJECT_NAME = {"name": "project_name", "label": "项目名称", "type": "text", "required": True, "choices": []}
SITE_AREA = {"name": "site_area", "label": "用地面积", "type": "text", "required": True, "choices": []}
DESIGNER = {"name": "designer", "label": "设计单位", "type": "text", "required": True, "choices": []}
BUILDER = {"name": "builder", "label": "施工单位", "type": "text", "required": True, "choices": []}

STAGE_FORMS: dict[int, dict[str, Any]] = {
    1: {"project_name": "滨河综合楼", "site_area": "12000平方米"},
    2: {"designer": "吕梁市建筑设计院"},
    3: {"builder": "山西建工集团"},
    4: {},
}
STAGE_MATERIALS: dict[int, list[str]] = {1: [PROPOSAL, REDLINE], 2: [DESIGN], 3: [CONTRACT], 4: [REPORT]}
APPLICANT = {"contact_name": "张工", "contact_phone": "13812345678", "contact_id_number": "11010519491231002X"}


def at(month: int, day: int, hour: int = 10) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=SH)


def _matter(code: str, name: str, unit: Any, fields: list[Any], materials: list[str]) -> MatterVersion:
    attrs = {
        "name": name,
        "type": "licensing",
        "unit": unit,
        "legal_limit_days": 20,
        "promised_limit_days": 5,
        "fields": fields,
    }
    listed = [
        {"code": f"{code[-4:]}{n}", "name": m, "required": True, "form": "original", "copies": 1}
        for n, m in enumerate(materials, start=1)
    ]
    return matter_version_publish(code=code, attrs=attrs, materials=listed).version


def pair(prefix: str, first: Any, second: Any) -> list[MatterVersion]:
    """Two matters without form or materials (a package bundles at least two), at `first` and `second`."""
    return [
        _matter(f"{prefix}-1", f"{prefix}许可", first, [], []),
        _matter(f"{prefix}-2", f"{prefix}备案", second, [], []),
    ]


def publish_stage_package(
    code: str,
    name: str,
    lead: Any,
    versions: list[MatterVersion],
    limit: int,
    depends: dict[str, list[str]] | None = None,
) -> PackageVersion:
    """A stage's package through the catalogue's own publishing, its merged materials under stable codes; `depends`:
    matter code → the matter codes it waits for."""
    merged = package_merged_form(versions)
    materials = [{**m, "code": MATERIAL_CODES[m["name"]]} for m in merged["materials"]]
    items = [
        {
            "matter": v.matter.code,
            "field_map": merged["field_maps"][v.matter.code],
            "depends_on": (depends or {}).get(v.matter.code, []),
        }
        for v in versions
    ]
    attrs = {
        "name": name,
        "life_event": "construction",
        "lead_unit": lead,
        "promised_limit_days": limit,
        "fields": merged["fields"],
    }
    return package_version_publish(code=code, attrs=attrs, items=items, materials=materials).version


def flow_publish(code: str, *, total: int, stages: list[dict[str, Any]], order: int = 1) -> ProjectType:
    """A project type; `stages`: dicts of `name`, `limit`, `lead`, `matters` (matter versions), optional `depends`
    and FlowStage extras."""
    project_type = ProjectType.objects.create(code=code, name=f"测试类型{code}", total_limit_days=total, order=order)
    for no, spec in enumerate(stages, start=1):
        spec = dict(spec)
        version = publish_stage_package(
            f"{code}-S{no}", spec.pop("name"), spec.pop("lead"), spec.pop("matters"), 0, spec.pop("depends", None)
        )
        FlowStage.objects.create(
            project_type=project_type,
            no=no,
            name=version.name,
            package=version.package,
            limit_days=spec.pop("limit"),
            **spec,
        )
    return project_type


class FakePdf:
    """Stands in for WeasyPrint: these tests are about states, not documents."""

    def __call__(self, **kwargs: Any) -> bytes:
        return b"%PDF-1.7\n% fake " + kwargs["content"].number.encode() + b"\n%%EOF\n"


@pytest.fixture
def fake_pdfs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(application_notices, "notice_pdf", FakePdf())
    monkeypatch.setattr(package_notices, "notice_pdf", FakePdf())


@pytest.fixture
def travel() -> Iterator[Any]:
    """The clock at Monday 2026-11-02 10:00 (no holiday for weeks), moved by the test with `.move_to`."""
    with time_machine.travel(at(11, 2), tick=False) as traveller:
        yield traveller


@pytest.fixture
def construction(district: SimpleNamespace, people: SimpleNamespace, fake_pdfs: None, travel: Any) -> SimpleNamespace:
    a, b = district.dept_a, district.dept_b
    centre = UnitFactory(code="LS-ZWFW", name="区政务服务中心", parent=district.gov, accepts_orders=False)
    c: Any = UnitFactory(code="LS-XF", name="区消防救援大队", kind=UnitKind.DEPARTMENT, parent=district.gov)
    clerk = UserFactory(username="clerk", roles=[Role.WINDOW_CLERK], unit=centre, display_name="窗口李芳")
    handler_c = UserFactory(username="handler_c", roles=[Role.HANDLER], unit=c)
    land = _matter(LAND, "建设用地规划许可", b, [PROJECT_NAME, SITE_AREA], ["项目建议书", "用地红线图"])
    site = _matter(SITE, "建设项目选址意见", a, [PROJECT_NAME], ["项目建议书"])
    plan = _matter(PLAN, "建设工程规划许可", a, [PROJECT_NAME, DESIGNER], ["项目建议书", "设计方案"])
    defence = _matter(DEFENCE, "人防工程设计审查", c, [PROJECT_NAME], ["设计方案"])
    build = _matter(BUILD, "建筑工程施工许可", a, [PROJECT_NAME, BUILDER], ["施工合同"])
    safety = _matter(SAFETY, "工程质量安全监督登记", c, [BUILDER], ["施工合同"])
    check = _matter(CHECK, "规划条件核实", a, [PROJECT_NAME], ["竣工报告"])
    fire = _matter(FIRE, "消防验收", c, [PROJECT_NAME], ["竣工报告"])
    project_type = flow_publish(
        "TEST-SOCIAL",
        total=40,
        stages=[
            {"name": "立项用地规划许可", "limit": 10, "lead": a, "matters": [land, site]},
            {
                "name": "工程建设许可",
                "limit": 10,
                "lead": a,
                "matters": [plan, defence],
                "commitment_matters": [DEFENCE],
                "permit_kinds": {PLAN: "建设工程规划许可证"},
            },
            {"name": "施工许可", "limit": 5, "lead": a, "matters": [build, safety]},
            {
                "name": "竣工验收",
                "limit": 5,
                "lead": a,
                "matters": [check, fire],
                "joint_matters": [CHECK, FIRE],
                "joint_result_name": "联合验收意见书",
                "joint_limit_days": 5,
            },
        ],
    )
    return SimpleNamespace(
        type=project_type,
        clerk=clerk,
        centre=centre,
        dept_c=c,
        handler_c=handler_c,
        deciders={a.pk: people.handler_a, b.pk: people.handler_b, c.pk: handler_c},
        people=people,
        travel=travel,
    )


# --- driving a project ------------------------------------------------------------------------------------------


def register(fx: SimpleNamespace, *, actor: Any = None, **overrides: Any) -> Project:
    data = {
        "name": "滨河综合楼",
        "type": fx.type.code,
        "owner": "吕梁滨河置业有限公司",
        "investment": "3500.00",
        "location": "离石区滨河北路",
        "land": "国有建设用地（出让）",
        **APPLICANT,
        **overrides,
    }
    return services.project_register(actor=actor or fx.clerk, data=data)


def apply(fx: SimpleNamespace, project: Project, no: int, *, actor: Any = None, **data: Any) -> PackageApplication:
    body = {"form": dict(STAGE_FORMS[no]), "materials": list(STAGE_MATERIALS[no]), **data}
    return services.project_stage_apply(actor=actor or fx.clerk, project=project.code, no=no, data=body)


def accept(fx: SimpleNamespace, package_application: PackageApplication) -> PackageApplication:
    return case_services.package_accept(package_application=package_application.number, actor=fx.clerk)


def parts(package_application: PackageApplication) -> dict[str, Application]:
    """The started parts' applications by matter code, fresh from the database."""
    return {
        part.matter.code: Application.objects.get(pk=part.application_id)
        for part in package_application.parts.select_related("matter")
        if part.application_id is not None
    }


def decide(fx: SimpleNamespace, application: Application, *, approve: bool = True) -> Application:
    handler = fx.deciders[application.primary_unit_id]
    if approve:
        return application_approve(application=application.number, actor=handler, note="符合条件")
    return application_deny(application=application.number, actor=handler, reason="用地红线与规划条件不符")


def stage(project: Project, no: int) -> ProjectStage:
    return ProjectStage.objects.get(project=project, no=no)


def fresh(project: Project) -> Project:
    return Project.objects.select_related("type").get(pk=project.pk)


def pass_stage(fx: SimpleNamespace, project: Project, no: int) -> PackageApplication:
    """Apply, accept and approve every part still handling: the stage done."""
    package_application = accept(fx, apply(fx, project, no))
    for application in parts(package_application).values():
        if application.status == "handling":
            decide(fx, application)
    return package_application
