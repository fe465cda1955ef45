"""`dispatch_train` and `dispatch_evaluate` on the tiny fixture (the shipped data set is never loaded here)."""

from __future__ import annotations

import csv
import hashlib
import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from govdesk.dispatch import selectors
from govdesk.dispatch.core import classifier as clf
from govdesk.dispatch.models import DispatchCorrection
from govdesk.workorders.states import Status
from govdesk.workorders.tests.factories import make_order

from .classifier_fixture import tiny_messages, tiny_model_file

HELD_OUT = clf.Message(title="地铁站电梯故障", body="地铁站的电梯坏了一个月，老人上下很不方便。", label="交通运输")
TOKENIZED_ROWS = [
    ("高速 收费站 拥堵 严重 车辆 排队 几公里 希望 增加 收费 窗口", "交通运输"),  # new: kept
    ("地铁站 电梯 故障 地铁站 电梯 坏 一个月 老人 上下 方便", "交通运输"),  # the held-out message: dropped
    ("公司 拖欠 工资 反映 公司 拖欠 工资 情况 已经 持续 很久 请 尽快 处理", "劳动和社会保障"),  # a labelled one
    ("高速 收费站 拥堵 严重 车辆 排队 几公里 希望 增加 收费 窗口", "交通运输"),  # repeated
    ("", "交通运输"),
]


@pytest.fixture
def tiny_data(monkeypatch: pytest.MonkeyPatch) -> list[clf.Message]:
    """The tiny fixture as the labelled messages, no pre-tokenised rows and no held-out split (never the shipped
    files)."""
    messages = tiny_messages()
    monkeypatch.setattr(selectors, "labelled_messages", lambda: list(messages))
    monkeypatch.setattr(selectors, "tokenized_rows", lambda: [])
    monkeypatch.setattr(selectors, "holdout_messages", lambda: [])
    return messages


def test_train_adds_the_pre_tokenised_rows_that_neither_overlap_nor_duplicate(
    tiny_data: list[clf.Message], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(selectors, "tokenized_rows", lambda: list(TOKENIZED_ROWS))
    monkeypatch.setattr(selectors, "holdout_messages", lambda: [HELD_OUT])
    out = tmp_path / "m.joblib"
    text = _run("dispatch_train", "--out", str(out), "--cv-folds", "2", "--exclude-holdout")
    assert "held-out split of 1 excluded" in text
    assert "pre-tokenised rows: 5, kept 1 (dropped: 1 overlapping the held-out split, 1 duplicating" in text
    model = clf.artifact_load(out)
    assert model.n_train == len(tiny_data) + 1
    assert model.metrics["holdout_excluded"] is True
    assert model.metrics["tokenized"]["kept"] == 1
    # Scored rows are the labelled ones only: the pre-tokenised row trains in every fold.
    assert model.metrics["cv"]["all"]["n"] == len(tiny_data)
    without = tmp_path / "without.joblib"
    _run("dispatch_train", "--out", str(without), "--cv-folds", "0", "--without-tokenized")
    assert clf.artifact_load(without).n_train == len(tiny_data) + 1  # the labelled rows and the held-out one


def test_train_learns_from_the_held_out_split_by_default(
    tiny_data: list[clf.Message], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(selectors, "tokenized_rows", lambda: list(TOKENIZED_ROWS))
    monkeypatch.setattr(selectors, "holdout_messages", lambda: [HELD_OUT])
    out = tmp_path / "m.joblib"
    text = _run("dispatch_train", "--out", str(out), "--cv-folds", "0")
    assert f"shipped labelled messages: {len(tiny_data) + 1} (held-out split included)" in text
    # The held-out message is now a labelled one: its pre-tokenised copy is a duplicate, not an overlap.
    assert "pre-tokenised rows: 5, kept 1 (dropped: 2 duplicating a labelled message, 1 repeated, 1 empty)" in text
    model = clf.artifact_load(out)
    assert model.n_train == len(tiny_data) + 2
    assert model.metrics["holdout_excluded"] is False
    assert model.trained_on([HELD_OUT]) == 1
    measuring = tmp_path / "measuring.joblib"
    _run("dispatch_train", "--out", str(measuring), "--cv-folds", "0", "--exclude-holdout")
    assert clf.artifact_load(measuring).trained_on([HELD_OUT]) == 0


def _run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


def _run_both(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_train_writes_a_versioned_artifact_with_metrics(tiny_data: list[clf.Message], tmp_path: Path) -> None:
    out = tmp_path / "models" / "m.joblib"
    text = _run("dispatch_train", "--out", str(out), "--cv-folds", "2")
    assert "cross-validation fold 2/2 done" in text
    assert "cross-validated (2 folds, all" in text and "cross-validated (2 folds, raw" in text
    model = clf.artifact_load(out)
    assert model.fingerprint == clf.fingerprint(tiny_data)
    assert model.labels == ["交通运输", "劳动和社会保障", "城乡建设"]
    assert model.metrics["cv"]["all"]["n"] == len(tiny_data)
    assert model.metrics["include_orders"] is False
    assert json.loads(text.strip().splitlines()[-1]) == {"version": model.version, "fingerprint": model.fingerprint}


def test_train_if_missing_keeps_a_usable_model(tiny_data: Any, tmp_path: Path) -> None:
    out = tiny_model_file(tmp_path)
    before = hashlib.sha256(out.read_bytes()).hexdigest()
    assert "not retraining" in _run("dispatch_train", "--out", str(out), "--if-missing")
    assert hashlib.sha256(out.read_bytes()).hexdigest() == before


def test_train_if_missing_replaces_a_corrupt_file(tiny_data: Any, tmp_path: Path) -> None:
    out = tmp_path / "m.joblib"
    out.write_bytes(b"broken")
    _run("dispatch_train", "--out", str(out), "--if-missing", "--cv-folds", "0")
    assert clf.artifact_load(out).n_train == len(tiny_data)


def test_include_orders_adds_closed_orders_and_corrections(
    tiny_data: Any, people: Any, district: Any, categories: Any, tmp_path: Path
) -> None:
    make_order(people, district, categories.bus, Status.CLOSED, title="公交站牌损坏", content="站牌倒了")
    corrected = make_order(people, district, categories.housing, Status.NEW, title="工资", content="拖欠工资")
    DispatchCorrection.objects.create(
        case=corrected, created_at=corrected.created_at, final_category=categories.wages, final_unit=district.dept_b
    )
    own = {(m.title, m.label) for m in selectors.platform_messages()}
    assert own == {("公交站牌损坏", "交通运输"), ("工资", "劳动和社会保障")}
    out = tmp_path / "m.joblib"
    text = _run("dispatch_train", "--out", str(out), "--include-orders", "--cv-folds", "0")
    assert "platform orders and corrections: 2" in text
    model = clf.artifact_load(out)
    assert model.n_train == len(tiny_data) + 2
    assert model.metrics["include_orders"] is True


def _write_csv(path: Path, rows: list[dict[str, str]], columns: tuple[str, ...] = ("title", "body", "label")) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(columns), extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


EVAL_ROWS = [
    {"title": "路灯坏了", "body": "我们小区的路灯不亮，井盖也破损", "label": "城乡建设"},
    {"title": "工资拖欠", "body": "公司拖欠工资，社保也没交", "label": "劳动和社会保障"},
    {"title": "公交太慢", "body": "公交车晚点，出租车拒载", "label": "交通运输"},
    {"title": "新话题", "body": "这条讲的是公交车晚点", "label": "城乡建设"},
]


def test_evaluate_prints_json_last_and_never_trains(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    model_file = tiny_model_file(tmp_path)
    before = hashlib.sha256(model_file.read_bytes()).hexdigest()
    monkeypatch.setattr(clf, "train", lambda *a, **k: pytest.fail("dispatch_evaluate must not train"))
    monkeypatch.setattr(clf, "_fit", lambda *a, **k: pytest.fail("dispatch_evaluate must not fit"))
    data = _write_csv(tmp_path / "eval.csv", EVAL_ROWS)
    text, warnings = _run_both("dispatch_evaluate", "--csv", str(data), "--model", str(model_file))
    assert "training messages" not in warnings  # none of these rows is a training row
    result = json.loads(text.strip().splitlines()[-1])
    assert result["n"] == 4
    assert set(result) >= {"macro_f1", "accuracy", "n", "per_class"}
    assert result["accuracy"] == 0.75  # the last row's label is deliberately not what its text is about
    assert set(result["per_class"]["城乡建设"]) == {"precision", "recall", "f1", "support"}
    assert result["per_class"]["城乡建设"]["recall"] == 0.5
    assert hashlib.sha256(model_file.read_bytes()).hexdigest() == before
    assert clf.artifact_load(model_file).fingerprint == clf.fingerprint(tiny_messages())


def test_evaluate_uses_the_configured_model_and_reports_forms(tmp_path: Path, settings: Any) -> None:
    settings.GOVDESK = {**settings.GOVDESK, "DISPATCH_MODEL_PATH": str(tiny_model_file(tmp_path))}
    rows = [{**r, "form": "raw" if i % 2 else "body_whitespace_stripped"} for i, r in enumerate(EVAL_ROWS)]
    data = _write_csv(tmp_path / "eval.csv", rows, ("title", "body", "label", "form"))
    result = json.loads(_run("dispatch_evaluate", "--csv", str(data)).strip().splitlines()[-1])
    assert set(result["by_form"]) == {"raw", "body_whitespace_stripped"}


def test_evaluate_errors_are_clear(tmp_path: Path) -> None:
    model_file = tiny_model_file(tmp_path)
    with pytest.raises(CommandError, match="no such file"):
        call_command("dispatch_evaluate", "--csv", str(tmp_path / "nope.csv"), "--model", str(model_file))
    missing = _write_csv(tmp_path / "cols.csv", EVAL_ROWS, ("title", "label"))
    with pytest.raises(CommandError, match="missing column"):
        call_command("dispatch_evaluate", "--csv", str(missing), "--model", str(model_file))
    binary = tmp_path / "binary.csv"
    binary.write_bytes(b"\xff\xfe\x00\x81 not utf-8")
    with pytest.raises(CommandError, match="cannot be read"):
        call_command("dispatch_evaluate", "--csv", str(binary), "--model", str(model_file))
    ok = _write_csv(tmp_path / "ok.csv", EVAL_ROWS)
    with pytest.raises(CommandError, match="dispatch_train"):
        call_command("dispatch_evaluate", "--csv", str(ok), "--model", str(tmp_path / "absent.joblib"))


def test_evaluate_warns_when_the_file_holds_training_messages(
    tiny_data: list[clf.Message], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(selectors, "holdout_messages", lambda: [HELD_OUT])
    everything, measuring = tmp_path / "all.joblib", tmp_path / "measuring.joblib"
    _run("dispatch_train", "--out", str(everything), "--cv-folds", "0")
    _run("dispatch_train", "--out", str(measuring), "--cv-folds", "0", "--exclude-holdout")
    # The held-out message re-spaced, and one labelled message: both training rows of the default model.
    spaced = {"title": "地铁站 电梯故障", "body": "地铁站的电梯\n坏了一个月，老人上下很不方便。", "label": "交通运输"}
    labelled = {"title": tiny_data[0].title, "body": tiny_data[0].body, "label": tiny_data[0].label}
    data = _write_csv(tmp_path / "eval.csv", [*EVAL_ROWS, spaced, labelled])
    text, warnings = _run_both("dispatch_evaluate", "--csv", str(data), "--model", str(everything))
    assert "warning: 2 of 6 messages are among the model's training messages" in warnings
    assert "dispatch_train --exclude-holdout" in warnings
    result = json.loads(text.strip().splitlines()[-1])
    assert result["n"] == 6 and "warning" not in json.dumps(result)
    _text, warnings = _run_both("dispatch_evaluate", "--csv", str(data), "--model", str(measuring))
    assert "warning: 1 of 6 messages are among the model's training messages" in warnings
    assert "--exclude-holdout" not in warnings  # this model already left the split out
