"""The shipped demo packages: they import cleanly, number at least 100, ask every shared field once (checked per
package), and the 13 items of the national first batch are there with their constituents."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.core.management import call_command
from openpyxl import load_workbook

from govdesk.demo.seed import demo_district_ensure
from govdesk.matters.models import Matter
from govdesk.packages.catalogue import _fits, package_version_snapshot
from govdesk.packages.management.commands.packages_import import DEMO_PACKAGES
from govdesk.packages.models import Package, PackageVersion
from govdesk.packages.transfer import packages_export, packages_import

pytestmark = pytest.mark.django_db

NATIONAL = {
    "新生儿出生一件事": {
        "出生医学证明首次签发",
        "预防接种证办理",
        "出生登记",
        "社会保障卡申领",
        "城乡居民基本医疗保险参保登记",
    },
    "开办餐饮店一件事": {"个体工商户设立登记", "食品经营许可（新办）"},
    "员工录用一件事": {"就业登记", "职工参保登记"},
    "退休一件事": {"企业职工基本养老保险退休待遇核准", "住房公积金提取（离休、退休）"},
    "残疾人服务一件事": {"残疾人证核发", "困难残疾人生活补贴和重度残疾人护理补贴"},
    "企业信息变更一件事": {"有限责任公司变更登记", "纳税人登记信息变更"},
    "开办运输企业一件事": {"有限责任公司设立登记", "道路货物运输经营许可（除使用危险货物）", "道路运输证配发"},
    "申领居住证一件事": {"居住证申领"},
    "二手房转移登记及水电气网联动过户一件事": {
        "不动产转移登记",
        "供水过户",
        "供电过户",
        "燃气过户",
        "有线电视和宽带过户",
    },
    "企业破产信息核查一件事": {"破产企业涉税信息核查", "破产企业名下不动产登记信息查询"},
    "企业上市合规信息核查一件事": {"市场监管领域企业合规信息查询", "税务领域企业合规信息查询"},
    "社会保障卡居民服务一卡通一件事": {"社会保障卡申领", "社会保障卡公共交通乘车功能开通"},
    "身后一件事": {"死亡人员户口注销", "参保人员丧葬补助金和抚恤金申领", "惠民殡葬补贴申领"},
}


def _load(capsys: Any) -> None:
    demo_district_ensure()
    call_command("matters_import", "--commit")
    call_command("packages_import", "--commit")
    capsys.readouterr()


def test_demo_packages_import_cleanly_and_idempotently(capsys: Any) -> None:
    _load(capsys)
    assert Package.objects.count() >= 100
    assert Package.objects.count() == len(json.loads(DEMO_PACKAGES.read_text())["packages"])
    again = packages_import(content=DEMO_PACKAGES.read_bytes(), filename=DEMO_PACKAGES.name, commit=True)
    assert again.errors == []
    assert again.created == again.changed == 0 and again.unchanged == Package.objects.count()
    assert PackageVersion.objects.count() == Package.objects.count()


def test_all_demo_packages_import_from_xlsx_with_a_dry_run_first(capsys: Any) -> None:
    """The administrator's path for 100+ packages: a workbook (here the export of the shipped ones) checked by a dry
    run that writes nothing, then committed, giving the same packages."""
    _load(capsys)
    snapshots = {
        package.code: package_version_snapshot(package.current_version)
        for package in Package.objects.select_related("current_version")
        if package.current_version is not None
    }
    assert len(snapshots) >= 100
    workbook = packages_export()
    assert load_workbook(io.BytesIO(workbook)).sheetnames  # a real xlsx
    PackageVersion.objects.all().delete()
    Package.objects.all().delete()

    dry = packages_import(content=workbook, filename="packages.xlsx", commit=False)
    assert dry.errors == [] and not dry.committed
    assert dry.packages == dry.created == len(snapshots)
    assert not Package.objects.exists() and not PackageVersion.objects.exists()

    done = packages_import(content=workbook, filename="packages.xlsx", commit=True)
    assert done.errors == [] and done.committed and done.created == len(snapshots)
    for package in Package.objects.select_related("current_version"):
        assert package.current_version is not None
        assert package_version_snapshot(package.current_version) == snapshots[package.code], package.code


def test_every_package_has_2_to_8_matters_and_asks_each_shared_field_once(capsys: Any) -> None:
    _load(capsys)
    versions = PackageVersion.objects.prefetch_related("items__matter__current_version")
    life_events = set()
    for version in versions:
        items = list(version.items.all())
        assert 2 <= len(items) <= 8, version.name
        life_events.add(version.life_event)
        package_fields = {field["name"]: field for field in version.fields}
        assert len(package_fields) == len(version.fields), version.name
        # Per matter field name: the matters' fields that one package field can stand for map to the same one.
        by_name: dict[str, list[tuple[dict[str, Any], str]]] = {}
        for item in items:
            back = {matter_field: package_field for package_field, matter_field in item.field_map.items()}
            assert item.matter.current_version is not None
            for field in item.matter.current_version.fields:
                assert field["name"] in back, (version.name, item.matter.name, field["name"])
                by_name.setdefault(field["name"], []).append((field, back[field["name"]]))
        for name, uses in by_name.items():
            for field, package_field in uses:
                for other, other_package_field in uses:
                    if _fits(field, other) and _fits(other, field):
                        assert package_field == other_package_field, (version.name, name)
        shared = [name for name, uses in by_name.items() if len(uses) > 1]
        assert all(sum(1 for f in version.fields if f["name"] == name) <= 1 for name in shared)
    assert len(life_events) >= 12


def test_national_first_batch_is_present_with_its_constituents(capsys: Any) -> None:
    _load(capsys)
    for name, constituents in NATIONAL.items():
        package = Package.objects.get(name=name)
        assert package.current_version is not None
        matters = {item.matter.name for item in package.current_version.items.all()}
        assert constituents <= matters, name
    birth = Package.objects.get(name="新生儿出生一件事").current_version
    assert birth is not None
    items = {item.matter.name: item for item in birth.items.select_related("matter__unit")}
    certificate = items["出生医学证明首次签发"].matter.code
    for dependent in ("出生登记", "预防接种证办理"):
        assert certificate in items[dependent].depends_on
    units = {item.matter.unit.code for item in items.values() if item.matter.unit is not None}
    assert {"LS-WJ", "LS-GA", "LS-RS", "LS-YB"} <= units
    assert Matter.objects.filter(name="预防接种证办理", unit__code="LS-WJ").exists()


def test_seed_loads_the_packages_once() -> None:
    from govdesk.demo import seed

    seed.demo_district_ensure()
    seed.demo_catalogue_ensure()
    assert seed.demo_packages_ensure() >= 100
    assert seed.demo_packages_ensure() == 0
