"""Phone numbers, GB 11643 ID numbers and control characters."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import translation

from govdesk.common.validators import (
    has_control_characters,
    id_number_checksum_ok,
    normalize_phone,
    validate_id_number,
    validate_multiline_text,
    validate_no_control_characters,
    validate_phone,
    validate_supported_date,
)


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


def check_digit(first17: str) -> str:
    """GB 11643-1999 / ISO 7064 MOD 11-2, written out independently of the code under test."""
    weights = [2 ** (17 - i) % 11 for i in range(17)]
    total = sum(int(d) * w for d, w in zip(first17, weights, strict=True))
    return "10X98765432"[total % 11]


@pytest.mark.parametrize(
    "phone",
    [
        "13812345678",
        "19912345678",
        "15000000000",
        "+8613812345678",
        "138 1234 5678",
        "(0358)8221234",
        "0358-8221234",
        "010-12345678",
        "02112345678",
        "0358 8221234",
    ],
)
def test_valid_phones(phone: str) -> None:
    validate_phone(phone)


@pytest.mark.parametrize(
    "phone",
    [
        "",
        "12812345678",
        "10012345678",
        "1381234567",
        "138123456789",
        "1381234567a",
        "23812345678",
        "8221234",
        "0358-822",
        "358-8221234",
        "+1 415 555 0100",
        "１３８１２３４５６７８",
        "138-1234-5678",
    ],
)
def test_invalid_phones(phone: str) -> None:
    with pytest.raises(ValidationError) as excinfo:
        validate_phone(phone)
    assert excinfo.value.code == "phone"
    assert "11-digit" in excinfo.value.messages[0]


def test_normalize_phone() -> None:
    assert normalize_phone("+86 138 1234 5678") == "13812345678"
    assert normalize_phone("（0358）8221234") == "03588221234"
    assert normalize_phone("") == ""


@pytest.mark.parametrize(
    "first17", ["11010519491231002", "44030419900101001", "51010820000229123", "32058319881130567"]
)
def test_check_digit_agrees_with_an_independent_computation(first17: str) -> None:
    number = first17 + check_digit(first17)
    assert id_number_checksum_ok(number)
    validate_id_number(number)
    wrong = "0" if number[-1] != "0" else "1"
    assert not id_number_checksum_ok(first17 + wrong)


def test_check_digit_x() -> None:
    assert check_digit("11010519491231002") == "X"
    validate_id_number("11010519491231002X")
    validate_id_number("11010519491231002x")  # lower case is read as X
    assert id_number_checksum_ok("11010519491231002x")


@pytest.mark.parametrize(
    ("number", "fragment"),
    [
        ("110105194912310021", "check digit"),
        ("11010519491231002", "18 characters"),
        ("1101051949123100211", "18 characters"),
        ("11010519491231002Y", "18 characters"),
        ("1101051949123A002X", "18 characters"),
        ("", "18 characters"),
        ("110105194902300025", "birth date"),  # 30 February
        ("110105194913010027", "birth date"),  # month 13
        ("110105189912310021", "birth date"),  # 1899
        ("110105203001010024", "birth date"),  # not born yet
    ],
)
def test_invalid_id_numbers(number: str, fragment: str) -> None:
    with pytest.raises(ValidationError) as excinfo:
        validate_id_number(number)
    assert fragment in excinfo.value.messages[0]
    assert excinfo.value.code == "id_number"


def test_a_birth_date_today_is_possible_but_not_tomorrow() -> None:
    with time_machine.travel("2026-03-02 10:00 +0800", tick=False):
        today = "11010520260302" + "123"
        validate_id_number(today + check_digit(today))
        tomorrow = "11010520260303" + "123"
        with pytest.raises(ValidationError):
            validate_id_number(tomorrow + check_digit(tomorrow))


def test_a_leap_day_birth_date() -> None:
    leap = "51010820000229123"
    validate_id_number(leap + check_digit(leap))
    not_leap = "51010819000229123"  # 1900 was not a leap year
    with pytest.raises(ValidationError, match="birth date"):
        validate_id_number(not_leap + check_digit(not_leap))


@pytest.mark.parametrize(
    ("text", "single_line_ok", "multi_line_ok"),
    [
        ("普通文字 plain text 123", True, True),
        ("第一行\n第二行", False, True),
        ("列\t表", False, True),
        ("回车\r\n换行", False, True),
        ("空\x00字节", False, False),
        ("转义\x1b[31m", False, False),
        ("删除\x7f", False, False),
        ("C1\x9b", False, False),
        ("代理\ud800", False, False),
        ("非字符\ufffe", False, False),
        ("方向\u202e覆盖", True, True),
        ("零宽\u200b空格", True, True),
        ("表情👍🏽", True, True),
    ],
)
def test_control_characters(text: str, single_line_ok: bool, multi_line_ok: bool) -> None:
    assert has_control_characters(text, allow_newlines=False) is not single_line_ok
    assert has_control_characters(text, allow_newlines=True) is not multi_line_ok
    for validator, ok in ((validate_no_control_characters, single_line_ok), (validate_multiline_text, multi_line_ok)):
        if ok:
            validator(text)
        else:
            with pytest.raises(ValidationError) as excinfo:
                validator(text)
            assert excinfo.value.code == "control"


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        (date(2000, 1, 1), True),
        (date(2099, 12, 31), True),
        (datetime(2026, 11, 5, 10, 0, tzinfo=UTC), True),
        (date(1999, 12, 31), False),
        (date(2100, 1, 1), False),
        (date(1, 1, 1), False),
        (date(9999, 12, 31), False),
        (None, True),
    ],
)
def test_validate_supported_date(value: date | None, ok: bool) -> None:
    if ok:
        validate_supported_date(value)
    else:
        with pytest.raises(ValidationError) as raised:
            validate_supported_date(value)
        assert raised.value.code == "date_range"
