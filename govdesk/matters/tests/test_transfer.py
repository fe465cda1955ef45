from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from openpyxl import Workbook, load_workbook

from govdesk.matters.models import Matter, MatterMaterial, MatterVersion
from govdesk.matters.services import _version_snapshot
from govdesk.matters.transfer import MATERIAL_COLUMNS, MATTER_COLUMNS, matters_export, matters_import

from .helpers import SAMPLE_FIELDS, make_matter

pytestmark = pytest.mark.django_db

MATTER_ROW = {
    "code": "141102-01-ZJ-0001",
    "name": "建筑工程施工许可证核发",
    "type": "行政许可",
    "unit": "LS-ZJ",
    "legal_basis": "《中华人民共和国建筑法》第七条",
    "conditions": "已办理用地批准手续",
    "legal_limit_days": 7,
    "promised_limit_days": 3,
    "instant": "否",
    "visits": 1,
    "fee": "不收费",
    "fields": json.dumps(SAMPLE_FIELDS[:2], ensure_ascii=False),
    "is_active": "是",
}
MATERIAL_ROW = {
    "matter": "141102-01-ZJ-0001",
    "code": "M01",
    "name": "施工许可申请表",
    "form": "原件",
    "copies": 1,
    "required": "是",
    "source": "申请人自备",
    "sample": "",
    "order": 1,
}


def workbook_bytes(
    matters: list[dict[str, Any]] | None = None,
    materials: list[dict[str, Any]] | None = None,
    *,
    matter_columns: list[tuple[str, str]] = MATTER_COLUMNS,
    sheets: tuple[str, str] = ("事项", "材料"),
) -> bytes:
    book = Workbook()
    first = book.active
    first.title = sheets[0]
    first.append([title for _key, title in matter_columns])
    for row in [MATTER_ROW] if matters is None else matters:
        first.append([row.get(key) for key, _title in matter_columns])
    second = book.create_sheet(sheets[1])
    second.append([title for _key, title in MATERIAL_COLUMNS])
    for row in [MATERIAL_ROW] if materials is None else materials:
        second.append([row.get(key) for key, _title in MATERIAL_COLUMNS])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_good_workbook_dry_run_writes_nothing_commit_writes(district: Any) -> None:
    dry = matters_import(content=workbook_bytes())
    assert (dry.errors, dry.created, dry.committed) == ([], 1, False)
    assert not Matter.objects.exists()
    done = matters_import(content=workbook_bytes(), commit=True)
    assert (done.created, done.committed) == (1, True)
    version = Matter.objects.get().current_version
    assert version is not None
    assert version.unit == district.dept_a and version.type == "licensing" and version.fields == SAMPLE_FIELDS[:2]
    assert list(version.materials.values_list("code", "form", "required")) == [("M01", "original", True)]


def test_reimport_unchanged_and_changed(district: Any) -> None:
    matters_import(content=workbook_bytes(), commit=True)
    again = matters_import(content=workbook_bytes(), commit=True)
    assert (again.created, again.changed, again.unchanged) == (0, 0, 1)
    changed = matters_import(content=workbook_bytes([{**MATTER_ROW, "promised_limit_days": 2}]), commit=True)
    assert changed.changed == 1
    assert list(MatterVersion.objects.order_by("version").values_list("version", "promised_limit_days")) == [
        (1, 3),
        (2, 2),
    ]


@pytest.mark.parametrize(
    ("matters", "materials", "expected"),
    [
        ([{**MATTER_ROW, "code": ""}], [], "row 2, column 事项编码"),
        ([MATTER_ROW, MATTER_ROW], [MATERIAL_ROW], "row 3, column 事项编码"),
        ([{**MATTER_ROW, "type": "行政处罚"}], None, "row 2, column 事项类型"),
        ([{**MATTER_ROW, "unit": "LS-XX"}], None, "row 2, column 实施主体编码"),
        ([{**MATTER_ROW, "legal_limit_days": "七"}], None, "row 2, column 法定办结时限（工作日）"),
        ([{**MATTER_ROW, "promised_limit_days": 9}], None, "row 2, column 承诺办结时限（工作日）"),
        ([{**MATTER_ROW, "instant": "也许"}], None, "row 2, column 即办件"),
        ([{**MATTER_ROW, "fields": "[{"}], None, "row 2, column 表单字段（JSON）"),
        ([{**MATTER_ROW, "fields": '[{"name": "a", "label": "A", "type": "x"}]'}], None, "column 表单字段（JSON）"),
        ([{**MATTER_ROW, "name": ""}], None, "row 2, column 事项名称"),
        (None, [{**MATERIAL_ROW, "matter": "NOPE"}], "sheet 材料, row 2, column 事项编码"),
        (None, [MATERIAL_ROW, {**MATERIAL_ROW, "name": "重复"}], "sheet 材料, row 3, column 材料编码"),
        (None, [{**MATERIAL_ROW, "form": "扫描件"}], "sheet 材料, row 2, column 材料形式"),
        (None, [{**MATERIAL_ROW, "copies": "两份"}], "sheet 材料, row 2"),
        (None, [{**MATERIAL_ROW, "name": ""}], "sheet 材料, row 2, column 材料编码"),
    ],
)
def test_row_errors_name_sheet_row_column_and_write_nothing(
    district: Any, matters: Any, materials: Any, expected: str
) -> None:
    good_other = {**MATTER_ROW, "code": "OTHER-1"}
    rows = [*(matters if matters is not None else [MATTER_ROW]), good_other]
    result = matters_import(content=workbook_bytes(rows, materials), commit=True)
    assert result.errors, "the bad row must be reported"
    assert any(expected in error for error in result.errors), result.errors
    assert not result.committed
    assert not Matter.objects.exists() and not MatterMaterial.objects.exists()


def test_missing_sheet_and_missing_column(district: Any) -> None:
    result = matters_import(content=workbook_bytes(sheets=("事项", "Sheet2")), commit=True)
    assert any("材料" in e for e in result.errors)
    no_unit = [c for c in MATTER_COLUMNS if c[0] != "unit"]
    result = matters_import(content=workbook_bytes(matter_columns=no_unit), commit=True)
    assert any("实施主体编码" in e for e in result.errors)
    assert not Matter.objects.exists()


@pytest.mark.parametrize("content", [b"", b"not a workbook", b"PK\x03\x04broken zip"])
def test_not_a_workbook(district: Any, content: bytes) -> None:
    from govdesk.common.errors import ValidationFailed

    with pytest.raises(ValidationFailed):
        matters_import(content=content, filename="x.xlsx")


def test_bad_json(district: Any) -> None:
    from govdesk.common.errors import ValidationFailed

    with pytest.raises(ValidationFailed):
        matters_import(content=b"{", filename="x.json")
    with pytest.raises(ValidationFailed):
        matters_import(content=b'{"items": []}', filename="x.json")
    result = matters_import(content=b'{"matters": [{"code": "A", "unit": "LS-ZJ"}]}', filename="x.json")
    assert any("matter 1" in e for e in result.errors)


def _snapshot(matter: Matter) -> Any:
    assert matter.current_version is not None
    return _version_snapshot(matter.current_version)


def test_round_trip_export_import_into_empty_catalogue(district: Any) -> None:
    make_matter(district.dept_a, code="A1")
    make_matter(district.dept_b, code="B1", name="失业登记", type="confirmation", instant=True, promised_limit_days=0)
    make_matter(district.dept_b, code="B2", name="旧事项", fields=[], materials=[])
    Matter.objects.filter(code="B2").update(is_active=False)
    before = {m.code: (_snapshot(m), m.is_active) for m in Matter.objects.all()}
    content = matters_export()

    book = load_workbook(io.BytesIO(content), read_only=True)
    assert book.sheetnames == ["事项", "材料"]
    matter_rows = list(book["事项"].iter_rows(values_only=True))
    assert matter_rows[0][0] == "事项编码" and len(matter_rows) == 4
    assert len(list(book["材料"].iter_rows(values_only=True))) == 1 + 3 + 3

    MatterMaterial.objects.all().delete()
    Matter.objects.update(current_version=None)
    MatterVersion.objects.all().delete()
    Matter.objects.all().delete()
    result = matters_import(content=content, commit=True)
    assert (result.errors, result.created) == ([], 3)
    after = {m.code: (_snapshot(m), m.is_active) for m in Matter.objects.all()}
    assert after == before
    assert matters_import(content=matters_export()).unchanged == 3


def test_commands(district: Any, tmp_path: Path, capsys: Any) -> None:
    path = tmp_path / "catalogue.xlsx"
    path.write_bytes(workbook_bytes())
    call_command("matters_import", str(path))
    assert "dry run" in capsys.readouterr().out and not Matter.objects.exists()
    call_command("matters_import", str(path), "--commit")
    out = capsys.readouterr().out
    assert "1/1" in out and "1 new" in out
    exported = tmp_path / "out.xlsx"
    call_command("matters_export", str(exported))
    assert load_workbook(exported)["事项"]["A2"].value == "141102-01-ZJ-0001"
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(workbook_bytes([{**MATTER_ROW, "unit": "LS-XX"}]))
    with pytest.raises(CommandError, match="nothing imported"):
        call_command("matters_import", str(bad), "--commit")
    assert "实施主体编码" in capsys.readouterr().err
    with pytest.raises(CommandError):
        call_command("matters_import", str(tmp_path / "missing.xlsx"))


def test_export_writes_formula_like_text_as_text_and_reads_it_back(district: Any) -> None:
    make_matter(district.dept_a, code="A1", name='=HYPERLINK("http://evil")', legal_basis="+1-2")
    content = matters_export()
    sheet = load_workbook(io.BytesIO(content))["事项"]
    name_cell, basis_cell = sheet["B2"], sheet["E2"]
    assert name_cell.data_type == "s" and name_cell.quotePrefix
    assert basis_cell.data_type == "s" and basis_cell.quotePrefix
    assert matters_import(content=content).unchanged == 1


def test_control_characters_are_refused_before_they_break_the_export(district: Any) -> None:
    # A workbook cannot even hold them; JSON (and the admin) can, and the export must never meet them.
    item = {**MATTER_ROW, "fee": "不收\u001b费", "materials": [{**MATERIAL_ROW, "name": "申请表\u0007"}]}
    result = matters_import(content=json.dumps({"matters": [item]}).encode(), filename="x.json", commit=True)
    assert any("「fee」" in e for e in result.errors), result.errors
    assert any("material 1" in e for e in result.errors), result.errors
    assert not Matter.objects.exists()


def test_import_can_switch_a_matter_off(district: Any, people: Any, api_client_for: Any) -> None:
    matters_import(content=workbook_bytes(), commit=True)
    result = matters_import(content=workbook_bytes([{**MATTER_ROW, "is_active": "否"}]), commit=True)
    assert (result.changed, result.unchanged) == (1, 0)
    assert MatterVersion.objects.count() == 1
    assert api_client_for(people.operator).get(f"/api/v1/matters/{MATTER_ROW['code']}/").status_code == 404


def test_codes_with_control_characters_are_row_errors(district: Any) -> None:
    item = {**MATTER_ROW, "code": "A\u00001", "materials": []}
    result = matters_import(content=json.dumps({"matters": [item]}).encode(), filename="x.json", commit=True)
    assert any("「code」" in e for e in result.errors), result.errors
    assert not Matter.objects.exists()
