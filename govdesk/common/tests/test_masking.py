from __future__ import annotations

import pytest

from govdesk.common.masking import mask_id_number, mask_name, mask_personal_data_in_text, mask_phone


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("13812345678", "138****5678"),
        (" 13812345678 ", "138****5678"),
        ("03588221234", "035****1234"),  # 11 digits: masked like a mobile
        ("0358-8221234", "********1234"),  # landlines keep their last 4 digits
        ("1234", "****"),
        ("", ""),
    ],
)
def test_mask_phone(phone: str, masked: str) -> None:
    assert mask_phone(phone) == masked


@pytest.mark.parametrize(
    ("number", "masked"),
    [
        ("11010519491231002X", "110105********002X"),
        ("440304199001010018", "440304********0018"),
        ("1234567890", "**********"),
        ("", ""),
    ],
)
def test_mask_id_number(number: str, masked: str) -> None:
    result = mask_id_number(number)
    assert result == masked
    assert len(result) == len(number)
    if len(number) == 18:
        assert number[6:14] not in result  # the birth date is hidden


@pytest.mark.parametrize(
    ("name", "masked"), [("张三丰", "张**"), ("李四", "李*"), ("王", "王"), ("欧阳娜娜", "欧***"), ("", "")]
)
def test_mask_name(name: str, masked: str) -> None:
    assert mask_name(name) == masked


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("电话13800138000。", "电话138****8000。"),
        ("+8613800138000", "+86138****8000"),
        ("0086-138-0013-8000", "0086-138-****-8000"),
        ("1 3 8 0 0 1 3 8 0 0 0", "1 3 8 * * * * 8 0 0 0"),
        ("11010519491231002x", "110105********002x"),
        ("身份证110105 1949 1231 002X", "身份证110105 **** **** 002X"),
        ("座机（0358）8221234转801", "座机（****）***1234转801"),
        ("工单 20261105000123 13800138000", "工单 20261105000123 138****8000"),
        ("邮箱 ouyang.xm@example.com", "邮箱 ***@***"),
        ("我是欧阳娜娜", "我是欧***"),
    ],
)
def test_mask_personal_data_in_text(text: str, masked: str) -> None:
    assert mask_personal_data_in_text(text, names=("欧阳娜娜",)) == masked


@pytest.mark.parametrize(
    "text",
    [
        "工单20261105000123",
        "工单号 20261105000123 1234",  # an order number and a count: 18 digits, but no birth date inside
        "2026-11-05 13:30:00",
        "2026/11/05、2026.11.05",
        "13,800元，折合 1380013.80 元",
        "滨河北路138号3单元501室",
        "第1 3 8期",
        "编号 12345678901",
    ],
)
def test_mask_personal_data_in_text_leaves_other_numbers_alone(text: str) -> None:
    assert mask_personal_data_in_text(text) == text


def test_mask_personal_data_in_text_handles_long_runs_of_digit_groups() -> None:
    """Each start looks at most 18 digits ahead: a long run costs linear time, and every number in it is found."""
    assert mask_personal_data_in_text("1 " * 50_000) == "1 " * 50_000
    assert mask_personal_data_in_text("13800138000 " * 10_000) == "138****8000 " * 10_000
