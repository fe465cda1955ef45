"""The classifier core (no database): dedupe, fingerprint, training on a tiny fixture, the artifact, scoring."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import sklearn

from govdesk.dispatch.core import classifier as clf
from govdesk.dispatch.core.classifier import Message, ModelStore, ModelUnavailable

from .classifier_fixture import tiny_messages, tiny_model, tiny_model_file


def test_dedupe_keeps_one_copy_and_drops_conflicting_labels() -> None:
    a = Message("路灯不亮", "晚上 路灯\n不亮", "城乡建设")
    same_a = Message("路灯不亮", "晚上路灯不亮", "城乡建设", form="body_whitespace_stripped")
    b = Message("工资", "拖欠工资", "劳动和社会保障")
    b_other = Message("工资", "拖欠 工资", "城乡建设")
    kept, duplicates, conflicts = clf.messages_dedupe([a, same_a, b, b_other])
    assert kept == [a]
    assert (duplicates, conflicts) == (1, 2)


def test_fingerprint_depends_on_every_row_and_its_order() -> None:
    rows = tiny_messages()[:4]
    assert clf.fingerprint(rows) == clf.fingerprint(list(rows))
    assert clf.fingerprint(rows) != clf.fingerprint(rows[::-1])
    changed = [*rows[:3], Message(rows[3].title, rows[3].body, "交通运输", rows[3].form)]
    assert clf.fingerprint(rows) != clf.fingerprint(changed)


def test_tiny_model_predicts_its_topics_with_probabilities() -> None:
    model = tiny_model()
    assert model.labels == ["交通运输", "劳动和社会保障", "城乡建设"]
    proba = model.predict_proba(["我们小区路灯不亮好几天了"], ["晚上路灯不亮，井盖也破损了"])
    assert proba.shape == (1, 3)
    assert proba.sum() == pytest.approx(1.0)
    assert model.labels[int(proba.argmax())] == "城乡建设"
    top = model.top("公司拖欠工资三个月", "老板一直拖欠工资，劳动合同也不签")
    assert top[0][0] == "劳动和社会保障"
    assert len(top) == 3 and top[0][1] >= top[1][1] >= top[2][1]


def test_training_records_metrics_fingerprint_and_versions() -> None:
    model = tiny_model()
    assert model.n_train == len(tiny_messages())
    assert model.fingerprint == clf.fingerprint(tiny_messages())
    assert model.version.endswith(model.fingerprint[:8])
    assert model.sklearn_version == sklearn.__version__
    assert model.created_at
    cv = model.metrics["cv"]
    assert cv["folds"] == 2
    assert set(cv) >= {"all", "raw"}
    assert 0.0 <= cv["all"]["macro_f1"] <= 1.0 and cv["all"]["n"] == len(tiny_messages())
    assert cv["raw"]["n"] == sum(m.form == "raw" for m in tiny_messages())


def test_artifact_round_trips(tmp_path: Path) -> None:
    path = tiny_model_file(tmp_path)
    loaded = clf.artifact_load(path)
    model = tiny_model()
    assert loaded.describe() == model.describe()
    titles, bodies = ["公交车晚点严重"], ["每天早上公交车都晚点半小时"]
    assert np.allclose(loaded.predict_proba(titles, bodies), model.predict_proba(titles, bodies))


def test_missing_and_corrupt_artifacts_raise_model_unavailable(tmp_path: Path) -> None:
    with pytest.raises(ModelUnavailable):
        clf.artifact_load(tmp_path / "none.joblib")
    corrupt = tmp_path / "corrupt.joblib"
    corrupt.write_bytes(b"not a model at all")
    with pytest.raises(ModelUnavailable):
        clf.artifact_load(corrupt)
    foreign = tmp_path / "foreign.joblib"
    clf.joblib.dump({"labels": ["x"]}, foreign)
    with pytest.raises(ModelUnavailable):
        clf.artifact_load(foreign)


def test_store_loads_once_and_reloads_when_the_file_changes(tmp_path: Path) -> None:
    path = tiny_model_file(tmp_path)
    store = ModelStore()
    first = store.get(path)
    assert store.get(path) is first
    clf.artifact_save(tiny_model(), path)
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10_000_000))
    assert store.get(path) is not first
    path.unlink()
    with pytest.raises(ModelUnavailable):
        store.get(path)


def test_scores_per_class_and_macro() -> None:
    result = clf.scores(["a", "a", "b", "b"], ["a", "b", "b", "b"])
    assert result["n"] == 4
    assert result["accuracy"] == 0.75
    assert result["per_class"]["a"] == {"precision": 1.0, "recall": 0.5, "f1": 0.6667, "support": 2}
    assert result["macro_f1"] == pytest.approx((2 / 3 + 0.8) / 2, abs=1e-4)


def test_evaluate_never_fits_the_model() -> None:
    model = tiny_model()
    before = model.describe()
    fitted = model.estimator.calibrated_classifiers_[0].estimator
    coef, rows = fitted.svm_.coef_.copy(), fitted.rows_t_.copy()
    result = clf.evaluate(model, [Message("完全不同的新话题", "学校食堂饭菜太贵", "城乡建设", "raw")] * 3)
    assert result["n"] == 3
    assert model.describe() == before
    assert np.array_equal(fitted.svm_.coef_, coef)
    assert (fitted.rows_t_ != rows).nnz == 0


def test_text_without_chinese_is_recognised() -> None:
    assert clf.has_chinese("路灯")
    assert not clf.has_chinese("hello 123 😀😀")
    assert not clf.has_chinese("")


def test_huge_and_odd_inputs_do_not_break_prediction() -> None:
    model = tiny_model()
    proba = model.predict_proba(["😀" * 10, "\x00\x01", "路灯" * 50_000], ["", "\u200b", "x" * 100_000])
    assert proba.shape == (3, 3)
    assert np.allclose(proba.sum(axis=1), 1.0)


def test_pre_tokenised_rows_overlapping_held_out_or_labelled_messages_are_dropped() -> None:
    labelled = [Message("公司拖欠工资", "我们公司拖欠工资三个月了，请尽快处理。", "劳动和社会保障")]
    held_out = [Message("地铁站电梯故障", "地铁站的电梯坏了一个月，老人上下很不方便。", "交通运输")]
    rows = [
        ("高速 收费站 拥堵 严重 车辆 排队 几公里", "交通运输"),  # new: kept
        ("地铁站 电梯 故障 地铁站 电梯 坏 一个月 老人 上下 方便", "交通运输"),  # the held-out message's words
        ("地铁站 电梯 故障 电梯 坏 一个月 老人 投诉 物业", "交通运输"),  # about half its words: dropped too
        ("公司 拖欠工资 公司 拖欠工资 三个 月 请 尽快 处理", "劳动和社会保障"),  # a labelled message's words
        ("高速 收费站 拥堵 严重 车辆 排队 几公里", "交通运输"),  # repeated
        ("噪音 扰民", ""),  # no label
    ]
    kept, report = clf.tokenized_rows_select(rows, labelled, held_out)
    assert kept == [Message("", "高速收费站拥堵严重车辆排队几公里", "交通运输", clf.TOKENIZED_FORM)]
    assert report == {
        "rows": 6,
        "holdout_overlap": 2,
        "holdout_overlap_at_0_8": 1,
        "labelled_duplicate": 1,
        "repeated": 1,
        "empty": 1,
        "kept": 1,
    }


def test_pre_tokenised_rows_train_in_every_fold_and_are_never_scored() -> None:
    extra = [
        Message("", "高速收费站拥堵严重车辆排队", "交通运输", clf.TOKENIZED_FORM),
        Message("", "养老金发放推迟社保局不回复", "劳动和社会保障", clf.TOKENIZED_FORM),
    ]
    result = clf.cross_validate([*tiny_messages(), *extra], folds=2)
    assert result["all"]["n"] == len(tiny_messages())
    assert clf._weights(["raw", "body_whitespace_stripped", clf.TOKENIZED_FORM]).tolist() == [
        clf.RAW_WEIGHT,
        1.0,
        clf.TOKENIZED_WEIGHT,
    ]


def test_batch_prediction_equals_one_at_a_time() -> None:
    model = tiny_model()
    titles = ["路灯不亮", "公司拖欠工资", "公交车晚点", "物业乱收费"] * 3
    bodies = ["晚上路灯不亮", "老板拖欠工资三个月", "等了一个小时", "小区物业乱收费"] * 3
    batch = model.predict_batch(titles, bodies, chunk=5)
    assert len(batch) == len(titles)
    for (label, probability), title, body in zip(batch, titles, bodies, strict=True):
        best = model.top(title, body, k=1)[0]
        assert label == best[0] and probability == pytest.approx(best[1])
    assert model.predict_batch([], []) == []
