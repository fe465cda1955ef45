"""Package import/export: xlsx and JSON, dry run by default, every row error with sheet/row/column, all-or-nothing,
and a round trip that changes nothing."""

from __future__ import annotations

import copy
import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from govdesk.common.errors import ValidationFailed
from govdesk.packages.catalogue import package_version_publish
from govdesk.packages.models import Package, PackageVersion
from govdesk.packages.transfer import packages_export, packages_export_json, packages_import

from .helpers import CERTIFICATE, INSURANCE, REGISTRATION, birth_matters, birth_package_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def data(district: Any) -> dict[str, Any]:
    return birth_package_data(birth_matters(district.dept_a, district.dept_b), district.dept_a)


@pytest.fixture
def published(data: dict[str, Any]) -> dict[str, Any]:
    package_version_publish(**copy.deepcopy(data))
    return data


def _workbook_bytes(workbook: Any) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _exported() -> Any:
    return load_workbook(io.BytesIO(packages_export()))


def test_xlsx_round_trip_changes_nothing(published: dict[str, Any]) -> None:
    workbook = _exported()
    assert workbook.sheetnames == ["一件事", "事项", "材料"]
    assert workbook["一件事"]["C2"].value == "出生"
    assert workbook["事项"]["D3"].value == CERTIFICATE  # 出生登记 waits for the certificate
    result = packages_import(content=_workbook_bytes(workbook), filename="p.xlsx", commit=True)
    assert result.errors == [] and (result.created, result.changed, result.unchanged) == (0, 0, 1)
    assert PackageVersion.objects.count() == 1


def test_json_round_trip_changes_nothing(published: dict[str, Any]) -> None:
    content = packages_export_json()
    assert json.loads(content)["packages"][0]["code"] == "BIRTH"
    result = packages_import(content=content, filename="p.json", commit=True)
    assert result.errors == [] and result.unchanged == 1


def test_edited_workbook_makes_a_new_version_only_with_commit(published: dict[str, Any]) -> None:
    workbook = _exported()
    workbook["一件事"]["F2"] = 4
    content = _workbook_bytes(workbook)
    dry = packages_import(content=content, filename="p.xlsx")
    assert dry.errors == [] and dry.changed == 1 and not dry.committed
    assert PackageVersion.objects.count() == 1  # the dry run wrote nothing
    done = packages_import(content=content, filename="p.xlsx", commit=True)
    assert done.changed == 1 and done.items[0].previous == 1 and done.items[0].version == 2
    package = Package.objects.get(code="BIRTH")
    assert package.current_version is not None and package.current_version.promised_limit_days == 4


def test_new_package_from_a_workbook_dry_run_then_commit(published: dict[str, Any]) -> None:
    workbook = _exported()
    for sheet in ("一件事", "事项", "材料"):
        for row in list(workbook[sheet].iter_rows(min_row=2)):
            values = [cell.value for cell in row]
            values[0] = "BIRTH2"
            if sheet == "一件事":
                values[1] = "新生儿出生一件事（试点）"
            workbook[sheet].append(values)
    content = _workbook_bytes(workbook)
    dry = packages_import(content=content, filename="p.xlsx")
    assert (dry.created, dry.unchanged) == (1, 1) and not Package.objects.filter(code="BIRTH2").exists()
    packages_import(content=content, filename="p.xlsx", commit=True)
    assert Package.objects.get(code="BIRTH2").name == "新生儿出生一件事（试点）"


def test_unknown_matter_is_named_with_sheet_row_and_column(published: dict[str, Any]) -> None:
    workbook = _exported()
    workbook["事项"]["B3"] = "NO-SUCH-MATTER"
    result = packages_import(content=_workbook_bytes(workbook), filename="p.xlsx", commit=True)
    assert any("事项" in e and "row 3" in e and "事项编码" in e and "NO-SUCH-MATTER" in e for e in result.errors)
    assert PackageVersion.objects.count() == 1


def test_cycle_refused_and_nothing_written_although_another_package_is_fine(published: dict[str, Any]) -> None:
    workbook = _exported()
    # A second, fine package in the same file...
    for sheet in ("一件事", "事项", "材料"):
        for row in list(workbook[sheet].iter_rows(min_row=2)):
            values = [cell.value for cell in row]
            values[0] = "GOOD"
            workbook[sheet].append(values)
    # ...and the first one's certificate waiting for the insurance, which waits (through 出生登记) for it.
    workbook["事项"]["D2"] = INSURANCE
    result = packages_import(content=_workbook_bytes(workbook), filename="p.xlsx", commit=True)
    assert len([e for e in result.errors if "cycle" in e]) == 1
    assert "出生医学证明首次签发 → 城乡居民基本医疗保险参保登记 → 出生登记 → 出生医学证明首次签发" in result.errors[0]
    assert not Package.objects.filter(code="GOOD").exists()


def test_cell_errors_each_named(published: dict[str, Any]) -> None:
    workbook = _exported()
    workbook["一件事"]["C2"] = "假日"
    workbook["一件事"]["D2"] = "LS-NOPE"
    workbook["一件事"]["F2"] = "soon"
    workbook["事项"]["F2"] = "{not json"
    workbook["材料"]["A2"] = "ELSEWHERE"
    workbook["材料"]["E3"] = "no colon here"
    result = packages_import(content=_workbook_bytes(workbook), filename="p.xlsx", commit=True)
    joined = "\n".join(result.errors)
    for needle in ("主题", "牵头单位编码", "承诺总时限", "字段对应", "ELSEWHERE", "对应事项材料"):
        assert needle in joined, needle
    assert all("row" in e for e in result.errors)


def test_material_of_a_matter_that_lacks_it(published: dict[str, Any]) -> None:
    workbook = _exported()
    workbook["材料"]["E2"] = f"{REGISTRATION}:M99"
    result = packages_import(content=_workbook_bytes(workbook), filename="p.xlsx")
    assert any("材料" in e and "row 2" in e and "M99" in e for e in result.errors)


def test_missing_sheet_and_broken_files(published: dict[str, Any]) -> None:
    workbook = _exported()
    del workbook["材料"]
    result = packages_import(content=_workbook_bytes(workbook), filename="p.xlsx")
    assert any("材料" in e for e in result.errors)
    with pytest.raises(ValidationFailed):
        packages_import(content=b"not a zip", filename="p.xlsx")
    with pytest.raises(ValidationFailed):
        packages_import(content=b'{"matters": []}', filename="p.json")


def test_commands_dry_run_commit_and_export(published: dict[str, Any], tmp_path: Path, capsys: Any) -> None:
    target = tmp_path / "packages.xlsx"
    call_command("packages_export", str(target))
    workbook = load_workbook(target)
    workbook["一件事"]["F2"] = 6
    workbook.save(target)
    call_command("packages_import", str(target))
    assert "dry run" in capsys.readouterr().out
    assert PackageVersion.objects.count() == 1
    call_command("packages_import", str(target), "--commit")
    assert "1 changed" in capsys.readouterr().out
    assert PackageVersion.objects.count() == 2
    workbook["事项"]["B2"] = "NOPE"
    workbook.save(target)
    with pytest.raises(CommandError):
        call_command("packages_import", str(target), "--commit")
    as_json = tmp_path / "packages.json"
    call_command("packages_export", str(as_json))
    assert json.loads(as_json.read_text())["packages"][0]["promised_limit_days"] == 6
