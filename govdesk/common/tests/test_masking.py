from __future__ import annotations

import pytest

from govdesk.common.masking import mask_id_number, mask_name, mask_phone


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
