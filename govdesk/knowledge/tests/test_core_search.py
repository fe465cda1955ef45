"""The pure knowledge search engine: ranking, typo tolerance, synonyms, passages and highlight offsets. No database."""

from __future__ import annotations

from datetime import date

import pytest

from govdesk.knowledge.core.search import (
    PASSAGE_CHARS,
    SYNONYMS_PATH,
    KnowledgeIndex,
    SearchDocument,
    Synonyms,
    default_synonyms,
    fold,
)

TODAY = date(2026, 12, 5)

WATER = SearchDocument(
    "article:1",
    "article",
    "小区停水什么时候恢复供水",
    "因供水管网改造，A2区桂花坪街道部分小区计划停水。停水期间请到小区门口临时供水点取水。"
    "恢复供水后如水质发黄，请放水片刻。如有疑问可拨打供水服务热线。",
)
FUND = SearchDocument(
    "article:2",
    "article",
    "住房公积金怎么提取",
    "职工购买自住住房、离休退休、与单位终止劳动关系的，可以申请提取住房公积金。请携带身份证到公积金管理中心办理。",
)
LAMP = SearchDocument(
    "article:3",
    "article",
    "路灯不亮向哪里报修",
    "城区道路照明设施由区城市管理局负责维护。市民发现路灯不亮，可拨打12345热线报修，一般48小时内修复。",
)
MARRIAGE = SearchDocument(
    "guide:11440300MB0001",
    "guide",
    "结婚登记",
    "内地居民结婚，男女双方应当共同到一方当事人常住户口所在地的婚姻登记机关办理结婚登记。需提交本人的户口簿、身份证。",
)
NOISE = SearchDocument(
    "article:4",
    "article",
    "夜间施工噪音扰民怎么投诉",
    "建筑工地夜间22时至次日6时禁止产生噪声的施工作业，抢修抢险除外。发现夜间施工扰民，可向生态环境部门举报。",
)
CORPUS = [WATER, FUND, LAMP, MARRIAGE, NOISE]


@pytest.fixture(scope="module")
def index() -> KnowledgeIndex:
    return KnowledgeIndex.build(CORPUS)


def keys(hits) -> list[str]:
    return [hit.key for hit in hits]


def test_the_article_answering_the_question_comes_first(index):
    hits = index.search("请问住房公积金要怎么提取出来", today=TODAY)
    assert hits[0].key == "article:2"
    assert hits[0].kind == "article"


def test_scores_lie_between_zero_and_one_best_first_and_the_limit_holds(index):
    hits = index.search("小区停水了，路灯也不亮，晚上施工噪音很大", limit=2, today=TODAY)
    assert len(hits) == 2
    assert all(0 < hit.score <= 1 for hit in hits)
    assert hits[0].score >= hits[1].score
    assert set(keys(index.search("小区停水了，路灯也不亮，晚上施工噪音很大", limit=5, today=TODAY))) >= {
        "article:1",
        "article:3",
        "article:4",
    }


def test_a_query_with_nothing_in_common_finds_nothing(index):
    assert index.search("   ", today=TODAY) == []
    assert index.search("xyz", today=TODAY) == []
    assert index.search("公积金", limit=0, today=TODAY) == []


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("公积全怎么提取", "article:2"),  # 金 → 全
        ("路打不亮了找谁修", "article:3"),  # 灯 → 打
        ("小区停小了什么时候恢复", "article:1"),  # 水 → 小
        ("夜间施王噪音", "article:4"),  # 工 → 王
    ],
)
def test_one_wrong_character_in_a_word_still_finds_the_article(index, typed, expected):
    assert index.search(typed, today=TODAY)[0].key == expected


def test_typo_tolerance_comes_from_the_bigrams_the_word_still_shares(index):
    # "公积全" shares the bigram 公积 with 公积金; the typo's own bigram 积全 is in no document.
    hits = index.search("公积全", today=TODAY)
    assert keys(hits) == ["article:2"]
    assert ("公积" in hits[0].passage) and hits[0].highlights


def test_a_synonym_finds_the_article_that_uses_another_word(index):
    # The caller says 没水; the article says 停水 (never 没水).
    assert "没水" not in WATER.title + WATER.body
    hits = index.search("家里没水", today=TODAY)
    assert hits[0].key == "article:1"
    passage, highlights = hits[0].passage, hits[0].highlights
    assert "停水" in [passage[start:end] for start, end in highlights]


def test_without_the_synonym_list_the_same_query_misses(index):
    bare = KnowledgeIndex.build(CORPUS, synonyms=Synonyms([]))
    assert "article:1" not in keys(bare.search("家里没水", today=TODAY))


@pytest.mark.parametrize(("said", "written"), [("街灯", "路灯"), ("社会保险", "社保"), ("住房公积金", "公积金")])
def test_the_shipped_synonyms_join_the_hotlines_words(said, written):
    doc = SearchDocument("article:9", "article", "办事指南", f"关于{written}的说明。")
    other = SearchDocument("article:10", "article", "其他事项", "与本题无关的说明。")
    hits = KnowledgeIndex.build([doc, other]).search(f"我想问{said}", today=TODAY)
    assert keys(hits)[:1] == ["article:9"]


def test_the_synonym_file_has_over_a_hundred_groups_of_phrases_in_one_group_each():
    synonyms = default_synonyms()
    assert len(synonyms.groups) >= 100
    listed: dict[str, int] = {}
    for line_number, line in enumerate(SYNONYMS_PATH.read_text(encoding="utf-8").splitlines(), start=1):
        phrases = line.split("#", 1)[0].split()
        if not phrases:
            continue
        assert len(phrases) >= 2, f"line {line_number}: a group needs two phrases"
        for phrase in phrases:
            assert len(phrase) >= 2, f"line {line_number}: {phrase!r} is too short to match safely"
            assert phrase not in listed, f"line {line_number}: {phrase!r} is already on line {listed[phrase]}"
            listed[phrase] = line_number
    for phrase, partner in [("路灯", "街灯"), ("停水", "没水"), ("停水", "断水"), ("社保", "社会保险")]:
        assert synonyms.group_of[phrase] == synonyms.group_of[partner]


def test_highlights_are_the_matched_words_offsets_in_the_passage(index):
    hits = index.search("路灯不亮了怎么报修", today=TODAY)
    hit = hits[0]
    assert hit.key == "article:3"
    marked = [hit.passage[start:end] for start, end in hit.highlights]
    assert "路灯不亮" in marked
    assert any("报修" in m for m in marked)
    # Offsets sorted, inside the passage, never overlapping or touching (touching matches are merged).
    previous_end = -1
    for start, end in hit.highlights:
        assert 0 <= start < end <= len(hit.passage)
        assert start > previous_end
        previous_end = end


def test_the_passage_is_the_sentence_with_the_query_not_the_first_one():
    filler = "本单位始终坚持以人民为中心的发展思想，认真对待每一条群众来信。" * 5
    doc = SearchDocument(
        "article:5", "article", "一般说明", filler + "电梯故障困人请立即拨打电梯内的应急电话。" + filler
    )
    hit = KnowledgeIndex.build([doc, WATER]).search("电梯故障", today=TODAY)[0]
    assert len(hit.passage) <= PASSAGE_CHARS
    assert "电梯故障" in hit.passage
    start, end = hit.highlights[0]
    assert hit.passage[start:end] == "电梯故障"


def test_a_long_sentence_is_cut_to_a_window_around_the_matches():
    long_sentence = (
        "，".join(["各相关部门按照职责分工做好工作"] * 12)
        + "，不动产登记中心负责房产证补办，"
        + "，".join(["做好服务"] * 12)
    )
    doc = SearchDocument("article:6", "article", "说明", long_sentence + "。")
    hit = KnowledgeIndex.build([doc, FUND]).search("房产证丢了怎么补办", today=TODAY)[0]
    assert hit.key == "article:6"
    assert len(hit.passage) <= PASSAGE_CHARS
    assert "房产证补办" in hit.passage
    assert all(0 <= s < e <= len(hit.passage) for s, e in hit.highlights)


def test_full_width_text_keeps_offsets_of_the_original_characters():
    doc = SearchDocument("article:7", "article", "热线", "请拨打１２３４５热线或ＥＴＣ服务电话。")
    hit = KnowledgeIndex.build([doc, FUND]).search("12345热线 etc", today=TODAY)[0]
    marked = [hit.passage[start:end] for start, end in hit.highlights]
    assert "１２３４５热线" in marked
    assert "ＥＴＣ" in marked
    assert len(fold("ＡＢＣ　１")) == len("ＡＢＣ　１")


def test_only_documents_valid_on_the_day_are_found():
    expired = SearchDocument("article:20", "article", "停车收费标准", "停车收费按小时计。", valid_to=date(2026, 1, 1))
    future = SearchDocument("article:21", "article", "停车收费新标准", "停车收费按次计。", valid_from=date(2027, 1, 1))
    current = SearchDocument(
        "article:22", "article", "停车收费办法", "停车收费按天计。", valid_from=date(2026, 1, 1), valid_to=None
    )
    index = KnowledgeIndex.build([expired, future, current])
    assert keys(index.search("停车收费", today=TODAY)) == ["article:22"]
    assert "article:20" in keys(index.search("停车收费", today=date(2025, 6, 1)))
    assert "article:21" in keys(index.search("停车收费", today=date(2027, 6, 1)))
    # The last valid day still counts.
    assert "article:20" in keys(index.search("停车收费", today=date(2026, 1, 1)))


def test_kinds_restrict_the_results(index):
    query = "结婚登记要带什么 身份证"
    assert keys(index.search(query, kinds=["guide"], today=TODAY)) == ["guide:11440300MB0001"]
    assert "guide:11440300MB0001" not in keys(index.search(query, kinds=["article"], today=TODAY))
    assert index.search(query, kinds=["nothing"], today=TODAY) == []


def test_title_counts_more_than_the_body():
    in_title = SearchDocument("article:30", "article", "户口迁移手续", "请到派出所办理。")
    in_body = SearchDocument("article:31", "article", "派出所业务", "派出所办理户口迁移手续等户籍业务。")
    assert keys(KnowledgeIndex.build([in_body, in_title]).search("户口迁移", today=TODAY))[0] == "article:30"


def test_a_later_document_with_the_same_key_replaces_the_earlier():
    old = SearchDocument("article:40", "article", "旧标题", "旧的答复内容。")
    new = SearchDocument("article:40", "article", "供暖时间", "每年11月15日开始供暖。")
    index = KnowledgeIndex.build([old, new])
    assert len(index) == 1
    assert keys(index.search("什么时候开始供暖", today=TODAY)) == ["article:40"]


def test_a_rebuild_reuses_unchanged_analyses_and_sees_the_changed_document(index):
    edited = SearchDocument("article:2", "article", "供暖时间", "每年11月15日开始供暖。")
    rebuilt = KnowledgeIndex.build([WATER, edited, LAMP, MARRIAGE, NOISE], reuse=index)
    assert rebuilt._analyses["article:1"] is index._analyses["article:1"]
    assert rebuilt._analyses["article:2"] is not index._analyses["article:2"]
    assert keys(rebuilt.search("什么时候开始供暖", today=TODAY))[:1] == ["article:2"]
    assert "article:2" not in keys(rebuilt.search("公积金提取", today=TODAY))
    # The old index is untouched: it still answers from the old text.
    assert keys(index.search("公积金提取", today=TODAY))[:1] == ["article:2"]


def test_an_empty_index_finds_nothing():
    assert KnowledgeIndex.build([]).search("公积金", today=TODAY) == []
