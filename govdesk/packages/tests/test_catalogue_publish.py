"""Publishing package versions: numbering, idempotence, audit, and every refusal named by its row or field."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from govdesk.audit.models import AuditEvent
from govdesk.common.errors import ValidationFailed
from govdesk.packages.catalogue import package_version_publish
from govdesk.packages.models import Package

from .helpers import CERTIFICATE, INSURANCE, birth_matters, birth_package_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def data(district: Any) -> dict[str, Any]:
    return birth_package_data(birth_matters(district.dept_a, district.dept_b), district.dept_a)


def _refused(data: dict[str, Any]) -> dict[str, list[str]]:
    with pytest.raises(ValidationFailed) as caught:
        package_version_publish(**data)
    return caught.value.fields


def test_publish_numbers_versions_and_is_idempotent(data: dict[str, Any], people: Any) -> None:
    first = package_version_publish(**copy.deepcopy(data), acting_user=people.supervisor)
    assert first.created and first.version.version == 1
    package = Package.objects.get(code="BIRTH")
    assert package.current_version == first.version
    assert package.pinyin_initials == "xsecsyjs"
    assert package.lead_unit is not None and package.lead_unit.code == "LS-ZJ"
    again = package_version_publish(**copy.deepcopy(data))
    assert not again.created and again.version == first.version
    changed = copy.deepcopy(data)
    changed["attrs"]["promised_limit_days"] = 7
    second = package_version_publish(**changed)
    assert second.created and second.version.version == 2
    package.refresh_from_db()
    assert package.current_version == second.version
    assert first.version.items.count() == 3  # the old version keeps its rules
    assert AuditEvent.objects.filter(action="package.version_publish", object_id="BIRTH").count() == 2


def test_unknown_matter_is_named_with_its_row(data: dict[str, Any]) -> None:
    data["items"][1]["matter"] = "NO-SUCH-MATTER"
    fields = _refused(data)
    assert any("Row 2" in m and "NO-SUCH-MATTER" in m for m in fields["items.2"])


def test_dependency_on_a_matter_not_in_the_package(data: dict[str, Any]) -> None:
    data["items"][1]["depends_on"] = ["141102-01-SJ-0001"]
    fields = _refused(data)
    assert fields["items.2"] == ["Row 2: depends on 141102-01-SJ-0001, which is not a matter of this package."]


def test_dependency_cycle_is_named(data: dict[str, Any]) -> None:
    data["items"][0]["depends_on"] = [INSURANCE]
    fields = _refused(data)
    (message,) = fields["items"]
    assert "cycle" in message
    assert "出生医学证明首次签发 → 城乡居民基本医疗保险参保登记 → 出生登记 → 出生医学证明首次签发" in message


def test_self_dependency(data: dict[str, Any]) -> None:
    data["items"][0]["depends_on"] = [CERTIFICATE]
    assert "Row 1: a matter cannot depend on itself." in _refused(data)["items.1"]


def test_merged_field_type_contradicting_a_matter(data: dict[str, Any]) -> None:
    for field in data["attrs"]["fields"]:
        if field["name"] == "birth_date":
            field["type"] = "text"
    fields = _refused(data)
    assert any("birth_date" in m and "date" in m and "出生" in m for m in fields["fields"])


def test_merged_choice_offering_what_a_matter_refuses(district: Any, data: dict[str, Any]) -> None:
    data["attrs"]["fields"].append(
        {"name": "way", "label": "领取", "type": "choice", "required": False, "choices": ["窗口领取", "无人机"]}
    )
    # map it on a matter field whose choices are narrower: re-publish the certificate with such a field
    from govdesk.matters.services import matter_version_publish

    from .helpers import BABY, BIRTH_DATE, MOTHER, PROMISE

    way = {"name": "delivery", "label": "领取", "type": "choice", "required": False, "choices": ["窗口领取"]}
    matter_version_publish(
        code=CERTIFICATE,
        attrs={
            "name": "出生医学证明首次签发",
            "type": "public_service",
            "unit": district.dept_a,
            "legal_limit_days": 5,
            "promised_limit_days": 3,
            "fields": [BABY, BIRTH_DATE, MOTHER, PROMISE, way],
        },
        materials=[
            {"code": "M01", "name": "父母身份证", "form": "original", "copies": 1},
            {"code": "M02", "name": "分娩记录", "form": "original", "copies": 1},
        ],
    )
    data["items"][0]["field_map"]["way"] = "delivery"
    fields = _refused(data)
    assert any("way" in m and "无人机" in m for m in fields["fields"])


def test_unmapped_matter_field_and_unknown_mapped_field(data: dict[str, Any]) -> None:
    del data["items"][1]["field_map"]["household"]
    data["items"][0]["field_map"]["baby_name"] = "nickname"
    fields = _refused(data)
    assert any("household is not mapped" in m for m in fields["items.2"])
    assert any("has no field nickname" in m for m in fields["items.1"])


def test_merged_material_standing_for_a_material_the_matter_lacks(data: dict[str, Any]) -> None:
    data["materials"][0]["sources"].append({"matter": INSURANCE, "material": "M99"})
    fields = _refused(data)
    code = data["materials"][0]["code"]
    assert any("has no material M99" in m for m in fields[f"materials.{code}"])


def test_required_matter_material_left_out_is_refused(data: dict[str, Any]) -> None:
    data["materials"] = [m for m in data["materials"] if m["name"] != "分娩记录"]
    fields = _refused(data)
    assert any("分娩记录" in m and "not collected" in m for m in fields["materials"])


def test_condition_on_unknown_field_and_too_few_items(data: dict[str, Any]) -> None:
    data["items"][2]["condition"] = {"field": "nothing", "equals": True}
    fields = _refused(data)
    assert any("nothing" in m for m in fields["items.3"])
    few = copy.deepcopy(data)
    few["items"] = few["items"][:1]
    assert "items" in _refused(few)


def test_bad_attrs_are_named(data: dict[str, Any]) -> None:
    data["attrs"].update(name="", life_event="holiday", lead_unit=None, promised_limit_days=-1)
    fields = _refused(data)
    assert {"name", "life_event", "lead_unit", "promised_limit_days"} <= set(fields)
    assert not Package.objects.exists()
