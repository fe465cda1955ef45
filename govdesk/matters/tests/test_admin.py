from __future__ import annotations

import io
import json
from typing import Any

import pytest
from openpyxl import load_workbook

from govdesk.matters.models import Matter, MatterVersion
from govdesk.org.models import Role
from govdesk.org.tests.factories import UserFactory, login_verified

from .helpers import make_matter

pytestmark = pytest.mark.django_db

ADD_URL = "/admin/matters/matterversion/add/"


@pytest.fixture
def admin_client(client: Any, district: Any) -> Any:
    login_verified(client, UserFactory(username="root", roles=[Role.SYSADMIN]))  # type: ignore[arg-type]
    return client


def form_data(version: MatterVersion, **overrides: Any) -> dict[str, Any]:
    materials = list(version.materials.order_by("order"))
    data: dict[str, Any] = {
        "matter_code": version.matter.code,
        "name": version.name,
        "type": version.type,
        "unit": version.unit_id,
        "legal_basis": version.legal_basis,
        "conditions": version.conditions,
        "legal_limit_days": version.legal_limit_days,
        "promised_limit_days": version.promised_limit_days,
        "visits": version.visits,
        "fee": version.fee,
        "fields": json.dumps(version.fields, ensure_ascii=False),
        "materials-TOTAL_FORMS": len(materials),
        "materials-INITIAL_FORMS": 0,
        "materials-MIN_NUM_FORMS": 0,
        "materials-MAX_NUM_FORMS": 1000,
    }
    for i, m in enumerate(materials):
        for key in ("order", "code", "name", "form", "copies", "source", "sample"):
            data[f"materials-{i}-{key}"] = getattr(m, key)
        if m.required:
            data[f"materials-{i}-required"] = "on"
    data.update(overrides)
    return data


def test_sysadmin_edits_a_matter_as_new_version(admin_client: Any, district: Any) -> None:
    first = make_matter(district.dept_a, code="A1")
    page = admin_client.get(f"{ADD_URL}?from={first.pk}")
    assert page.status_code == 200
    assert "授权委托书" in page.content.decode()  # the materials are copied into the inline
    response = admin_client.post(ADD_URL, form_data(first, promised_limit_days=3, **{"materials-2-name": "委托书"}))
    assert response.status_code == 302, response.content.decode()[:3000]
    current = Matter.objects.get(code="A1").current_version
    assert current is not None
    assert current.version == 2 and current.promised_limit_days == 3
    assert current.materials.get(code="M03").name == "委托书"
    first.refresh_from_db()
    assert first.promised_limit_days == 5 and first.materials.get(code="M03").name == "授权委托书"
    # saved versions are view-only
    assert admin_client.get(f"/admin/matters/matterversion/{first.pk}/change/").status_code == 200
    before = MatterVersion.objects.count()
    admin_client.post(f"/admin/matters/matterversion/{first.pk}/change/", {"name": "改名"})
    assert MatterVersion.objects.count() == before and MatterVersion.objects.get(pk=first.pk).name != "改名"


def test_admin_adds_a_new_matter(admin_client: Any, district: Any) -> None:
    template = make_matter(district.dept_a, code="A1")
    response = admin_client.post(ADD_URL, form_data(template, matter_code="NEW-1", name="新事项"))
    assert response.status_code == 302
    assert getattr(Matter.objects.get(code="NEW-1").current_version, "version", None) == 1


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"fields": "[{"}, "JSON"),
        ({"fields": '[{"name": "a", "label": "A", "type": "colour"}]'}, "colour"),
        ({"promised_limit_days": 99}, "legal"),
        ({"materials-1-code": "M01"}, "M01"),
    ],
)
def test_admin_refuses_invalid_data(admin_client: Any, district: Any, overrides: dict, message: str) -> None:
    first = make_matter(district.dept_a, code="A1")
    response = admin_client.post(ADD_URL, form_data(first, **overrides))
    assert response.status_code == 200
    assert "errorlist" in response.content.decode()
    assert MatterVersion.objects.count() == 1


def test_admin_export_download(admin_client: Any, district: Any) -> None:
    make_matter(district.dept_a, code="A1")
    assert "export/" in admin_client.get("/admin/matters/matter/").content.decode()
    response = admin_client.get("/admin/matters/matter/export/")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    assert book["事项"]["A2"].value == "A1"


def test_non_admin_cannot_export(client: Any, people: Any) -> None:
    client.force_login(people.operator)
    assert client.get("/admin/matters/matter/export/").status_code in (302, 403)
