"""Fake but valid citizens: names, mobile numbers and GB 11643 ID numbers (with a correct check digit)."""

from __future__ import annotations

import random
from datetime import date, timedelta

from govdesk.common.validators import ID_CHECK, ID_WEIGHTS

SURNAMES = (
    "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾"
    "丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文"
)
GIVEN = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英文华建国红梅玉兰志强海燕晓东春花永刚丽娟俊峰雪梅德胜宏伟金凤"
)
# 离石区's administrative division code (GB/T 2260): the first six digits of IDs issued there.
LISHI_REGION = "141102"
# Mobile network prefixes: 13x, 15x and 18x, 199.
MOBILE_PREFIXES = (
    [f"13{d}" for d in range(10)]
    + [f"15{d}" for d in (0, 1, 2, 3, 5, 6, 7, 8, 9)]
    + [f"18{d}" for d in (0, 2, 3, 5, 6, 7, 8, 9)]
    + ["199"]
)


def fake_name(rng: random.Random) -> str:
    given = "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))
    return rng.choice(SURNAMES) + given


def fake_mobile(rng: random.Random) -> str:
    return rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"


def id_check_digit(first17: str) -> str:
    return ID_CHECK[sum(int(d) * w for d, w in zip(first17, ID_WEIGHTS, strict=True)) % 11]


def fake_id_number(rng: random.Random, region: str = LISHI_REGION) -> str:
    born = date(1950, 1, 1) + timedelta(days=rng.randrange(365 * 55))
    first17 = f"{region}{born:%Y%m%d}{rng.randrange(1000):03d}"
    return first17 + id_check_digit(first17)
