"""Project types and flows as data: the shipped types load with their stage packages, an import is checked row by row
(a dry run writes nothing; every bad row is named by sheet, row and column), export and import round-trip, the
commands, and the admin's edits obey the same check."""

from __future__ import annotations

import io
import json
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.utils import translation
from openpyxl import Workbook

from govdesk.audit.models import AuditEvent
from govdesk.demo import seed
from govdesk.matters.models import Matter
from govdesk.matters.transfer import matters_import
from govdesk.org.models import Role, Unit
from govdesk.org.tests.factories import UserFactory, login_verified
from govdesk.packages.models import Package
from govdesk.packages.transfer import packages_import
from govdesk.projects.flows import (
    STAGE_COLUMNS,
    TYPE_COLUMNS,
    project_type_snapshot,
    project_types_export,
    project_types_export_json,
    project_types_import,
)
from govdesk.projects.models import FlowStage, Project, ProjectStage, ProjectType

pytestmark = pytest.mark.django_db

TYPES_FILE = seed.DEMO_PROJECT_TYPES
FG1, ZR7, ZR8, ZJ1 = "141102-20-FG-0001", "141102-01-ZR-0007", "141102-01-ZR-0008", "141102-01-ZJ-0001"
ZR16, ZJ19, ZJ3 = "141102-09-ZR-0016", "141102-20-ZJ-0019", "141102-20-ZJ-0003"


def _construction_subset() -> tuple[bytes, bytes]:
    """The shipped stage packages (GCJS-*) and just the matters they bundle: the flows' data without loading the
    whole catalogue in every test."""
    packages = [p for p in json.loads(seed.DEMO_PACKAGES.read_text())["packages"] if p["code"].startswith("GCJS-")]
    needed = {item["matter"] for package in packages for item in package["items"]}
    matters = [m for m in json.loads(seed.DEMO_CATALOGUE.read_text())["matters"] if m["code"] in needed]
    return json.dumps({"matters": matters}).encode(), json.dumps({"packages": packages}).encode()


@pytest.fixture
def packages_loaded() -> None:
    seed.demo_district_ensure()
    matters, packages = _construction_subset()
    assert matters_import(content=matters, filename="m.json", commit=True).errors == []
    assert packages_import(content=packages, filename="p.json", commit=True).errors == []


@pytest.fixture
def types_loaded(packages_loaded: None) -> None:
    result = project_types_import(content=TYPES_FILE.read_bytes(), filename=TYPES_FILE.name, commit=True)
    assert result.errors == [] and result.created == 4


def _workbook(types: list[list[Any]], stages: list[list[Any]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "项目类型"
    sheet.append([title for _key, title in TYPE_COLUMNS])
    for row in types:
        sheet.append(row)
    stage_sheet = workbook.create_sheet("阶段")
    stage_sheet.append([title for _key, title in STAGE_COLUMNS])
    for row in stages:
        stage_sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


LOW_RISK_TYPE = ["small", "小型低风险项目", "", 15, "是", 1]


def _low_risk_stages() -> list[list[Any]]:
    return [
        ["small", 1, "立项用地规划许可", "GCJS-JY-1", 2, "否", ZR7, "", "", 0, f"{ZR7}:建设用地规划许可证"],
        ["small", 2, "工程建设许可和施工许可", "GCJS-JY-2", 8, "否", ZJ1, "", "", 0, ""],
        ["small", 3, "竣工验收", "GCJS-JY-3", 5, "否", "", f"{ZR16},{ZJ19}", "联合验收意见书", 3, ""],
    ]


# --- the shipped data ------------------------------------------------------------------------------------------------


def test_shipped_types_load_through_the_demo_seed_with_their_packages() -> None:
    seed.demo_district_ensure()
    assert seed.demo_project_types_ensure() == 4
    assert seed.demo_project_types_ensure() == 0  # once
    types = {t.code: t for t in ProjectType.objects.prefetch_related("stages__package__current_version__items")}
    assert {code: t.total_limit_days for code, t in types.items()} == {
        "government": 90,
        "social": 60,
        "low_risk": 15,
        "with_design": 45,
    }
    assert [len(t.stages.all()) for t in types.values()] == [4, 5, 3, 3]  # government, social, low_risk, with_design
    for project_type in types.values():
        for stage in project_type.stages.all():
            version = stage.package.current_version
            assert version is not None and stage.package.life_event == "construction"
            matters = {item.matter.code for item in version.items.all()}
            assert set(stage.commitment_matters) <= matters and set(stage.joint_matters) <= matters
            assert set(stage.permit_kinds) <= matters
    low_risk = types["low_risk"]
    stages = list(low_risk.stages.all())
    assert any(stage.commitment_matters for stage in stages)
    last = stages[-1]
    joint_units = set(Matter.objects.filter(code__in=last.joint_matters).values_list("unit__code", flat=True))
    assert len(joint_units) >= 2 and last.joint_result_name == "联合验收意见书"
    last_version = last.package.current_version
    assert last_version is not None
    assert ZJ3 in {item.matter.code for item in last_version.items.all()}  # completion filing
    assert sum(stage.limit_days for stage in stages) <= 15
    # the district has the units the flows need, and they are the units of matters
    assert Matter.objects.filter(unit__code="LS-RF").exists() and Matter.objects.filter(unit__code="LS-DA").exists()
    assert Unit.objects.get(code="LS-RF").name == "区人民防空办公室"


def test_stage_packages_share_documents_by_one_code_across_stages(types_loaded: None) -> None:
    """A document several stages need (the land contract, the planning permit) has one merged-material code in each
    stage's package, so a project hands it in once."""
    codes_by_stage = {}
    for stage in FlowStage.objects.filter(project_type__code="government").select_related("package__current_version"):
        version = stage.package.current_version
        assert version is not None
        codes_by_stage[stage.no] = {m.code for m in version.materials.all()}
    assert "GC03" in codes_by_stage[1] and "GC03" in codes_by_stage[2]  # 出让合同或划拨决定书
    assert "GC09" in codes_by_stage[3] and "GC09" in codes_by_stage[4]  # 建设工程规划许可证
    planning = Package.objects.get(code="GCJS-ZF-2").current_version
    assert planning is not None
    items = {item.matter.code: item for item in planning.items.all()}
    assert items[ZR8].depends_on == ["141102-20-ZR-0015"]  # the planning permit waits for the design review


def test_export_json_gives_back_the_shipped_file(types_loaded: None) -> None:
    assert project_types_export_json().decode() == TYPES_FILE.read_text()


# --- the import ------------------------------------------------------------------------------------------------------


def test_a_dry_run_writes_nothing_and_counts_what_a_commit_does(packages_loaded: None) -> None:
    content = _workbook([LOW_RISK_TYPE], _low_risk_stages())
    dry = project_types_import(content=content, filename="t.xlsx", commit=False)
    assert dry.errors == [] and not dry.committed and (dry.created, dry.changed, dry.unchanged) == (1, 0, 0)
    assert not ProjectType.objects.exists() and not FlowStage.objects.exists()
    assert not AuditEvent.objects.filter(object_type="project_type").exists()
    done = project_types_import(content=content, filename="t.xlsx", commit=True)
    assert done.committed and done.created == 1
    small = ProjectType.objects.get(code="small")
    stages = list(small.stages.order_by("no"))
    assert [s.package.code for s in stages] == ["GCJS-JY-1", "GCJS-JY-2", "GCJS-JY-3"]
    assert stages[0].permit_kinds == {ZR7: "建设用地规划许可证"} and stages[2].joint_matters == [ZR16, ZJ19]
    again = project_types_import(content=content, filename="t.xlsx", commit=True)
    assert (again.created, again.changed, again.unchanged) == (0, 0, 1)
    assert AuditEvent.objects.filter(object_type="project_type", object_id="small").count() == 1


def _bad(stage_no: int, column: int, value: Any) -> list[list[Any]]:
    stages = _low_risk_stages()
    stages[stage_no - 1][column] = value
    return stages


# (stages, where the error is, words of the message). Columns: 1 no, 3 package, 4 limit, 5 with previous,
# 6 commitment, 7 joint, 8 result, 9 joint limit, 10 documents.
BAD_ROWS = [
    (_bad(2, 3, "NOPE"), "sheet 阶段, row 3, column 一件事编码", "no active package with the code NOPE"),
    (_bad(3, 1, 4), "sheet 阶段, row 4, column 阶段序号", "run from 1 to 3"),
    (_bad(3, 1, 2), "sheet 阶段, row 4, column 阶段序号", "appears twice"),
    (_bad(1, 6, ZJ1), "sheet 阶段, row 2, column 告知承诺事项编码", "not a matter of the stage's package GCJS-JY-1"),
    (_bad(3, 7, f"{ZR16},{ZJ1}"), "sheet 阶段, row 4, column 联合验收事项编码", f"{ZJ1} is not a matter"),
    (_bad(3, 7, ZR16), "sheet 阶段, row 4, column 联合验收事项编码", "at least two matters"),
    (_bad(3, 8, ""), "sheet 阶段, row 4, column 联合验收结果文书", "Name the one document"),
    (_bad(3, 9, 9), "sheet 阶段, row 4, column 联合验收时限（工作日）", "exceed the stage's limit of 5"),
    (_bad(2, 4, 10), "sheet 项目类型, row 2, column 全流程时限（工作日）", "17 working days one after another"),
    (_bad(2, 4, "十天"), "sheet 阶段, row 3, column 阶段时限（工作日）", "whole number"),
    (_bad(1, 5, "是"), "sheet 阶段, row 2, column 与上一阶段同时开始", "first stage"),
    (_bad(2, 10, "没有冒号"), "sheet 阶段, row 3, column 核发文书", "matter code:document name"),
    (_bad(2, 10, f"{FG1}:项目备案证明"), "sheet 阶段, row 3, column 核发文书", f"{FG1} is not a matter"),
    (_bad(2, 0, "other"), "sheet 阶段, row 3, column 类型编码", "No project type with the code other"),
]


@pytest.mark.parametrize(("stages", "where", "words"), BAD_ROWS)
def test_every_bad_row_is_named_and_nothing_is_written(
    packages_loaded: None, stages: list[list[Any]], where: str, words: str
) -> None:
    with translation.override("en"):
        result = project_types_import(content=_workbook([LOW_RISK_TYPE], stages), filename="t.xlsx", commit=True)
    assert any(error.startswith(where) and words in error for error in result.errors), result.errors
    assert not result.committed and not ProjectType.objects.exists()


def test_a_stage_beside_the_one_before_counts_its_longest_limit_once(packages_loaded: None) -> None:
    """Stage 2 opens with stage 1 (a utility connection beside construction): 2 + max(8, 5) = 10 ≤ 10, where one
    after the other (2 + 8 + 5 = 15) they would exceed the total."""
    stages = _low_risk_stages()
    stages[2][5] = "是"  # stage 3 opens with stage 2
    content = _workbook([["small", "小型低风险项目", "", 10, "是", 1]], stages)
    assert project_types_import(content=content, filename="t.xlsx", commit=False).errors == []
    stages[2][5] = "否"
    with translation.override("en"):
        errors = project_types_import(
            content=_workbook([["small", "小型低风险项目", "", 10, "是", 1]], stages), filename="t.xlsx"
        ).errors
    assert len(errors) == 1 and "15 working days one after another (2 + 8 + 5)" in errors[0]


def test_json_errors_name_the_type_and_stage(packages_loaded: None) -> None:
    data = json.loads(TYPES_FILE.read_text())
    data["project_types"][2]["stages"][1]["package"] = "GCJS-NOPE"
    data["project_types"][0]["stages"][0]["commitment_matters"] = [ZJ19]
    with translation.override("en"):
        result = project_types_import(content=json.dumps(data).encode(), filename="t.json", commit=True)
    assert sorted(result.errors) == sorted(
        [
            "project type 1, stage 1「commitment_matters」: The matter 141102-20-ZJ-0019 is not a matter of the "
            "stage's package GCJS-ZF-1.",
            "project type 3, stage 2「package」: There is no active package with the code GCJS-NOPE.",
        ]
    )


def test_not_a_workbook_is_a_clear_error(packages_loaded: None) -> None:
    from govdesk.common.errors import ValidationFailed

    with translation.override("en"), pytest.raises(ValidationFailed, match="not an Excel workbook"):
        project_types_import(content=b"PK\x03\x04 broken", filename="t.xlsx")


def test_export_and_import_round_trip_through_a_workbook(types_loaded: None) -> None:
    before = {t.code: project_type_snapshot(t) for t in ProjectType.objects.all()}
    workbook = project_types_export()
    FlowStage.objects.all().delete()
    ProjectType.objects.all().delete()
    result = project_types_import(content=workbook, filename="types.xlsx", commit=True)
    assert result.errors == [] and result.created == 4
    assert {t.code: project_type_snapshot(t) for t in ProjectType.objects.all()} == before


def test_a_stage_with_projects_cannot_be_removed(types_loaded: None) -> None:
    low_risk = ProjectType.objects.get(code="low_risk")
    project = Project.objects.create(
        code="2026-141102-47-01-000001",
        name="小型仓库",
        type=low_risk,
        owner="某公司",
        contact_name="张三",
        investment=Decimal("300"),
        location="滨河北路",
        registered_at=datetime.fromisoformat("2026-03-02T09:00:00+08:00"),
    )
    third = low_risk.stages.get(no=3)
    ProjectStage.objects.create(project=project, flow_stage=third, no=3, name=third.name, limit_days=5)
    data = json.loads(TYPES_FILE.read_text())
    data["project_types"][2]["stages"].pop()  # low_risk without its acceptance stage
    with translation.override("en"):
        result = project_types_import(content=json.dumps(data).encode(), filename="t.json", commit=True)
    assert result.errors == ["project type 3「code」: Stage 3 cannot be removed: projects of this type are in it."]
    assert low_risk.stages.count() == 3


# --- the commands ----------------------------------------------------------------------------------------------------


def test_commands_import_dry_run_then_commit_and_export(packages_loaded: None, tmp_path: Path, capsys: Any) -> None:
    call_command("projects_import", "--dry-run")
    assert "dry run" in capsys.readouterr().out and not ProjectType.objects.exists()
    call_command("projects_import", "--commit")
    out = capsys.readouterr().out
    assert "4/4" in out and "imported: 4 new" in out and ProjectType.objects.count() == 4
    call_command("projects_export", str(tmp_path / "types.json"))
    assert (tmp_path / "types.json").read_text() == TYPES_FILE.read_text()
    call_command("projects_export", str(tmp_path / "types.xlsx"))
    call_command("projects_import", str(tmp_path / "types.xlsx"), "--commit")
    assert "0 new, 0 changed, 4 unchanged" in capsys.readouterr().out
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(_workbook([LOW_RISK_TYPE], _bad(2, 3, "NOPE")))
    with translation.override("en"), pytest.raises(CommandError, match=r"1 errors in bad\.xlsx: nothing imported"):
        call_command("projects_import", str(bad), "--commit")
    assert "NOPE" in capsys.readouterr().err


# --- the admin -------------------------------------------------------------------------------------------------------

ADMIN_LIST = "/admin/projects/projecttype/"


@pytest.fixture
def admin_client(client: Any, types_loaded: None) -> Any:
    login_verified(client, UserFactory.create(username="root", roles=[Role.SYSADMIN]))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def _change_form(project_type: ProjectType, **stage_overrides: dict[str, Any]) -> dict[str, Any]:
    stages = list(project_type.stages.order_by("no"))
    data: dict[str, Any] = {
        "name": project_type.name,
        "description": project_type.description,
        "total_limit_days": project_type.total_limit_days,
        "is_active": "on",
        "order": project_type.order,
        "stages-TOTAL_FORMS": len(stages),
        "stages-INITIAL_FORMS": len(stages),
        "stages-MIN_NUM_FORMS": 1,
        "stages-MAX_NUM_FORMS": 1000,
    }
    for index, stage in enumerate(stages):
        values = {
            "id": stage.pk,
            "project_type": project_type.pk,
            "no": stage.no,
            "name": stage.name,
            "package": stage.package_id,
            "limit_days": stage.limit_days,
            "commitment_matters": json.dumps(stage.commitment_matters),
            "joint_matters": json.dumps(stage.joint_matters),
            "joint_result_name": stage.joint_result_name,
            "joint_limit_days": stage.joint_limit_days,
            "permit_kinds": json.dumps(stage.permit_kinds, ensure_ascii=False),
        }
        if stage.opens_with_previous:
            values["opens_with_previous"] = "on"
        values.update(stage_overrides.get(f"s{stage.no}", {}))
        data.update({f"stages-{index}-{key}": value for key, value in values.items()})
    return data


def test_admin_edits_are_saved_and_audited(admin_client: Any) -> None:
    low_risk = ProjectType.objects.get(code="low_risk")
    url = f"{ADMIN_LIST}{low_risk.pk}/change/"
    assert admin_client.get(url).status_code == 200
    response = admin_client.post(url, _change_form(low_risk, s2={"limit_days": 7}))
    assert response.status_code == 302, response.content.decode()[:2000]
    assert low_risk.stages.get(no=2).limit_days == 7
    assert AuditEvent.objects.filter(action="project_type.change", object_id="low_risk").count() == 1


@pytest.mark.parametrize(
    ("overrides", "words"),
    [
        ({"s2": {"commitment_matters": json.dumps([ZJ19])}}, "is not a matter of the stage&#x27;s package"),
        ({"s2": {"limit_days": 20}}, "27 working days one after another"),
        ({"s3": {"joint_matters": json.dumps([ZR16])}}, "at least two matters"),
        ({"s3": {"no": 5}}, "Stage numbers run from 1 to 3"),
    ],
)
def test_admin_refuses_what_the_import_refuses(admin_client: Any, overrides: dict[str, Any], words: str) -> None:
    low_risk = ProjectType.objects.get(code="low_risk")
    before = project_type_snapshot(low_risk)
    response = admin_client.post(f"{ADMIN_LIST}{low_risk.pk}/change/", _change_form(low_risk, **overrides))
    assert response.status_code == 200 and words in response.content.decode()
    assert project_type_snapshot(ProjectType.objects.get(code="low_risk")) == before


def test_an_edit_refused_at_saving_is_a_message_and_writes_nothing(admin_client: Any, monkeypatch: Any) -> None:
    """The form's check passed but the save's check refuses (another edit came between): a message, no 500, and
    neither the type nor its stages changed."""
    from govdesk.projects import flows

    monkeypatch.setattr(flows, "project_type_check", lambda **kwargs: {"stages": ["changed meanwhile"]})
    low_risk = ProjectType.objects.get(code="low_risk")
    before = project_type_snapshot(low_risk)
    url = f"{ADMIN_LIST}{low_risk.pk}/change/"
    response = admin_client.post(url, _change_form(low_risk, s2={"limit_days": 7}), follow=True)
    assert response.status_code == 200 and "changed meanwhile" in response.content.decode()
    assert project_type_snapshot(ProjectType.objects.get(code="low_risk")) == before


def test_admin_import_page_dry_runs_then_writes_and_exports(admin_client: Any) -> None:
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    content = _workbook([LOW_RISK_TYPE], _low_risk_stages())
    page = admin_client.post(f"{ADMIN_LIST}import/", {"file": SimpleUploadedFile("t.xlsx", content, xlsx)})
    assert page.status_code == 200 and "Dry run" in page.content.decode()
    assert not ProjectType.objects.filter(code="small").exists()
    admin_client.post(f"{ADMIN_LIST}import/", {"file": SimpleUploadedFile("t.xlsx", content, xlsx), "commit": "on"})
    assert ProjectType.objects.filter(code="small").exists()
    bad = _workbook([LOW_RISK_TYPE], _bad(2, 3, "NOPE"))
    page = admin_client.post(f"{ADMIN_LIST}import/", {"file": SimpleUploadedFile("b.xlsx", bad, xlsx), "commit": "on"})
    assert "nothing was written" in page.content.decode() and "NOPE" in page.content.decode()
    export = admin_client.get(f"{ADMIN_LIST}export/")
    assert export.status_code == 200 and export["Content-Type"] == xlsx


def test_only_the_system_administrator_edits_flows(client: Any, types_loaded: None) -> None:
    login_verified(client, UserFactory.create(username="clerk", roles=[Role.WINDOW_CLERK]))
    assert client.get(ADMIN_LIST).status_code in (302, 403)
    assert client.post(f"{ADMIN_LIST}import/", {}).status_code in (302, 403)
