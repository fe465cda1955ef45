from __future__ import annotations

from typing import Any

import pytest

from govdesk.audit.models import AuditEvent
from govdesk.common.errors import ValidationFailed
from govdesk.matters.models import Matter, MatterVersion
from govdesk.matters.services import matter_fields_check, matter_version_publish, pinyin_initials

from .helpers import SAMPLE_MATERIALS, make_matter, matter_attrs

pytestmark = pytest.mark.django_db


def test_first_publish_creates_matter_and_version_one(district: Any) -> None:
    version = make_matter(district.dept_a)
    matter = Matter.objects.get(code="141102-01-SJ-0001")
    assert version.version == 1 and version.is_published
    assert matter.current_version == version
    assert (matter.name, matter.unit, matter.pinyin_initials) == ("食品经营许可（新办）", district.dept_a, "spjyxkxb")
    assert [m.code for m in version.materials.order_by("order")] == ["M01", "M02", "M03"]
    assert AuditEvent.objects.filter(action="matter.version_publish", object_id=matter.code).count() == 1


def test_unchanged_data_makes_no_new_version(district: Any) -> None:
    first = make_matter(district.dept_a)
    again = make_matter(district.dept_a)
    assert again.pk == first.pk
    assert MatterVersion.objects.count() == 1
    assert AuditEvent.objects.filter(action="matter.version_publish").count() == 1


def test_edit_creates_new_version_and_old_one_stays(district: Any) -> None:
    first = make_matter(district.dept_a)
    second = make_matter(district.dept_b, name="食品经营许可", promised_limit_days=3, materials=SAMPLE_MATERIALS[:1])
    matter = Matter.objects.get()
    assert second.version == 2
    assert matter.current_version == second and matter.unit == district.dept_b and matter.name == "食品经营许可"
    first.refresh_from_db()
    assert first.promised_limit_days == 5 and first.unit == district.dept_a
    assert first.materials.count() == 3 and second.materials.count() == 1


def test_changing_only_a_material_makes_new_version(district: Any) -> None:
    make_matter(district.dept_a)
    changed = [dict(m) for m in SAMPLE_MATERIALS]
    changed[2]["required"] = True
    assert make_matter(district.dept_a, materials=changed).version == 2


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"promised_limit_days": 30}, "promised_limit_days"),
        ({"instant": True, "promised_limit_days": 2}, "promised_limit_days"),
        ({"type": "punishment"}, "type"),
        ({"unit": None}, "unit"),
        ({"name": ""}, "name"),
        ({"legal_limit_days": -1}, "legal_limit_days"),
        ({"fields": [{"name": "x", "label": "X", "type": "colour"}]}, "fields"),
    ],
)
def test_invalid_version_data_is_refused_and_nothing_written(district: Any, overrides: dict, field: str) -> None:
    attrs = {**matter_attrs(district.dept_a), **overrides}
    with pytest.raises(ValidationFailed) as exc:
        matter_version_publish(code="X1", attrs=attrs, materials=SAMPLE_MATERIALS)
    assert field in exc.value.fields
    assert not Matter.objects.exists()


def test_duplicate_material_code_is_refused(district: Any) -> None:
    materials = [SAMPLE_MATERIALS[0], {**SAMPLE_MATERIALS[1], "code": "M01"}]
    with pytest.raises(ValidationFailed) as exc:
        matter_version_publish(code="X1", attrs=matter_attrs(district.dept_a), materials=materials)
    assert "materials.M01" in exc.value.fields
    assert not MatterVersion.objects.exists()


@pytest.mark.parametrize(
    ("definition", "message_part"),
    [
        ("not a list", None),
        ([{"name": "Bad Name", "label": "x", "type": "text"}], "lowercase"),
        ([{"name": "a", "label": "", "type": "text"}], "label"),
        ([{"name": "a", "label": "A", "type": "text"}, {"name": "a", "label": "B", "type": "text"}], "twice"),
        ([{"name": "a", "label": "A", "type": "choice", "choices": []}], "choice"),
        ([{"name": "a", "label": "A", "type": "text", "choices": ["x"]}], "choices"),
        ([{"name": "a", "label": "A", "type": "text", "max_length": 0}], "maximum length"),
        ([{"name": "a", "label": "A", "type": "number", "max_length": 5}], "maximum length"),
        ([{"name": "a", "label": "A", "type": "text", "pattern": "("}], "regular expression"),
        ([{"name": "a", "label": "A", "type": "text", "colour": "red"}], "unknown keys"),
        ([{"name": "a", "label": "A", "type": "text", "required": "yes"}], "true or false"),
    ],
)
def test_field_definitions_are_checked(definition: Any, message_part: str | None) -> None:
    with pytest.raises(ValidationFailed) as exc:
        matter_fields_check(definition)
    if message_part:
        assert any(message_part in str(m) for m in exc.value.fields["fields"]), exc.value.fields


def test_pinyin_initials() -> None:
    assert pinyin_initials("营业执照设立登记") == "yyzzsldj"
    assert pinyin_initials("食品经营许可（A类）2") == "spjyxkal2"


def test_switching_a_matter_off_and_on_makes_no_new_version(district: Any) -> None:
    version = make_matter(district.dept_a)
    attrs = matter_attrs(district.dept_a)
    off = matter_version_publish(code=version.matter.code, attrs=attrs, materials=SAMPLE_MATERIALS, is_active=False)
    assert (off.created, off.activity_changed, off.version.pk) == (False, True, version.pk)
    assert not Matter.objects.get().is_active and MatterVersion.objects.count() == 1
    assert AuditEvent.objects.filter(action="matter.deactivate").count() == 1
    on = matter_version_publish(code=version.matter.code, attrs=attrs, materials=SAMPLE_MATERIALS)
    assert on.activity_changed and Matter.objects.get().is_active
