"""Numbers as Chinese government reports write them.

Pure functions, no ORM. Every format writes the measure after the number (8.9亿元, 7000余户, 四轮) except `pct` (the
per cent sign is the measure) and `rank` (第3), so a template's text reads `减税降费{{tax_fee_reduction|yi}}`.

- Decimals: at most two, trailing zeros dropped (2.61, 5.5, 68.43, 0.45); integers without separators (7229, 1087).
- `yi`: money in 亿元 from 万元 (or 元, or already 亿元), rounded half up to two decimals.
- `wan`: a count or quantity in 万 (47,9xx 件 → 4.79万件): cut, not rounded, to two decimals, so that a report never
  claims more than the records hold (47,990 件 is still 4.79万件, not 4.8万件).
- `approx` / `approx_more`: "more than" with 余 / 多 (7036 → 7000余户, 36,852 → 3.68余万处, 23 → 20余项,
  32 → 30多种): below 100 the tens, below 10,000 the two leading digits, from 10,000 on 万 with two decimals, always
  cut; a value the cut leaves unchanged is written without 余/多 (7000 → 7000户), and one below 10 as it is.
- `pct`: a ratio (0.829, 1) as a percentage with one decimal, trimmed (82.9%, 100%), rounded half up.
- `rank`: 第3. `cn`: a Chinese numeral with the measure (4 → 四轮, 23 → 二十三). `plain`: the number and its measure.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

Number = Decimal | int | float

ONE_HUNDRED = Decimal(100)
TEN_THOUSAND = Decimal(10_000)
HUNDRED_MILLION = Decimal(100_000_000)


class FormatError(ValueError):
    """A value a format cannot write (a rank that is not a whole number, 亿元 of a measure that is not money...)."""


def _decimal(value: Number) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(value)


def decimal_text(value: Number, *, places: int = 2, rounding: str = ROUND_HALF_UP) -> str:
    """`value` with at most `places` decimals, trailing zeros dropped: 2.610 → 2.61, 5.50 → 5.5, 7229.00 → 7229."""
    quantum = Decimal(1).scaleb(-places)
    number = _decimal(value).quantize(quantum, rounding=rounding)
    text = f"{number:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in {"-0", ""} else text


def money_yi(value: Number, measure: str) -> Decimal:
    """A sum of money in 亿元, from its measure (万元, 元 or 亿元)."""
    number = _decimal(value)
    if measure == "万元":
        return number / TEN_THOUSAND
    if measure == "元":
        return number / HUNDRED_MILLION
    if measure == "亿元":
        return number
    raise FormatError(f"not a sum of money: {measure!r}")


def format_yi(value: Number, measure: str = "万元") -> str:
    """8.9亿元 from 89000 万元."""
    return f"{decimal_text(money_yi(value, measure))}亿元"


def format_wan(value: Number, measure: str = "") -> str:
    """4.79万件 from 47,950 件 (cut to two decimals)."""
    if measure.startswith(("万", "亿")):
        raise FormatError(f"already in 万 or 亿: {measure!r}")
    return f"{decimal_text(_decimal(value) / TEN_THOUSAND, rounding=ROUND_DOWN)}万{measure}"


def format_plain(value: Number, measure: str = "") -> str:
    """1208.34万吨, 7229份."""
    return f"{decimal_text(value)}{measure}"


def format_approx(value: Number, measure: str = "", *, word: str = "余") -> str:
    """7000余户, 3.68余万处, 20余项; with word="多": 30多种."""
    number = _decimal(value)
    if number < 0:
        raise FormatError(f"no approximation of a negative number: {number}")
    if number >= TEN_THOUSAND:
        in_wan = (number / TEN_THOUSAND).quantize(Decimal("0.01"), rounding=ROUND_DOWN)
        more = word if in_wan * TEN_THOUSAND != number else ""
        return f"{decimal_text(in_wan)}{more}万{measure}"
    if number < 10:
        return f"{decimal_text(number)}{measure}"
    whole = int(number)
    step = 10 if whole < 100 else 10 ** (len(str(whole)) - 2)
    cut = Decimal(whole // step * step)
    more = word if cut != number else ""
    return f"{decimal_text(cut)}{more}{measure}"


def format_approx_more(value: Number, measure: str = "") -> str:
    """30多种 from 32."""
    return format_approx(value, measure, word="多")


def format_pct(value: Number, measure: str = "") -> str:
    """82.9% from 0.829; 100% from 1."""
    return f"{decimal_text(_decimal(value) * ONE_HUNDRED, places=1)}%"


def _whole(value: Number, what: str) -> int:
    number = _decimal(value)
    if number != number.to_integral_value():
        raise FormatError(f"{what} needs a whole number: {number}")
    return int(number)


def format_rank(value: Number, measure: str = "") -> str:
    """第3."""
    rank = _whole(value, "a rank")
    if rank < 1:
        raise FormatError(f"a rank starts at 1: {rank}")
    return f"第{rank}"


DIGITS = "零一二三四五六七八九"
SMALL_UNITS = ("", "十", "百", "千")


def _below_ten_thousand(number: int) -> str:
    text = ""
    zero_pending = False
    for position in range(3, -1, -1):
        digit = number // 10**position % 10
        if digit == 0:
            zero_pending = bool(text)
            continue
        if zero_pending:
            text += "零"
            zero_pending = False
        text += DIGITS[digit] + SMALL_UNITS[position]
    return text


def chinese_numeral(value: Number) -> str:
    """4 → 四, 10 → 十, 15 → 十五, 23 → 二十三, 105 → 一百零五, 2022 → 二千零二十二, 30000 → 三万."""
    number = _whole(value, "a Chinese numeral")
    if number < 0:
        return "负" + chinese_numeral(-number)
    if number == 0:
        return DIGITS[0]
    if number >= 10**12:
        raise FormatError(f"too large for a Chinese numeral: {number}")
    groups = [(number // 10**8, "亿"), (number // 10**4 % 10**4, "万"), (number % 10**4, "")]
    text = ""
    for group, unit in groups:
        if group == 0:
            continue
        # A zero between groups is read: 十万零五 (100,005), 一亿零五百万.
        if text and group < 1000:
            text += "零"
        text += _below_ten_thousand(group) + unit
    # 一十 at the start is read 十 (10..19, 十万).
    if text.startswith("一十"):
        text = text[1:]
    return text


def format_cn(value: Number, measure: str = "") -> str:
    """四轮."""
    return chinese_numeral(value) + measure


FORMATS: dict[str, Callable[[Number, str], str]] = {
    "plain": format_plain,
    "yi": format_yi,
    "wan": format_wan,
    "approx": format_approx,
    "approx_more": format_approx_more,
    "pct": format_pct,
    "rank": format_rank,
    "cn": format_cn,
}


def number_format(value: Number, fmt: str, measure: str = "") -> str:
    """`value` in the format named `fmt` (one of FORMATS); FormatError for an unknown format."""
    try:
        formatter = FORMATS[fmt]
    except KeyError:
        raise FormatError(f"unknown format: {fmt!r}") from None
    return formatter(value, measure)
