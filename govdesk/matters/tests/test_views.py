from __future__ import annotations

from typing import Any

import pytest

from govdesk.matters.models import Matter

from .helpers import make_matter

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue(district: Any) -> None:
    make_matter(district.dept_a, code="A1", name="营业执照遗失补领")
    make_matter(district.dept_b, code="B1", name="失业保险金申领", instant=True, promised_limit_days=0)
    make_matter(district.dept_b, code="B2", name="停用事项")
    Matter.objects.filter(code="B2").update(is_active=False)


def test_guide_list_without_login(client: Any, catalogue: None) -> None:
    response = client.get("/matters/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "营业执照遗失补领" in page and "失业保险金申领" in page and "停用事项" not in page
    assert "matters/guide.css" in page and "//cdn" not in page


def test_guide_list_search(client: Any, catalogue: None) -> None:
    page = client.get("/matters/", {"q": "yyzz"}).content.decode()
    assert "营业执照遗失补领" in page and "失业保险金申领" not in page
    assert client.get("/matters/", {"page": "999", "q": "<script>"}).status_code == 200


def test_guide_detail_without_login(client: Any, catalogue: None) -> None:
    response = client.get("/matters/A1/")
    assert response.status_code == 200
    page = response.content.decode()
    for text in (
        "营业执照遗失补领",
        "《中华人民共和国食品安全法》第三十五条",
        "申请书",
        "营业执照",
        "授权委托书",
        "A1",
        "区住建局",
    ):
        assert text in page
    assert "data-print" in page


@pytest.mark.parametrize("code", ["NOPE", "B2"])
def test_guide_detail_unknown_or_inactive_is_404(client: Any, catalogue: None, code: str) -> None:
    assert client.get(f"/matters/{code}/").status_code == 404


def test_print_css_is_local(client: Any) -> None:
    from pathlib import Path

    from django.contrib.staticfiles import finders

    css = finders.find("matters/guide.css")
    assert css and "@media print" in Path(str(css)).read_text(encoding="utf-8")


@pytest.mark.parametrize("params", [{"q": "\x00"}, {"unit": "\x00"}, {"q": "营业\x00执照"}, {"page": "-1"}])
def test_odd_guide_queries_never_fail(client: Any, catalogue: None, params: dict) -> None:
    assert client.get("/matters/", params).status_code == 200


def test_matter_get_with_nul_is_not_found(client: Any, catalogue: None) -> None:
    assert client.get("/matters/A1%00/").status_code == 404
