"""core.minhash: shingles, signatures and bands (pure, no database)."""

from __future__ import annotations

from govdesk.dispatch.core import minhash

LAMP = "滨河北路路灯不亮\n滨河北路与永宁路交叉口的三盏路灯已经一周不亮，晚上行人很不安全，请尽快修复。"
LAMP_AGAIN = "滨河北路路灯坏了\n滨河北路与永宁路交叉口的三盏路灯一周都不亮了，晚上行人很不安全，请尽快维修。"
WAGES = "工地拖欠农民工工资\n某建筑工地拖欠二十多名农民工半年工资共计三十万元，多次讨要未果。"


def test_shingles_ignore_punctuation_case_space_emoji_and_control_characters() -> None:
    assert minhash.shingles("Ａ市，路灯！\x00 😀") == minhash.shingles("a市路灯")
    assert minhash.shingles("") == set()
    assert minhash.shingles("😀😀😀 ！！") == set()
    assert minhash.shingles("灯") == {"灯"}


def test_band_values_are_deterministic_signed_64_bit_and_one_per_band() -> None:
    values = minhash.band_values(LAMP)
    assert values == minhash.band_values(LAMP)
    assert [band for band, _v in values] == list(range(minhash.BANDS))
    assert all(-(2**63) <= v < 2**63 for _b, v in values)
    assert minhash.band_values("😀 \x07") == []


def test_near_duplicates_share_a_band_and_unrelated_texts_do_not() -> None:
    lamp, again, wages = (set(minhash.band_values(t)) for t in (LAMP, LAMP_AGAIN, WAGES))
    assert minhash.jaccard(minhash.shingles(LAMP), minhash.shingles(LAMP_AGAIN)) > 0.4
    assert lamp & again
    assert not lamp & wages


def test_lsh_curve_favours_similar_pairs() -> None:
    assert minhash.candidate_probability(0.5) > 0.85
    assert minhash.candidate_probability(0.1) < 0.05


def test_huge_text_is_cut() -> None:
    assert len(minhash.clean("路" * 100_000)) == minhash.MAX_CHARS
    assert len(minhash.band_values("路灯" * 50_000)) == minhash.BANDS


def test_place_match_and_address_similarity() -> None:
    places = [("滨河街道", 1), ("滨河北路", 1), ("永宁路", 2), ("永宁路东段", 3)]
    assert minhash.place_match("离石区永宁路东段8号", places) == 3
    assert minhash.place_match("别处", places) is None
    assert minhash.address_similarity("离石区滨河北路18号", "离石区滨河北路18号院") > 0.8
    assert minhash.address_similarity("", "离石区") == 0.0
