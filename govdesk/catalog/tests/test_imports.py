"""Catalogue imports: dry run by default, validation with line numbers, and the catalog_import command."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from govdesk.catalog.management.commands.catalog_import import DEFAULT_CATEGORIES
from govdesk.catalog.models import Category, DispatchRule, TimeLimitPolicy
from govdesk.catalog.services import category_tree_import, dispatch_rules_import, time_limit_policies_import
from govdesk.common.errors import ValidationFailed

pytestmark = pytest.mark.django_db

TREE = "level1,level2,level3\n城乡建设,安全生产,事故处理\n城乡建设,安全生产,安全隐患\n环境保护,噪声,\n"


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


def test_category_dry_run_then_commit() -> None:
    result = category_tree_import(text=TREE, commit=False)
    assert (result.created, result.unchanged, result.committed) == (6, 0, False)
    assert Category.objects.count() == 0
    category_tree_import(text=TREE, commit=True)
    assert set(Category.objects.values_list("path", "level")) == {
        ("城乡建设", 1),
        ("城乡建设/安全生产", 2),
        ("城乡建设/安全生产/事故处理", 3),
        ("城乡建设/安全生产/安全隐患", 3),
        ("环境保护", 1),
        ("环境保护/噪声", 2),
    }
    leaf = Category.objects.get(path="城乡建设/安全生产/事故处理")
    assert leaf.parent is not None and leaf.parent.path == "城乡建设/安全生产"
    again = category_tree_import(text=TREE + "城乡建设,安全生产,新增\n", commit=True)
    assert (again.created, again.unchanged) == (1, 6)


def test_the_shipped_tree_is_the_real_one() -> None:
    category_tree_import(text=DEFAULT_CATEGORIES.read_text(encoding="utf-8"), commit=True)
    assert Category.objects.filter(level=1).count() == 15
    assert Category.objects.filter(children__isnull=True).count() == 517


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("name\nx\n", "lacks the columns"),
        ("level1,level2,level3\n,安全生产,事故处理\n", "Line 2: level1 is empty"),
        ("level1,level2,level3\n城乡建设,,事故处理\n", "level3 without level2"),
        ("level1,level2,level3\n城乡/建设,a,b\n", "must not contain '/'"),
    ],
)
def test_bad_category_files(text: str, fragment: str) -> None:
    with pytest.raises(ValidationFailed, match=fragment):
        category_tree_import(text=text, commit=True)
    assert Category.objects.count() == 0


def test_dispatch_rules(categories: Any, district: Any) -> None:
    text = (
        "category,unit_code,by_place\n"
        f"{categories.housing.path},{district.dept_b.code},0\n"
        f"城乡建设,{district.dept_a.code},0\n"
    )
    dry = dispatch_rules_import(text=text, commit=False)
    assert (dry.created, dry.updated, dry.unchanged) == (1, 0, 1)
    assert not DispatchRule.objects.filter(category=categories.housing).exists()
    dispatch_rules_import(text=text, commit=True)
    assert DispatchRule.objects.get(category=categories.housing).unit == district.dept_b
    with pytest.raises(ValidationFailed, match="unknown category"):
        dispatch_rules_import(text="category,unit_code\n不存在,LS-ZJ\n", commit=True)
    with pytest.raises(ValidationFailed, match="unknown unit code"):
        dispatch_rules_import(text="category,unit_code\n城乡建设,NOPE\n", commit=True)


POLICIES = (
    "name,request_type,urgency,category,sign_amount,sign_unit,finish_amount,finish_unit\n"
    "市政设施,,,城乡建设/城市建设和市政管理,1,working_hours,5,working_days\n"
)


def test_policies(categories: Any) -> None:
    assert time_limit_policies_import(text=POLICIES, commit=False).created == 1
    assert not TimeLimitPolicy.objects.filter(name="市政设施").exists()
    time_limit_policies_import(text=POLICIES, commit=True)
    policy = TimeLimitPolicy.objects.get(name="市政设施")
    assert (policy.category, policy.finish_amount, policy.request_type) == (categories.branch, Decimal(5), None)
    assert time_limit_policies_import(text=POLICIES.replace(",5,", ",6,"), commit=True).updated == 1
    assert TimeLimitPolicy.objects.get(name="市政设施").finish_amount == 6


@pytest.mark.parametrize(
    ("row", "fragment"),
    [
        ("x,gossip,,,1,working_hours,5,working_days", "unknown request type"),
        ("x,,asap,,1,working_hours,5,working_days", "urgency must be"),
        ("x,,,不存在,1,working_hours,5,working_days", "unknown category"),
        ("x,,,,abc,working_hours,5,working_days", "not a number"),
        ("x,,,,0,working_hours,5,working_days", "must be positive"),
        ("x,,,,1,fortnights,5,working_days", "unknown unit"),
    ],
)
def test_bad_policies(row: str, fragment: str, categories: Any) -> None:
    before = TimeLimitPolicy.objects.count()
    with pytest.raises(ValidationFailed, match=fragment):
        time_limit_policies_import(text=POLICIES.splitlines()[0] + "\n" + row + "\n", commit=True)
    assert TimeLimitPolicy.objects.count() == before


def test_catalog_import_command(tmp_path: Path, capsys: Any) -> None:
    path = tmp_path / "tree.csv"
    path.write_text(TREE, encoding="utf-8")
    call_command("catalog_import", "categories", str(path))
    assert "dry run" in capsys.readouterr().out and Category.objects.count() == 0
    call_command("catalog_import", "categories", str(path), "--commit")
    assert "imported: 6 new" in capsys.readouterr().out and Category.objects.count() == 6
    call_command("catalog_import", "categories", "--commit")  # the shipped tree by default
    assert Category.objects.filter(children__isnull=True, level=3).count() >= 517
    with pytest.raises(CommandError, match="give the CSV file"):
        call_command("catalog_import", "dispatch")
    with pytest.raises(CommandError, match="cannot read"):
        call_command("catalog_import", "policies", str(tmp_path / "missing.csv"))
    bad = tmp_path / "bad.csv"
    bad.write_text("level1,level2,level3\n,x,y\n", encoding="utf-8")
    with pytest.raises(CommandError, match="level1 is empty"):
        call_command("catalog_import", "categories", str(bad), "--commit")
