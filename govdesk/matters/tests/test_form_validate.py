from __future__ import annotations

from typing import Any

import pytest

from govdesk.common.errors import ValidationFailed
from govdesk.matters.models import MatterVersion
from govdesk.matters.services import matter_form_validate

from .helpers import SAMPLE_FIELDS

# A real-format resident ID with a correct check digit (GB 11643), and the same with a wrong one.
GOOD_ID = "11010519491231002X"
BAD_ID = "110105194912310021"
MINIMAL = {"company_name": "离石小吃", "area": "35.5", "delivery": "窗口领取", "promise": True}


def version() -> MatterVersion:
    return MatterVersion(fields=SAMPLE_FIELDS)  # unsaved: validation only reads the definitions


def errors_for(data: dict[str, Any]) -> dict[str, list[str]]:
    with pytest.raises(ValidationFailed) as exc:
        matter_form_validate(version=version(), data=data)
    return exc.value.fields


def test_valid_form_is_cleaned() -> None:
    data = {
        **MINIMAL,
        "company_name": "  离石小吃\u200b ",
        "scope": "热食类食品制售\n冷食类",
        "start": "2026-12-01",
        "agree_sms": "否",
        "phone": "138 0000 1234",
        "legal_person_id": GOOD_ID.lower(),
        "uscc": "91141102MA0K1234X5",
    }
    cleaned = matter_form_validate(version=version(), data=data)
    assert cleaned == {
        "company_name": "离石小吃",
        "scope": "热食类食品制售\n冷食类",
        "area": 35.5,
        "start": "2026-12-01",
        "delivery": "窗口领取",
        "promise": True,
        "agree_sms": False,
        "phone": "13800001234",
        "legal_person_id": GOOD_ID,
        "uscc": "91141102MA0K1234X5",
    }


def test_optional_fields_left_empty_are_left_out() -> None:
    cleaned = matter_form_validate(version=version(), data={**MINIMAL, "scope": "", "phone": None})
    assert set(cleaned) == {"company_name", "area", "delivery", "promise"}
    assert cleaned["area"] == 35.5


def test_integer_number_stays_integer() -> None:
    assert matter_form_validate(version=version(), data={**MINIMAL, "area": 40})["area"] == 40


def test_required_fields_missing_or_invisible() -> None:
    errors = errors_for({"company_name": "\u200b \u3164", "promise": True})
    assert set(errors) == {"company_name", "area", "delivery"}


def test_required_bool_must_be_confirmed() -> None:
    assert "promise" in errors_for({**MINIMAL, "promise": False})
    assert "promise" in errors_for({**MINIMAL, "promise": "否"})


def test_unknown_keys_are_refused() -> None:
    assert "colour" in errors_for({**MINIMAL, "colour": "red"})


def test_non_object_form_is_refused() -> None:
    with pytest.raises(ValidationFailed):
        matter_form_validate(version=version(), data=["x"])  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("company_name", "一二三四五六七八九十十一"),  # max_length 10
        ("company_name", 123),
        ("company_name", "离石\x07小吃"),
        ("scope", "x" * 2001),  # default textarea limit
        ("scope", "a\x00b"),
        ("area", "thirty"),
        ("area", True),
        ("area", "NaN"),
        ("area", "1e20"),
        ("area", ["1"]),
        ("start", "2026-13-01"),
        ("start", "01/12/2026"),
        ("start", "1999-12-31"),  # outside the supported range
        ("delivery", "快递到家"),
        ("agree_sms", "maybe"),
        ("phone", "12345"),
        ("phone", 13800001234),
        ("legal_person_id", BAD_ID),
        ("legal_person_id", "12345"),
        ("uscc", "91141102ma0k1234x5"),  # pattern: uppercase only
    ],
)
def test_each_type_and_rule_refuses_bad_values(field: str, value: Any) -> None:
    errors = errors_for({**MINIMAL, field: value})
    assert list(errors) == [field]
    assert all(isinstance(m, str) and m for m in errors[field])


def test_messages_are_chinese_in_the_default_language() -> None:
    from django.utils import translation

    with translation.override("zh-hans"):
        errors = errors_for({**MINIMAL, "company_name": "", "phone": "12345"})
    for messages in errors.values():
        assert any("\u4e00" <= ch <= "\u9fff" for ch in messages[0]), messages
