"""A tiny labelled fixture (a few dozen messages, three labels with distinct vocabularies) and a model trained on it
once per test session. Tests never read or train on the shipped data set."""

from __future__ import annotations

from pathlib import Path

from govdesk.dispatch.core.classifier import Classifier, Message, artifact_save, train

_TOPICS = {
    "城乡建设": ["路灯不亮", "小区井盖破损", "道路施工扰民", "违章建筑占道", "自来水停水", "物业乱收费"],
    "劳动和社会保障": ["公司拖欠工资", "社保缴费基数", "养老金发放", "失业保险金领取", "劳动合同纠纷", "医保报销比例"],
    "交通运输": ["公交车晚点", "出租车拒载", "客运班车超载", "网约车乱收费", "公交线路调整", "高速收费站拥堵"],
}
_FRAMES = [
    ("关于{t}的问题", "您好，我想反映{t}的情况，已经持续很久了，请尽快处理。"),
    ("{t}，请领导关注", "尊敬的领导：我们这里{t}，群众意见很大，希望有关部门管一管。谢谢！"),
]


def tiny_messages() -> list[Message]:
    messages = []
    for label, topics in _TOPICS.items():
        for topic in topics:
            for i, (title, body) in enumerate(_FRAMES):
                form = "raw" if i == 0 else "body_whitespace_stripped"
                messages.append(Message(title=title.format(t=topic), body=body.format(t=topic), label=label, form=form))
    return messages


_cache: dict[str, Classifier] = {}


def tiny_model() -> Classifier:
    if "model" not in _cache:
        _cache["model"] = train(tiny_messages(), cv_folds=2)
    return _cache["model"]


def tiny_model_file(folder: Path) -> Path:
    path = folder / "tiny-model.joblib"
    if not path.exists():
        artifact_save(tiny_model(), path)
    return path
