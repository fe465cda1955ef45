"""The report's number formats, checked against the figures as the seed (the 2022 work review) writes them."""

from __future__ import annotations

from decimal import Decimal

import pytest

from govdesk.review.numbers import (
    FormatError,
    chinese_numeral,
    decimal_text,
    format_approx,
    format_approx_more,
    format_cn,
    format_pct,
    format_plain,
    format_rank,
    format_wan,
    format_yi,
    number_format,
)


@pytest.mark.parametrize(
    ("value", "measure", "text"),
    [
        (89000, "万元", "8.9亿元"),  # 减税降费
        (26100, "万元", "2.61亿元"),  # 利用债券
        (30100, "万元", "3.01亿元"),  # 带动社会消费
        (684300, "万元", "68.43亿元"),  # 重大项目总投资
        (4500, "万元", "0.45亿元"),  # 化解债务
        (11400, "万元", "1.14亿元"),
        (55000, "万元", "5.5亿元"),
        (Decimal("250.2"), "亿元", "250.2亿元"),  # GDP, already in 亿元
        (Decimal("31.6500"), "亿元", "31.65亿元"),  # a Decimal(18,4) ledger value
        (Decimal("348000000"), "元", "3.48亿元"),
        (Decimal("684349.99"), "万元", "68.43亿元"),  # rounded half up to two decimals
        (Decimal("684350"), "万元", "68.44亿元"),
        (100000, "万元", "10亿元"),
    ],
)
def test_yi(value: Decimal | int, measure: str, text: str) -> None:
    assert format_yi(value, measure) == text


def test_yi_refuses_what_is_not_money() -> None:
    with pytest.raises(FormatError):
        format_yi(5, "户")


def test_wan_refuses_a_measure_already_in_wan() -> None:
    with pytest.raises(FormatError):
        format_wan(1494, "万人次")


@pytest.mark.parametrize(
    ("value", "measure", "text"),
    [
        (47900, "件", "4.79万件"),
        (47999, "件", "4.79万件"),  # cut, never rounded up to 4.8万
        (10000, "亩", "1万亩"),
        (36852, "处", "3.68万处"),
        (5000, "", "0.5万"),
    ],
)
def test_wan(value: int, measure: str, text: str) -> None:
    assert format_wan(value, measure) == text


@pytest.mark.parametrize(
    ("value", "measure", "text"),
    [
        (7229, "份", "7229份"),
        (1087, "万元", "1087万元"),
        (Decimal("1208.3400"), "万吨", "1208.34万吨"),
        (Decimal("20.40"), "万平方米", "20.4万平方米"),
        (Decimal("201.8"), "亩", "201.8亩"),
        (Decimal("1494.7"), "万人次", "1494.7万人次"),
        (Decimal("5.02"), "万头", "5.02万头"),
        (Decimal("66.00"), "公里", "66公里"),
        (0, "座", "0座"),
    ],
)
def test_plain_trims_decimals_and_writes_no_separators(value: Decimal | int, measure: str, text: str) -> None:
    assert format_plain(value, measure) == text


@pytest.mark.parametrize(
    ("value", "measure", "text"),
    [
        (7036, "户", "7000余户"),  # 市场主体净增7000余户
        (36852, "处", "3.68余万处"),  # 自建房排查3.68余万处
        (36800, "处", "3.68万处"),  # exact: no 余
        (23, "项", "20余项"),  # 20余项活动
        (7000, "户", "7000户"),
        (153, "个", "150余个"),
        (7, "个", "7个"),
        (Decimal("7036.0000"), "户", "7000余户"),
    ],
)
def test_approx(value: Decimal | int, measure: str, text: str) -> None:
    assert format_approx(value, measure) == text


def test_approx_more_writes_duo() -> None:
    assert format_approx_more(32, "种") == "30多种"  # 30多种区域名特优农产品


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (Decimal("31.65") / Decimal("17.30") - 1, "82.9%"),  # 一般公共预算收入同比增长82.9%
        (Decimal("41840") / Decimal("39886") - 1, "4.9%"),  # 城镇居民人均可支配收入
        (Decimal("17552") / Decimal("16481") - 1, "6.5%"),  # 农村居民
        (Decimal("106.4") / Decimal("100") - 1, "6.4%"),  # 规上工业增加值
        (1, "100%"),  # 经营性自建房鉴定率达100%
        (Decimal("-0.032"), "-3.2%"),
    ],
)
def test_pct(value: Decimal | int, text: str) -> None:
    assert format_pct(value) == text


def test_rank() -> None:
    assert format_rank(3) == "第3"
    assert format_rank(Decimal("9")) == "第9"
    with pytest.raises(FormatError):
        format_rank(Decimal("2.5"))
    with pytest.raises(FormatError):
        format_rank(0)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0, "零"),
        (4, "四"),  # 四轮突发疫情
        (10, "十"),
        (15, "十五"),
        (20, "二十"),
        (23, "二十三"),
        (100, "一百"),
        (105, "一百零五"),
        (110, "一百一十"),
        (1001, "一千零一"),
        (2022, "二千零二十二"),
        (10000, "一万"),
        (100005, "十万零五"),
        (120000, "十二万"),
        (100000000, "一亿"),
        (-3, "负三"),
    ],
)
def test_chinese_numerals(value: int, text: str) -> None:
    assert chinese_numeral(value) == text


def test_cn_writes_the_measure() -> None:
    assert format_cn(4, "轮") == "四轮"


def test_decimal_text() -> None:
    assert decimal_text(Decimal("2.610")) == "2.61"
    assert decimal_text(Decimal("7229.00")) == "7229"
    assert decimal_text(0.1 + 0.2) == "0.3"
    assert decimal_text(Decimal("-0.001")) == "0"


def test_number_format_names_an_unknown_format() -> None:
    with pytest.raises(FormatError, match="bogus"):
        number_format(1, "bogus")
    assert number_format(89000, "yi", "万元") == "8.9亿元"
