"""The merged form's checks the package applications rely on: package_form_validate and package_items_needed."""

from __future__ import annotations

from typing import Any

import pytest

from govdesk.common.errors import ValidationFailed
from govdesk.packages.catalogue import package_form_validate, package_items_needed, package_materials_needed

from .helpers import CERTIFICATE, INSURANCE, REGISTRATION, make_birth_package

pytestmark = pytest.mark.django_db

GOOD: dict[str, Any] = {
    "baby_name": "李小明",
    "birth_date": "2026-11-02",
    "mother_id_number": "11010519491231002X",
    "promise": True,
    "household": "离石区滨河北路1号",
}


def test_merged_form_asks_each_shared_field_once(district: Any) -> None:
    version = make_birth_package(district.dept_a, district.dept_b)
    names = [field["name"] for field in version.fields]
    assert len(names) == len(set(names))
    assert names.count("baby_name") == 1
    # the insurance matter's required phone is only required when that matter is asked for
    phone = next(field for field in version.fields if field["name"] == "payer_phone")
    assert phone["required"] is False
    assert phone["required_if"] == {"field": "want_insurance", "equals": True}


def test_valid_answers_give_each_needed_matter_its_own_form(district: Any) -> None:
    version = make_birth_package(district.dept_a, district.dept_b)
    forms = package_form_validate(version=version, data=GOOD)
    assert set(forms) == {CERTIFICATE, REGISTRATION}
    assert forms[CERTIFICATE] == {
        "baby_name": "李小明",
        "birth_date": "2026-11-02",
        "mother_id_number": "11010519491231002X",
        "promise": True,
    }
    assert forms[REGISTRATION]["household"] == "离石区滨河北路1号"


def test_condition_adds_a_matter_and_its_required_field(district: Any) -> None:
    version = make_birth_package(district.dept_a, district.dept_b)
    with pytest.raises(ValidationFailed) as caught:
        package_form_validate(version=version, data={**GOOD, "want_insurance": True})
    assert caught.value.fields == {"payer_phone": ["This field is required."]}
    forms = package_form_validate(version=version, data={**GOOD, "want_insurance": True, "payer_phone": "13800138000"})
    assert set(forms) == {CERTIFICATE, REGISTRATION, INSURANCE}
    assert forms[INSURANCE] == {"baby_name": "李小明", "payer_phone": "13800138000"}


def test_answer_fitting_one_matter_but_not_another_names_the_field_and_matter(district: Any) -> None:
    # 出生登记 takes at most 3 characters for the name, the certificate 20: a 4-character name fits only one
    version = make_birth_package(district.dept_a, district.dept_b, registration_baby_max=3)
    version.fields = [{**f, "max_length": 20} if f["name"] == "baby_name" else f for f in version.fields]
    with pytest.raises(ValidationFailed) as caught:
        package_form_validate(version=version, data={**GOOD, "baby_name": "欧阳小明"})
    assert list(caught.value.fields) == ["baby_name"]
    (message,) = caught.value.fields["baby_name"]
    assert message.startswith("出生登记: ")
    assert "At most 3 characters" in message


def test_unknown_key_wrong_type_and_missing_declaration(district: Any) -> None:
    version = make_birth_package(district.dept_a, district.dept_b)
    with pytest.raises(ValidationFailed) as caught:
        package_form_validate(version=version, data={**GOOD, "promise": False, "birth_date": "yesterday", "hobby": "x"})
    assert set(caught.value.fields) == {"promise", "birth_date", "hobby"}
    assert caught.value.fields["promise"] == ["Please confirm this."]
    with pytest.raises(ValidationFailed):
        package_form_validate(version=version, data=["not", "an", "object"])


def test_required_if_is_only_required_when_its_condition_holds(district: Any) -> None:
    version = make_birth_package(district.dept_a, district.dept_b)
    # want_insurance false: the phone may be left out, the insurance matter is not needed
    forms = package_form_validate(version=version, data={**GOOD, "want_insurance": False})
    assert INSURANCE not in forms


def test_items_needed_follow_conditions_and_pull_in_dependencies(district: Any) -> None:
    version = make_birth_package(district.dept_a, district.dept_b)
    assert [i.matter.code for i in package_items_needed(version, {})] == [CERTIFICATE, REGISTRATION]
    everything = package_items_needed(version, {"want_insurance": True})
    assert [i.matter.code for i in everything] == [CERTIFICATE, REGISTRATION, INSURANCE]
    # a needed matter's dependency is needed even when its own condition does not hold
    version.items.filter(matter__code=CERTIFICATE).update(condition={"field": "want_insurance", "equals": True})
    assert [i.matter.code for i in package_items_needed(version, {})] == [CERTIFICATE, REGISTRATION]


def test_materials_needed_are_merged_once_with_their_matters(district: Any) -> None:
    version = make_birth_package(district.dept_a, district.dept_b)
    needed = package_materials_needed(version, {})
    by_name = {entry["material"].name: entry for entry in needed}
    assert by_name["父母身份证"]["matters"] == [CERTIFICATE, REGISTRATION]
    assert "委托书" not in by_name  # only the insurance matter (not needed) has it
    assert by_name["居民户口簿"]["matters"] == [REGISTRATION]
    with_insurance = {e["material"].name: e for e in package_materials_needed(version, {"want_insurance": True})}
    assert with_insurance["居民户口簿"]["matters"] == [REGISTRATION, INSURANCE]
    assert with_insurance["委托书"]["required"] is False


def test_merged_form_keeps_what_every_matter_accepts_and_separates_different_questions(district: Any) -> None:
    from types import SimpleNamespace

    from govdesk.packages.catalogue import package_merged_form

    def version(code: str, fields: list[dict[str, Any]]) -> Any:
        return SimpleNamespace(matter=SimpleNamespace(code=code), fields=fields, materials=SimpleNamespace(all=list))

    way_a = {"name": "delivery", "label": "领取", "type": "choice", "required": True, "choices": ["窗口", "邮寄"]}
    way_b = {**way_a, "choices": ["邮寄", "电子"]}
    reason_text = {"name": "reason", "label": "事由", "type": "textarea", "required": False, "choices": []}
    reason_choice = {"name": "reason", "label": "原因", "type": "choice", "required": True, "choices": ["遗失"]}
    name_a = {"name": "name", "label": "姓名", "type": "text", "required": True, "choices": [], "max_length": 30}
    name_b = {**name_a, "max_length": 10}
    merged = package_merged_form(
        [version("A", [way_a, reason_text, name_a]), version("B", [way_b, reason_choice, name_b])]
    )
    fields = {field["name"]: field for field in merged["fields"]}
    assert fields["delivery"]["choices"] == ["邮寄"]  # the only answer both accept
    assert fields["name"]["max_length"] == 10  # the strictest length
    assert fields["reason"]["type"] == "textarea" and fields["reason_2"]["type"] == "choice"
    assert merged["field_maps"]["B"] == {"delivery": "delivery", "reason_2": "reason", "name": "name"}
    assert fields["reason_2"]["required"] is True and fields["reason"]["required"] is False
