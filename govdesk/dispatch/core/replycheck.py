"""The reply check, pure: does a unit's reply answer the citizen's request, and is it complete?

Completeness is four elements a reply to a citizen should hold (DOMAIN: 答复 = what was verified, what was done, the
result, a contact), found by regular expressions derived from 2,779 real official replies
(`data/messages_replies.csv.gz`; `manage.py replycheck_build` prints how often each is found there). Relevance is the
cosine between TF-IDF vectors of the request and the reply (jieba words, IDF fitted on the real messages and replies),
calibrated into a probability that the reply belongs to this request by a one-feature logistic fit on real pairs
(own message vs a random other message). No ORM, no Django: the service layer stores and translates.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import math
import random
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .text import message_text, tokenize

ARTIFACT_FORMAT = 1
# Replies longer than the order's content limit cannot be stored, so the check refuses them too.
MAX_LENGTH = 4000
# Fewer letters/digits than this cannot say what was verified, done and achieved ("已处理", "收到").
MIN_LENGTH = 15
# Below this calibrated relevance the reply most likely answers another request.
RELEVANCE_FLOOR = 0.3
DEFAULT_THRESHOLD = 0.6

ELEMENTS = ("verified", "action", "result", "contact")
# Completeness = the weights of the elements found. Contact weighs least: official replies on the message board often
# leave it out (the board itself is the channel), while a phone reply without verification or result is useless.
ELEMENT_WEIGHTS = {"verified": 0.25, "action": 0.3, "result": 0.3, "contact": 0.15}
# A consultation (咨询) is answered, not investigated: the answer is its result; nothing needs verifying.
CONSULTATION_WEIGHTS = {"verified": 0.0, "action": 0.15, "result": 0.6, "contact": 0.25}
RELEVANCE_WEIGHT = 0.5

# --- element detectors ----------------------------------------------------------------------------------------------

_VERIFIED = (
    r"核实|核查|查实|调查|经查|据查|查明|查看|查验|察看|了解到|经了解|据了解|了解情况|实地|到现场|赴现场|现场(?:查看|核实|勘察|勘查|检查|调查|走访|测量)"
    r"|摸底|走访|排查|检查|勘察|勘查|踏勘|调阅|查阅|查询|询问|约谈|经审核|经审查|经核[实查准定]?|经研究|比对|测量|检测|监测|取证|回访"
)
_ACTION = (
    r"已(?!收悉|收到|阅|悉|知悉|受理|转来)|(?<![现特])将(?![^，,。；;]{0,12}(?:回复|答复)如下)|立即|及时|正在|拟|会同|责成|责令|督促"
    r"|要求|协调|安排|组织|约谈|交办|转交|移交|转(?:至|给|到|送|办|请)|整改|查处|清理|清运|拆除|维修|修复|抢修|更换|安装|落实"
    r"|开展|执法|取缔|处罚|立案|下达|整治|加强|下一步|纳入|启动|督办|处置|办理|处理|疏通|补发|退还|发放|调解|部署|告知|派员|派出"
)
_RESULT = (
    r"结果|已解决|得到解决|予以解决|已完成|完成了|已修复|修复完毕|已恢复|恢复正常|目前|现已|截至|已于|已全部|办结|竣工|预计|将于|计划于"
    r"|已(?:经)?(?:拆除|清理|清运|整改|修复|维修|更换|安装|开通|落实|退还|发放|补发|支付|到位|处罚|立案|解决|完成|取缔|关停|停止"
    r"|撤除|纠正|改正|恢复|疏通|投入使用|通车|办理|纳入|退费|退款|通过|签订|批复|审批|建立|制定|到账|下达)"
    r"|妥善|圆满|正在(?:施工|办理|进行|实施|建设|审核|推进)|属于"
    r"|(?:答复|回复)如下[:：]?\s*\S{20,}|不存在|(?:情况)?属实|符合|不属于|无法|暂不|暂无|可以|可向|可到|可持|可在|可通过"
    r"|需(?:要)?(?:提供|携带|持|办理|带)|带齐|携带|办理即可|即可|规定|标准为|标准是|条件为|条件是|根据[^。；;]{0,30}(?:规定|办法|条例|法|政策|文件)|依据|按照[^。；;]{0,30}(?:规定|办法|标准|政策)"
)
_PHONE = (
    r"(?<![0-9A-Za-z])(?:0\d{2,3}[-－—–\s]?(?:\d{3,4}[-－—–\s]?)?\d{7,8}|1[3-9]\d{9}"
    r"|\d{3,4}[-－—–]\d{7,8}|\d{8}|12345)(?!\d)"
)
_CONTACT = (
    r"联系电话|联系人|咨询电话|服务电话|办公电话|值班电话|投诉电话|举报电话|热线|联系方式|致电|拨打|来电|电话[:：]|电话\d"
    r"|联系我(?:们|单位|局|办|中心|科|所|委|部门)|与我(?:们|单位|局|办|中心|科|所|委)联系|与[^，,。；;]{1,15}联系|联系[^，,。；;]{0,10}(?:电话|方式)"
    r"|" + _PHONE
)

PATTERNS: dict[str, re.Pattern[str]] = {
    "verified": re.compile(_VERIFIED),
    "action": re.compile(_ACTION),
    "result": re.compile(_RESULT),
    "contact": re.compile(_CONTACT),
}
PHONE_RE = re.compile(_PHONE)
_CJK_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def clean(text: str) -> str:
    """NFKC, control characters as spaces (digits kept: phone numbers matter here)."""
    text = unicodedata.normalize("NFKC", text or "")
    return "".join(" " if unicodedata.category(ch)[0] == "C" and ch not in "\n\t" else ch for ch in text)


def content_length(text: str) -> int:
    """Letters and digits (Chinese characters are letters); punctuation, spaces and emoji do not count."""
    return sum(1 for ch in clean(text) if unicodedata.category(ch)[0] in "LN")


def cjk_count(text: str) -> int:
    return len(_CJK_RE.findall(text or ""))


def elements_find(reply: str) -> dict[str, str]:
    """For each element found, the words that showed it ("经核实", "0358-1234567"); missing elements are absent."""
    text = clean(reply)
    found: dict[str, str] = {}
    for name in ELEMENTS:
        match = PATTERNS[name].search(text)
        if match is not None:
            found[name] = match.group(0).strip()[:40]
    return found


def element_weights(*, consultation: bool = False) -> dict[str, float]:
    return CONSULTATION_WEIGHTS if consultation else ELEMENT_WEIGHTS


def completeness(found: Iterable[str], *, consultation: bool = False) -> float:
    weights = element_weights(consultation=consultation)
    return round(sum(weights[name] for name in set(found) if name in weights), 4)


# --- relevance ------------------------------------------------------------------------------------------------------


def relevance_tokens(text: str) -> list[str]:
    """jieba words without numbers (normalize() turns digits into 0: they tell nothing about the topic)."""
    return [w for w in tokenize(text) if w.strip("0.") and not w.isdigit()]


@dataclass(frozen=True)
class RelevanceModel:
    """IDF weights and the logistic calibration of cosine → probability that the reply answers this request."""

    idf: dict[str, float]
    default_idf: float
    slope: float
    intercept: float
    version: str = "untrained"
    metrics: dict[str, Any] = field(default_factory=dict)

    def vector(self, tokens: Sequence[str]) -> dict[str, float]:
        counts = Counter(tokens)
        vec = {w: (1.0 + math.log(c)) * self.idf.get(w, self.default_idf) for w, c in counts.items()}
        norm = math.sqrt(sum(x * x for x in vec.values()))
        return {w: x / norm for w, x in vec.items()} if norm else {}

    def cosine_tokens(self, request_tokens: Sequence[str], reply_tokens: Sequence[str]) -> float:
        a, b = self.vector(request_tokens), self.vector(reply_tokens)
        if len(a) > len(b):
            a, b = b, a
        return min(1.0, sum(x * b.get(w, 0.0) for w, x in a.items()))

    def calibrate(self, cosine: float) -> float:
        z = self.slope * math.log(max(cosine, 0.0) + COSINE_EPS) + self.intercept
        return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))


COSINE_EPS = 1e-3


def idf_fit(documents: Iterable[Sequence[str]], *, min_df: int = 2) -> tuple[dict[str, float], float]:
    """Smoothed IDF (as scikit-learn's): log((1 + n) / (1 + df)) + 1. Words seen fewer than `min_df` times are
    left out of the table (keeps the artifact small) and get the default, which is the IDF of an unseen word."""
    df: Counter[str] = Counter()
    n = 0
    for doc in documents:
        n += 1
        df.update(set(doc))
    idf = {w: round(math.log((1 + n) / (1 + c)) + 1.0, 4) for w, c in df.items() if c >= min_df}
    return idf, round(math.log(1 + n) + 1.0, 4)


def logistic_fit(xs: Sequence[float], ys: Sequence[int], *, iterations: int = 50) -> tuple[float, float]:
    """One-feature logistic regression by Newton's method (a tiny ridge keeps it finite on separable data)."""
    a, b = 0.0, 0.0
    ridge = 1e-3
    for _ in range(iterations):
        g_a = g_b = h_aa = h_ab = h_bb = 0.0
        for x, y in zip(xs, ys, strict=True):
            p = 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, a * x + b))))
            w = p * (1 - p)
            g_a += (p - y) * x
            g_b += p - y
            h_aa += w * x * x
            h_ab += w * x
            h_bb += w
        g_a += ridge * a
        h_aa += ridge
        h_bb += 1e-9
        det = h_aa * h_bb - h_ab * h_ab
        if det <= 0:
            break
        step_a = (h_bb * g_a - h_ab * g_b) / det
        step_b = (h_aa * g_b - h_ab * g_a) / det
        a, b = a - step_a, b - step_b
        if abs(step_a) < 1e-9 and abs(step_b) < 1e-9:
            break
    return a, b


def auc(positives: Sequence[float], negatives: Sequence[float]) -> float:
    """Area under the ROC curve: the chance that a random positive scores above a random negative (ties half)."""
    if not positives or not negatives:
        return float("nan")
    ranked = sorted([(s, 1) for s in positives] + [(s, 0) for s in negatives])
    rank_sum = 0.0
    i = 0
    while i < len(ranked):
        j = i
        while j < len(ranked) and ranked[j][0] == ranked[i][0]:
            j += 1
        mean_rank = (i + j + 1) / 2  # 1-based ranks i+1..j
        rank_sum += mean_rank * sum(label for _, label in ranked[i:j])
        i = j
    n_pos, n_neg = len(positives), len(negatives)
    return (rank_sum - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)


def relevance_model_fit(
    messages: Sequence[str], replies: Sequence[str], *, seed: int = 0, version: str = ""
) -> RelevanceModel:
    """IDF over messages and replies; calibration on (reply, own message) = 1 vs (reply, another message) = 0."""
    return relevance_model_fit_tokens(
        [relevance_tokens(m) for m in messages], [relevance_tokens(r) for r in replies], seed=seed, version=version
    )


def relevance_model_fit_tokens(
    msg_tokens: Sequence[Sequence[str]], reply_tokens: Sequence[Sequence[str]], *, seed: int = 0, version: str = ""
) -> RelevanceModel:
    if len(msg_tokens) != len(reply_tokens) or len(msg_tokens) < 2:
        raise ValueError("need at least two (message, reply) pairs")
    idf, default_idf = idf_fit([*msg_tokens, *reply_tokens])
    model = RelevanceModel(idf=idf, default_idf=default_idf, slope=1.0, intercept=0.0, version=version)
    positives, negatives = pair_cosines(model, msg_tokens, reply_tokens, seed=seed)
    xs = [math.log(c + COSINE_EPS) for c in [*positives, *negatives]]
    ys = [1] * len(positives) + [0] * len(negatives)
    slope, intercept = logistic_fit(xs, ys)
    return RelevanceModel(
        idf=idf, default_idf=default_idf, slope=round(slope, 6), intercept=round(intercept, 6), version=version
    )


def pair_cosines(
    model: RelevanceModel, msg_tokens: Sequence[Sequence[str]], reply_tokens: Sequence[Sequence[str]], *, seed: int = 0
) -> tuple[list[float], list[float]]:
    """Cosine of each reply with its own message, and with one random other message."""
    rng = random.Random(seed)  # noqa: S311 - sampling, not security
    n = len(msg_tokens)
    positives, negatives = [], []
    for i in range(n):
        j = rng.randrange(n - 1)
        j = j + 1 if j >= i else j
        positives.append(model.cosine_tokens(msg_tokens[i], reply_tokens[i]))
        negatives.append(model.cosine_tokens(msg_tokens[j], reply_tokens[i]))
    return positives, negatives


def untrained_model() -> RelevanceModel:
    """Used when the artifact is missing or corrupt: every word weighs the same; calibrated roughly by hand."""
    return RelevanceModel(idf={}, default_idf=1.0, slope=1.6, intercept=4.0, version="fallback")


def model_save(model: RelevanceModel, path: Path, *, extra: dict[str, Any] | None = None) -> None:
    body = {
        "format": ARTIFACT_FORMAT,
        "version": model.version,
        "default_idf": model.default_idf,
        "calibration": {"slope": model.slope, "intercept": model.intercept, "feature": "log(cosine + 0.001)"},
        "metrics": model.metrics,
        **(extra or {}),
        "idf": dict(sorted(model.idf.items())),
    }
    raw = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    # mtime=0: the same model gives the same bytes.
    with open(tmp, "wb") as fh, gzip.GzipFile(fileobj=fh, mode="wb", mtime=0) as gz:
        gz.write(raw)
    tmp.replace(path)


def model_load(path: Path) -> RelevanceModel:
    """Raises ValueError (or OSError) when the file is missing, not ours or damaged."""
    try:
        with gzip.open(path, "rb") as fh:
            body = json.loads(fh.read().decode())
    except (EOFError, gzip.BadGzipFile, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"reply-check model {path.name} is damaged: {exc}") from exc
    if not isinstance(body, dict) or body.get("format") != ARTIFACT_FORMAT or not isinstance(body.get("idf"), dict):
        raise ValueError(f"reply-check model {path.name} is not a format-{ARTIFACT_FORMAT} artifact")
    calibration = body.get("calibration") or {}
    return RelevanceModel(
        idf={str(k): float(v) for k, v in body["idf"].items()},
        default_idf=float(body["default_idf"]),
        slope=float(calibration["slope"]),
        intercept=float(calibration["intercept"]),
        version=str(body.get("version", "")),
        metrics=dict(body.get("metrics") or {}),
    )


def fingerprint(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --- the score ------------------------------------------------------------------------------------------------------

# Reason codes, in the order an explanation lists them; the service layer turns them into sentences.
REASONS = (
    "empty",
    "no_chinese",
    "too_short",
    "low_relevance",
    "partial_relevance",
    "missing_verified",
    "missing_action",
    "missing_result",
    "missing_contact",
    "below_threshold",
)


@dataclass(frozen=True)
class ReplyScore:
    score: float
    relevance: float
    cosine: float
    completeness: float
    elements: dict[str, bool]
    evidence: dict[str, str]
    reasons: list[str]
    is_weak: bool
    length: int
    threshold: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "score": self.score,
            "relevance": self.relevance,
            "cosine": self.cosine,
            "completeness": self.completeness,
            "elements": dict(self.elements),
            "evidence": dict(self.evidence),
            "reasons": list(self.reasons),
            "is_weak": self.is_weak,
            "length": self.length,
            "threshold": self.threshold,
        }


def reply_score(
    model: RelevanceModel,
    *,
    request: str,
    reply: str,
    threshold: float = DEFAULT_THRESHOLD,
    consultation: bool = False,
    request_tokens: Sequence[str] | None = None,
    reply_tokens: Sequence[str] | None = None,
) -> ReplyScore:
    """Score a reply in [0, 1]: the mean of relevance and completeness, damped when the reply is very short or barely
    related. `is_weak` when the score is below `threshold`, the relevance below RELEVANCE_FLOOR or the reply shorter
    than MIN_LENGTH. A consultation weighs the elements differently (CONSULTATION_WEIGHTS). Never raises on odd text
    (empty, emoji, control characters, other languages): it scores low. Tokens may be passed in when already known."""
    reply = (reply or "")[: MAX_LENGTH * 2]
    length = content_length(reply)
    evidence = elements_find(reply) if length else {}
    elements = {name: name in evidence for name in ELEMENTS}
    weights = element_weights(consultation=consultation)
    complete = completeness(evidence, consultation=consultation)
    if request_tokens is None:
        request_tokens = relevance_tokens((request or "")[: MAX_LENGTH * 3])
    if reply_tokens is None:
        reply_tokens = relevance_tokens(reply) if length else []
    cosine = model.cosine_tokens(request_tokens, reply_tokens) if request_tokens and reply_tokens else 0.0
    relevance = model.calibrate(cosine) if reply_tokens else 0.0
    if not request_tokens:
        # Nothing to compare with (an empty request): relevance cannot be judged, so it neither helps nor hurts.
        relevance = 0.5 if reply_tokens else 0.0
    base = RELEVANCE_WEIGHT * relevance + (1 - RELEVANCE_WEIGHT) * complete
    damp = min(1.0, relevance / RELEVANCE_FLOOR) * min(1.0, length / MIN_LENGTH)
    score = round(max(0.0, min(1.0, base * damp)), 4)

    reasons: list[str] = []
    if length == 0:
        reasons.append("empty")
    else:
        if cjk_count(reply) == 0:
            reasons.append("no_chinese")
        if length < MIN_LENGTH:
            reasons.append("too_short")
        if relevance < RELEVANCE_FLOOR:
            reasons.append("low_relevance")
        elif relevance < 0.6:
            reasons.append("partial_relevance")
        reasons.extend(f"missing_{name}" for name in ELEMENTS if not elements[name] and weights[name] > 0)
    is_weak = score < threshold or relevance < RELEVANCE_FLOOR or length < MIN_LENGTH
    if score < threshold:
        reasons.append("below_threshold")
    return ReplyScore(
        score=score,
        relevance=round(relevance, 4),
        cosine=round(cosine, 4),
        completeness=complete,
        elements=elements,
        evidence=evidence,
        reasons=reasons,
        is_weak=is_weak,
        length=length,
        threshold=threshold,
    )


def request_text(title: str, content: str, address: str = "") -> str:
    return message_text(title, content, address)


# --- evaluation on real replies -------------------------------------------------------------------------------------

CONSULTATION_TITLE_RE = re.compile(r"咨询|请问|询问|想问|问一下|问问|是否可以|能否|怎么办理|如何办理")
# What a careless handler types: none of these may pass.
DEGENERATE_REPLIES = (
    "已处理",
    "收到",
    "已收悉",
    "好的",
    "已转相关部门处理。",
    "网友：您好！留言已收悉",
    "谢谢",
    "👍👍👍",
)


def _quantiles(values: Sequence[float], points: Sequence[float] = (0.1, 0.25, 0.5, 0.75, 0.9)) -> dict[str, float]:
    ordered = sorted(values)
    if not ordered:
        return {}
    return {f"p{int(p * 100)}": round(ordered[min(len(ordered) - 1, int(p * len(ordered)))], 4) for p in points}


def reply_check_evaluate(
    model: RelevanceModel,
    *,
    requests: Sequence[str],
    replies: Sequence[str],
    consultation: Sequence[bool],
    request_tokens: Sequence[Sequence[str]],
    reply_tokens: Sequence[Sequence[str]],
    threshold: float = DEFAULT_THRESHOLD,
    seed: int = 1,
) -> dict[str, Any]:
    """Measure the check on real pairs the model was not fitted on.

    Relevance: each reply with its own message (positive) vs a random other message (negative): AUC, and accuracy of
    the calibrated probability at 0.5 and of the weak-flag floor. Completeness: how often each element is found, and
    the distribution. Score: the share of real replies flagged weak, of replies pasted onto another message, and of
    degenerate replies ("已处理", "收到", ...).
    """
    n = len(replies)
    rng = random.Random(seed)  # noqa: S311 - sampling, not security
    others = []
    for i in range(n):
        j = rng.randrange(n - 1)
        others.append(j + 1 if j >= i else j)
    pos = [model.cosine_tokens(request_tokens[i], reply_tokens[i]) for i in range(n)]
    neg = [model.cosine_tokens(request_tokens[others[i]], reply_tokens[i]) for i in range(n)]
    pos_p = [model.calibrate(c) for c in pos]
    neg_p = [model.calibrate(c) for c in neg]
    own = [
        reply_score(
            model,
            request=requests[i],
            reply=replies[i],
            threshold=threshold,
            consultation=consultation[i],
            request_tokens=request_tokens[i],
            reply_tokens=reply_tokens[i],
        )
        for i in range(n)
    ]
    pasted = [
        reply_score(
            model,
            request=requests[others[i]],
            reply=replies[i],
            threshold=threshold,
            consultation=consultation[others[i]],
            request_tokens=request_tokens[others[i]],
            reply_tokens=reply_tokens[i],
        )
        for i in range(n)
    ]
    degenerate = [
        reply_score(model, request=requests[i], reply=d, threshold=threshold, request_tokens=request_tokens[i])
        for i in range(0, n, max(1, n // 50))
        for d in DEGENERATE_REPLIES
    ]
    substantive = [s for s in own if s.length >= 50]

    def share(items: Sequence[ReplyScore], attr: str = "is_weak") -> float:
        return round(sum(1 for s in items if getattr(s, attr)) / len(items), 4) if items else 0.0

    histogram = Counter(s.completeness for s in own)
    return {
        "n": n,
        "relevance_auc": round(auc(pos, neg), 4),
        "relevance_accuracy": round((sum(p >= 0.5 for p in pos_p) + sum(p < 0.5 for p in neg_p)) / (2 * n), 4),
        "relevance_floor_accuracy": round(
            (sum(p >= RELEVANCE_FLOOR for p in pos_p) + sum(p < RELEVANCE_FLOOR for p in neg_p)) / (2 * n), 4
        ),
        "cosine_own": _quantiles(pos),
        "cosine_other": _quantiles(neg),
        "element_coverage": {name: round(sum(1 for s in own if s.elements[name]) / n, 4) for name in ELEMENTS},
        "completeness": {
            **_quantiles([s.completeness for s in own]),
            "mean": round(sum(s.completeness for s in own) / n, 4),
            "histogram": {f"{k:.2f}": v for k, v in sorted(histogram.items())},
        },
        "score_own": _quantiles([s.score for s in own]),
        "weak_share_real": share(own),
        "weak_share_real_50_chars_or_more": share(substantive),
        "weak_share_pasted_from_another_message": share(pasted),
        "weak_share_degenerate": share(degenerate),
        "consultations": sum(1 for c in consultation if c),
        "threshold": threshold,
    }
