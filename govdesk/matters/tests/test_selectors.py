from __future__ import annotations

from typing import Any

import pytest

from govdesk.common.errors import NotFound
from govdesk.matters.models import Matter
from govdesk.matters.selectors import matter_get, matter_search, matters_for_unit

from .helpers import make_matter

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue(district: Any) -> None:
    make_matter(district.dept_a, code="A1", name="个体工商户营业执照变更登记")
    make_matter(district.dept_a, code="A2", name="营业执照遗失补领")
    make_matter(district.dept_b, code="B1", name="失业保险金申领")
    make_matter(district.dept_b, code="B2", name="营业执照注销")
    Matter.objects.filter(code="B2").update(is_active=False)


def codes(matters: list[Matter]) -> list[str]:
    return [m.code for m in matters]


def test_search_by_name_substring_prefix_first(catalogue: None) -> None:
    assert codes(matter_search("营业执照")) == ["A2", "A1"]


def test_search_by_pinyin_initials(catalogue: None) -> None:
    assert codes(matter_search("yyzz")) == ["A2", "A1"]
    assert codes(matter_search("SYBX")) == ["B1"]


def test_search_excludes_inactive_and_handles_empty(catalogue: None) -> None:
    assert "B2" not in codes(matter_search("注销"))
    assert matter_search("  ") == []
    assert matter_search("不存在的事项") == []


def test_search_limit(catalogue: None) -> None:
    assert len(matter_search("yyzz", limit=1)) == 1


def test_matters_for_unit(catalogue: None, district: Any) -> None:
    assert codes(list(matters_for_unit(district.dept_a))) == ["A1", "A2"]
    assert codes(list(matters_for_unit(district.dept_b))) == ["B1"]


def test_matter_get_returns_current_version(catalogue: None, district: Any) -> None:
    make_matter(district.dept_a, code="A2", name="营业执照遗失补领（新）")
    version = matter_get("A2")
    assert (version.version, version.name, version.matter.code) == (2, "营业执照遗失补领（新）", "A2")


@pytest.mark.parametrize("code", ["NOPE", "B2"])
def test_matter_get_unknown_or_inactive(catalogue: None, code: str) -> None:
    with pytest.raises(NotFound):
        matter_get(code)
