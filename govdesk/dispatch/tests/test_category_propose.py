"""`services.category_propose`: the classifier's level-1 category and leaf for a citizen's own submission, restricted
to a topic's subtree. The model is the tiny fixture's (classifier_fixture), never one trained on the shipped data."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from govdesk.dispatch.selectors import dispatch_model_forget
from govdesk.dispatch.services import category_propose

from .classifier_fixture import tiny_model_file

LAMP = {"title": "市政设施路灯不亮", "content": "小区门口的路灯不亮，井盖也破损了，晚上很危险。"}
WAGES = {"title": "公司拖欠工资", "content": "我们公司拖欠工资三个月了，劳动合同纠纷，请人社部门处理。"}


@pytest.fixture
def model_path(settings: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tiny_model_file(tmp_path_factory.getbasetemp())
    settings.GOVDESK = {**settings.GOVDESK, "DISPATCH_MODEL_PATH": str(path)}
    dispatch_model_forget()
    return path


def test_proposes_the_best_level1_and_its_best_leaf(model_path: Path, categories: Any) -> None:
    proposal = category_propose(**LAMP)
    assert proposal is not None
    assert proposal.level1.path == "城乡建设"
    assert proposal.leaf == categories.facilities
    assert proposal.best == categories.facilities
    assert 0.5 < proposal.confidence <= 1.0
    wages = category_propose(**WAGES)
    assert wages is not None and wages.level1.path == "劳动和社会保障" and wages.leaf == categories.wages


def test_a_topic_restricts_the_proposal_to_its_subtree(model_path: Path, categories: Any) -> None:
    # Unrestricted, this message is about wages; a citizen who picked the municipal-facilities branch keeps it.
    proposal = category_propose(**WAGES, topic="城乡建设/城市建设和市政管理")
    assert proposal is not None
    assert proposal.level1.path == "城乡建设"
    assert proposal.leaf is None or proposal.leaf.path.startswith("城乡建设/城市建设和市政管理/")
    unrestricted = category_propose(**WAGES)
    assert unrestricted is not None and proposal.confidence < unrestricted.confidence
    # A topic given by id works the same; a leaf topic is its own leaf.
    by_id = category_propose(**LAMP, topic=str(categories.branch.pk))
    assert by_id is not None and by_id.leaf == categories.facilities
    leaf_topic = category_propose(**LAMP, topic=categories.greening.path)
    assert leaf_topic is not None and leaf_topic.leaf == categories.greening


def test_none_without_a_model_or_chinese_text_or_a_known_topic(
    settings: Any, tmp_path: Path, model_path: Path, categories: Any
) -> None:
    assert category_propose(title="street light", content="broken 🙂") is None
    assert category_propose(**LAMP, topic="没有这个分类") is None
    settings.GOVDESK = {**settings.GOVDESK, "DISPATCH_MODEL_PATH": str(tmp_path / "missing.joblib")}
    dispatch_model_forget()
    assert category_propose(**LAMP) is None
