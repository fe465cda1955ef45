"""The classifier's text handling: the same words and characters for a raw message and its whitespace-stripped copy,
and `normalize`'s fast path identical to the per-character rule it skips."""

from __future__ import annotations

import random
import unicodedata

import jieba
import pytest

from govdesk.dispatch.core import classifier as clf
from govdesk.dispatch.core import text


def _normalize_reference(value: str) -> str:
    """`normalize` as first written: every character of category C replaced one by one."""
    value = unicodedata.normalize("NFKC", value or "")
    value = "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in value)
    value = text._URL_RE.sub(" ", value.lower())
    value = text._DIGITS_RE.sub("0", value)
    return text._SPACE_RE.sub(" ", value).strip()


@pytest.mark.parametrize(
    "value",
    [
        "",
        "尊敬的领导： 您好！\r\n路灯不亮\t三天了",
        "\x00路灯\x1f不亮\x7f",
        "路\u200b灯\ufeff不亮\u2060",  # zero-width and format characters (category Cf)
        "路灯\ue000不亮\U000f0000",  # private use
        "路灯\u0378不亮",  # unassigned
        "\u3000\u00a0路灯\u2028不亮\u2029\u0085",  # ideographic / no-break space, line and paragraph separators
        "ＡＢＣ１２３，网址 https://example.org/x?y=1 电话 13812345678",
        "😀😀 emoji only",
    ],
)
def test_normalize_fast_path_equals_the_per_character_rule(value: str) -> None:
    assert text.normalize(value) == _normalize_reference(value)


def test_normalize_equals_the_per_character_rule_on_random_odd_text() -> None:
    rng = random.Random(3)
    alphabet = [chr(c) for c in [*range(0, 0x250), *range(0x2000, 0x2070)]]
    alphabet += ["\u3000", "\ufeff", "\ue000", "\ufff9", "\u4e00", "\uff11", "\U0001f600", "\u0378"]
    for _ in range(2000):
        value = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 24)))
        assert text.normalize(value) == _normalize_reference(value), repr(value)


def test_compact_words_ignore_whitespace_inside_words() -> None:
    raw = "公司拖欠\n工资三个月，路 灯也不亮"
    stripped = "公司拖欠工资三个月，路灯也不亮"
    assert text.tokenize_compact(raw) == text.tokenize_compact(stripped)
    assert "拖欠工资" in text.tokenize_compact(raw)
    assert "路灯" in text.tokenize_compact(raw)
    # The shared tokenizer (duplicates, hotspots, reply check) still splits at the whitespace, as before.
    assert "拖欠工资" not in text.tokenize(raw)


def test_compact_words_are_jieba_without_hmm_and_without_punctuation() -> None:
    value = "E5县出租车行业垄断，请落实楚政发【2011】47号文件！"
    expected = [w for w in jieba.lcut(text.normalize(value).replace(" ", ""), HMM=False) if not text._is_punctuation(w)]
    assert text.tokenize_compact(value) == expected
    assert not any(text._is_punctuation(w) for w in expected)


def test_prepare_gives_the_same_views_for_a_raw_message_and_its_stripped_copy() -> None:
    title = "K4县城春节期间的士不打表乱喊价"
    raw_body = "尊敬的领导： 您好！\n今天在K4县城打车， 从中国银行到同心路的鑫龙酒店，收费十元。\n政府为什么不去管呢。"
    stripped_body = "".join(raw_body.split())
    raw = clf.prepare([title], [raw_body])
    stripped = clf.prepare([title], [stripped_body])
    assert raw == stripped
    assert raw.words[0] and raw.chars[0] and raw.titles[0]


def test_fast_segmenter_equals_jieba_without_hmm() -> None:
    """`segment_no_hmm` replaces `jieba.lcut(..., HMM=False)` for speed: it must give exactly jieba's words, also
    for Latin letters and digits (run together), unknown characters, punctuation and whitespace."""
    rng = random.Random(3)
    pieces = ["路灯不亮", "拖欠工资", "A1区", "12345热线", "E5县出租车", "龘靐齉", "，", "。", "abc", "x-y_z.%#", "——"]
    pieces += [" ", "\n", "公交线路调整", "小区物业乱收费", "的", "了", "研究生命起源", "结婚的和尚未结婚的"]
    samples = ["", "a", "。。", "结婚的和尚未结婚的", "我们小区的路灯坏了三个月，物业说不归他们管"]
    samples += ["".join(rng.choice(pieces) for _ in range(rng.randint(1, 30))) for _ in range(300)]
    for sample in samples:
        assert text.segment_no_hmm(sample) == jieba.lcut(sample, HMM=False), sample


def test_plain_words_are_jieba_with_hmm_without_whitespace() -> None:
    value = "A1区蔡锷南路 华庭\n楼顶水箱长年不洗"
    assert text.tokenize_plain(value) == [w for w in jieba.lcut(value) if w.strip()]
