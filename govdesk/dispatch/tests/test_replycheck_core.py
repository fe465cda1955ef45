"""The pure reply check: element detectors, relevance on a tiny fitted model, the score, the weak flag, odd input."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from govdesk.dispatch.core import replycheck as core

# A tiny corpus: (request, official reply). Real-style, different topics, so that IDF separates them.
PAIRS = [
    (
        "滨河北路路灯不亮",
        "滨河北路三盏路灯一周不亮，晚上很黑。",
        "经核实，滨河北路路灯线路老化，已于当日更换线路，路灯恢复正常。联系电话0358-1234567。",
    ),
    (
        "永宁路噪音扰民",
        "永宁路一家KTV每晚营业到凌晨，噪音扰民严重。",
        "经现场检测，该KTV噪音超标，已责令其整改并限时营业，目前已整改到位。",
    ),
    (
        "小区物业费上涨",
        "幸福小区物业未经业主同意上涨物业费。",
        "经调查，物业公司未按规定履行程序，已督促其退还多收的物业费，现已退还。",
    ),
    (
        "拖欠工资",
        "某建筑公司拖欠农民工工资三个月。",
        "经劳动监察大队核查，该公司拖欠工资属实，已责令其支付，工资已全部发放到位。",
    ),
    (
        "公交车改线",
        "12路公交车突然改线，没有公告，出行不便。",
        "经了解，12路公交车因道路施工临时改线，施工结束后将恢复原线路，预计下月恢复。",
    ),
    (
        "油烟污染",
        "楼下餐馆油烟直排，影响居民生活。",
        "经执法人员现场查看，该餐馆未安装油烟净化设施，已责令其安装，目前已安装完毕。",
    ),
    ("井盖缺失", "人民路有一处井盖缺失，存在安全隐患。", "接到反映后我局立即派员到现场核查，已补装井盖，隐患已消除。"),
    ("学校乱收费", "某小学要求学生购买指定教辅资料。", "经教育局调查，该校确有推荐教辅行为，已责令纠正并退还费用。"),
    (
        "垃圾清运不及时",
        "城东社区垃圾清运不及时，垃圾堆积发臭。",
        "经核实，环卫车辆故障导致清运延误，已调配车辆，垃圾已清运完毕。",
    ),
    ("社保转移咨询", "外地社保如何转入本市？", "根据规定，可持身份证到社保中心办理转移手续，咨询电话12345。"),
    ("停车场收费过高", "医院停车场收费标准过高。", "经物价部门核查，该停车场收费符合备案标准，已要求其公示收费标准。"),
    (
        "违章建筑",
        "幸福小区顶楼有人搭建违章建筑。",
        "经城管执法队现场勘察，该建筑属违章建筑，已下达拆除通知，目前已拆除。",
    ),
]
FULL_REPLY = (
    "经核实，您反映的滨河北路路灯不亮问题属实。我局已安排维修人员更换线路，目前路灯已恢复正常。"
    "如有疑问请联系李工，联系电话0358-1234567。"
)


@pytest.fixture(scope="module")
def model() -> core.RelevanceModel:
    requests = [core.request_text(title, body) for title, body, _ in PAIRS]
    return core.relevance_model_fit(requests, [reply for _, _, reply in PAIRS], version="test")


# --- elements -------------------------------------------------------------------------------------------------------


def test_a_full_reply_has_all_four_elements() -> None:
    found = core.elements_find(FULL_REPLY)
    assert set(found) == {"verified", "action", "result", "contact"}
    assert found["verified"] == "经核实"
    assert core.completeness(found) == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ("已处理", {"action"}),
        ("收到", set()),
        ("网友：您好！留言已收悉", set()),
        ("现将有关情况回复如下：感谢您的关心。", set()),
        ("经现场查看，情况属实。", {"verified", "result"}),
        ("我们已督促物业公司整改。", {"action"}),
        ("问题已解决。", {"action", "result"}),
        ("如有疑问请拨打13912345678。", {"contact"}),
        ("请与街道办联系。", {"contact"}),
    ],
)
def test_elements_on_crafted_replies(reply: str, expected: set[str]) -> None:
    assert set(core.elements_find(reply)) == expected


def test_ids_and_dates_are_not_phone_numbers_but_masked_and_landline_numbers_are() -> None:
    assert core.PHONE_RE.search("网友“UU0082056”您好") is None
    assert core.PHONE_RE.search("2019年3月7日") is None
    assert core.PHONE_RE.search("联系电话：0731-0000-00000000") is not None
    assert core.PHONE_RE.search("请致电0358 1234567") is not None
    assert core.PHONE_RE.search("手机13812345678") is not None


def test_full_width_digits_count_as_phone_numbers() -> None:
    assert "contact" in core.elements_find("电话０３５８－１２３４５６７")


def test_consultations_do_not_need_verification() -> None:
    found = core.elements_find("根据规定，可持身份证到社保中心办理。咨询电话12345。")
    assert core.completeness(found, consultation=True) > core.completeness(found)
    assert core.completeness({"result", "contact"}, consultation=True) == pytest.approx(0.85)


# --- relevance ------------------------------------------------------------------------------------------------------


def test_relevance_is_higher_for_the_own_message_than_for_an_unrelated_one(model: core.RelevanceModel) -> None:
    for i, (title, body, reply) in enumerate(PAIRS):
        own = core.request_text(title, body)
        other_title, other_body, _ = PAIRS[(i + 3) % len(PAIRS)]
        other = core.request_text(other_title, other_body)
        own_cos = model.cosine_tokens(core.relevance_tokens(own), core.relevance_tokens(reply))
        other_cos = model.cosine_tokens(core.relevance_tokens(other), core.relevance_tokens(reply))
        assert own_cos > other_cos, title


def test_calibration_increases_with_the_cosine(model: core.RelevanceModel) -> None:
    assert model.slope > 0
    values = [model.calibrate(c) for c in (0.0, 0.05, 0.2, 0.6)]
    assert values == sorted(values)
    assert values[0] < 0.5 < values[-1]


def test_auc_and_logistic_fit() -> None:
    assert core.auc([0.9, 0.8], [0.1, 0.2]) == 1.0
    assert core.auc([0.1], [0.9]) == 0.0
    assert core.auc([0.5], [0.5]) == 0.5
    slope, _intercept = core.logistic_fit([-2.0, -1.0, 1.0, 2.0, -0.5, 0.5], [0, 0, 1, 1, 1, 0])
    assert slope > 0


def test_the_model_survives_saving_and_a_damaged_file_is_refused(model: core.RelevanceModel, tmp_path: Path) -> None:
    path = tmp_path / "model.json.gz"
    core.model_save(model, path)
    loaded = core.model_load(path)
    assert loaded.idf == model.idf
    assert loaded.calibrate(0.1) == pytest.approx(model.calibrate(0.1))
    path.write_bytes(b"not gzip")
    with pytest.raises(ValueError, match="damaged"):
        core.model_load(path)
    path.write_bytes(gzip.compress(b'{"format": 99}'))
    with pytest.raises(ValueError, match="format"):
        core.model_load(path)


# --- the score ------------------------------------------------------------------------------------------------------


def _request(i: int = 0) -> str:
    return core.request_text(PAIRS[i][0], PAIRS[i][1])


def test_a_complete_relevant_reply_passes(model: core.RelevanceModel) -> None:
    result = core.reply_score(model, request=_request(0), reply=FULL_REPLY)
    assert not result.is_weak
    assert result.score >= 0.8
    assert result.reasons == []
    assert result.elements == {"verified": True, "action": True, "result": True, "contact": True}


@pytest.mark.parametrize("reply", ["已处理", "收到", "好的。", "已收悉"])
def test_degenerate_replies_are_weak_and_too_short(model: core.RelevanceModel, reply: str) -> None:
    result = core.reply_score(model, request=_request(0), reply=reply)
    assert result.is_weak
    assert "too_short" in result.reasons
    assert result.score < 0.3


def test_a_reply_pasted_from_another_message_is_weak_for_low_relevance(model: core.RelevanceModel) -> None:
    pasted = PAIRS[3][2]  # the unpaid-wages reply, complete in itself
    result = core.reply_score(model, request=_request(0), reply=pasted)
    assert result.completeness >= 0.85
    assert result.is_weak
    assert "low_relevance" in result.reasons
    own = core.reply_score(model, request=core.request_text(PAIRS[3][0], PAIRS[3][1]), reply=pasted)
    assert own.relevance > result.relevance
    assert not own.is_weak


def test_missing_elements_are_named_and_a_low_score_is_weak(model: core.RelevanceModel) -> None:
    reply = "关于滨河北路路灯不亮的问题，我们非常重视，感谢您对我们工作的关心和支持。"
    result = core.reply_score(model, request=_request(0), reply=reply, threshold=0.6)
    assert {"missing_verified", "missing_action", "missing_result", "missing_contact"} <= set(result.reasons)
    assert result.is_weak
    assert "below_threshold" in result.reasons


def test_the_threshold_decides_between_weak_and_acceptable(model: core.RelevanceModel) -> None:
    reply = "经核实，滨河北路路灯线路老化，我们已安排更换线路。"
    lenient = core.reply_score(model, request=_request(0), reply=reply, threshold=0.1)
    strict = core.reply_score(model, request=_request(0), reply=reply, threshold=0.99)
    assert lenient.score == strict.score
    assert not lenient.is_weak
    assert strict.is_weak


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        ("", "empty"),
        ("   \n\t ", "empty"),
        ("😀😀😀🙏🙏", "empty"),
        ("\x00\x07\x1b", "empty"),
        ("The street lamp was repaired yesterday, thank you.", "no_chinese"),
    ],
)
def test_odd_replies_score_low_and_never_raise(model: core.RelevanceModel, reply: str, reason: str) -> None:
    result = core.reply_score(model, request=_request(0), reply=reply)
    assert result.is_weak
    assert reason in result.reasons
    assert result.score < 0.3


def test_huge_and_control_character_text_is_scored(model: core.RelevanceModel) -> None:
    huge = FULL_REPLY * 200
    result = core.reply_score(model, request=_request(0), reply=huge)
    assert 0.0 <= result.score <= 1.0
    noisy = core.reply_score(model, request=_request(0), reply=FULL_REPLY.replace("，", "\x07"))
    assert noisy.elements["contact"]


def test_an_empty_request_neither_helps_nor_hurts(model: core.RelevanceModel) -> None:
    result = core.reply_score(model, request="", reply=FULL_REPLY)
    assert result.relevance == 0.5
    assert "low_relevance" not in result.reasons


def test_evaluation_reports_auc_coverage_and_weak_shares(model: core.RelevanceModel) -> None:
    requests = [core.request_text(t, b) for t, b, _ in PAIRS]
    replies = [r for _, _, r in PAIRS]
    metrics = core.reply_check_evaluate(
        model,
        requests=requests,
        replies=replies,
        consultation=[False] * len(PAIRS),
        request_tokens=[core.relevance_tokens(r) for r in requests],
        reply_tokens=[core.relevance_tokens(r) for r in replies],
    )
    assert metrics["n"] == len(PAIRS)
    assert metrics["relevance_auc"] > 0.8
    assert metrics["weak_share_degenerate"] == 1.0
    assert metrics["element_coverage"]["action"] > 0.9
    assert metrics["weak_share_real"] < metrics["weak_share_pasted_from_another_message"]
