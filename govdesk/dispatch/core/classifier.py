"""The category classifier: a citizen's raw Chinese message (title + body) in, the level-1 category out, with
calibrated probabilities. Pure Python + scikit-learn; no ORM, no network.

Features (all TF-IDF with sublinear tf, stacked side by side):
- jieba words of the whitespace-free message (title twice, then the body; the first `WORD_CHARS` characters);
- character 1–3-grams of the whitespace-free message (the first `CHAR_CHARS` characters), so raw bodies with spaces
  and line breaks look like the whitespace-stripped bodies most of the labelled data has;
- character 1–2-grams of the title alone (the citizen's own summary).
The score of a label is a linear SVM's (class-balanced, raw-form rows weighted up, since raw text is what the model
will see) plus `KNN_WEIGHT` × the vote of the `NEIGHBOURS` most similar training messages (cosine on the same
features, each weighted by its similarity to the power `KNN_POWER`): the neighbours recognise the many near-identical
complaints. The sum is calibrated by temperature scaling on 3-fold out-of-fold scores
(`CalibratedClassifierCV(method="temperature")`), which keeps the ranking and turns the scores into probabilities.

Training data: the labelled messages plus the rows of the shipped pre-tokenised file that do not duplicate a labelled
message (nor, when the held-out split is kept out for measuring, overlap it: `tokenized_rows_select`), as title-less
bodies of form `tokenized`. The artifact keeps a digest of each training row (`message_key`) to tell overlap.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import sklearn
from scipy.sparse import csr_matrix, hstack
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support
from sklearn.model_selection import StratifiedKFold
from sklearn.preprocessing import normalize as l2_normalize
from sklearn.svm import LinearSVC

from .text import message_text, normalize, tokenize_compact, tokenize_plain

ARTIFACT_FORMAT = 2
WORD_CHARS = 500
CHAR_CHARS = 300
RAW_WEIGHT = 2.0
SVM_C = 1.0
NEIGHBOURS = 15
KNN_POWER = 4
KNN_WEIGHT = 0.5
# Messages compared with the training rows this many at a time (bounds the dense similarity block's memory).
KNN_CHUNK = 256
# Messages vectorised together by `Classifier.predict_batch`.
BATCH_CHUNK = 1024
MIN_PER_LABEL = 5
# Rows of the shipped pre-tokenised file (words only, stop words and punctuation removed): the form they train as, their
# weight (raw 2, whitespace-stripped 1), and how alike (Jaccard of word sets) a row must be to a held-out message to be
# dropped as overlapping it, or to a labelled training message to be dropped as its duplicate.
TOKENIZED_FORM = "tokenized"
TOKENIZED_WEIGHT = 0.5
HOLDOUT_OVERLAP_JACCARD = 0.5
DUPLICATE_JACCARD = 0.8
# A word of the labelled messages seen this often but never in the tokenised file is one of its stop words.
STOP_WORD_MIN_COUNT = 3
# Texts longer than this are cut before any work: the classifier reads the beginning anyway.
MAX_INPUT_CHARS = 20_000
_SPACE_RE = re.compile(r"\s+")
_CJK_RE = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")

Progress = Callable[[str], None]


class ModelUnavailable(Exception):
    """The artifact is missing, unreadable or not a classifier this code can use."""


@dataclass(frozen=True)
class Message:
    title: str
    body: str
    label: str = ""
    form: str = "raw"


# --- preparing data -------------------------------------------------------------------------------------------------


def _key(m: Message) -> tuple[str, str]:
    return (_SPACE_RE.sub("", m.title), _SPACE_RE.sub("", m.body))


def messages_dedupe(messages: Iterable[Message]) -> tuple[list[Message], int, int]:
    """Exact duplicates (ignoring whitespace) kept once; texts labelled differently dropped altogether.

    Returns (kept, duplicates dropped, conflicting rows dropped).
    """
    items = [m for m in messages if m.label and (m.title.strip() or m.body.strip())]
    labels: dict[tuple[str, str], set[str]] = {}
    for m in items:
        labels.setdefault(_key(m), set()).add(m.label)
    kept: list[Message] = []
    seen: set[tuple[str, str]] = set()
    duplicates = conflicts = 0
    for m in items:
        k = _key(m)
        if len(labels[k]) > 1:
            conflicts += 1
        elif k in seen:
            duplicates += 1
        else:
            seen.add(k)
            kept.append(m)
    return kept, duplicates, conflicts


def message_key(title: str, body: str) -> str:
    """A short digest of a message's title and body, ignoring whitespace (the key `messages_dedupe` uses): the model
    keeps those of its training rows, so `dispatch_evaluate` can tell when it is scored on messages it learnt from."""
    text = f"{_SPACE_RE.sub('', title)}\x1f{_SPACE_RE.sub('', body)}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def fingerprint(messages: Sequence[Message]) -> str:
    """SHA-256 over the training rows (title, body, label, form), in order."""
    digest = hashlib.sha256()
    for m in messages:
        for part in (m.title, m.body, m.label, m.form):
            digest.update(part.encode("utf-8"))
            digest.update(b"\x1f")
        digest.update(b"\x1e")
    return digest.hexdigest()


def _word_sets(documents: Sequence[list[str]], vocabulary: dict[str, int]) -> csr_matrix:
    """One row per document, 1 where the document has the word (words outside `vocabulary` ignored)."""
    indptr, indices = [0], []
    for words in documents:
        indices.extend(sorted({vocabulary[w] for w in words if w in vocabulary}))
        indptr.append(len(indices))
    data = np.ones(len(indices), dtype=np.float32)
    return csr_matrix((data, indices, indptr), shape=(len(documents), len(vocabulary)))


def _best_jaccard(a: csr_matrix, b: csr_matrix, chunk: int = 512) -> np.ndarray:
    """For each row of `a`, the largest Jaccard similarity with any row of `b` (0 when `b` is empty)."""
    best = np.zeros(a.shape[0])
    if b.shape[0] == 0:
        return best
    size_a, size_b = np.asarray(a.sum(axis=1)).ravel(), np.asarray(b.sum(axis=1)).ravel()
    b_t = b.T.tocsr()
    for start in range(0, a.shape[0], chunk):
        shared = (a[start : start + chunk] @ b_t).toarray()
        union = size_a[start : start + chunk, None] + size_b[None, :] - shared
        best[start : start + chunk] = np.divide(shared, union, out=np.zeros_like(shared), where=union > 0).max(axis=1)
    return best


def tokenized_rows_select(
    rows: Sequence[tuple[str, str]], labelled: Sequence[Message], held_out: Sequence[Message]
) -> tuple[list[Message], dict[str, int]]:
    """The pre-tokenised rows (`(space-separated words, label)`) fit to train on, as messages of form `tokenized`.

    The labelled and held-out messages are segmented the way the file was (`tokenize_plain` of title and body), the
    file's stop words (frequent words of the messages that never occur in the file) removed, and each row compared with
    them by the Jaccard similarity of word sets. Dropped: rows overlapping a held-out message (>=
    `HOLDOUT_OVERLAP_JACCARD`: a held-out split must stay unseen, in any form; pass none when nothing is held out),
    rows duplicating a labelled training message (>= `DUPLICATE_JACCARD`: the labelled copy, with its title and
    punctuation, is used instead), repeated rows and rows without a word or label. The body of a kept row is its words
    joined without spaces, which the classifier re-segments like any whitespace-free text; it has no title. Returns
    (messages, counts of what was dropped).
    """
    documents = [(text.split(), label.strip()) for text, label in rows]
    file_counts = Counter(w for words, _label in documents for w in words)

    def words_of(messages: Sequence[Message]) -> list[list[str]]:
        return [tokenize_plain(f"{m.title} {m.body}") for m in messages]

    labelled_words, held_words = words_of(labelled), words_of(held_out)
    counts = Counter(w for words in labelled_words + held_words for w in words)
    stop = {w for w, n in counts.items() if n >= STOP_WORD_MIN_COUNT and file_counts[w] == 0}
    vocabulary = {w: i for i, w in enumerate(sorted(file_counts))}
    file_sets = _word_sets([words for words, _label in documents], vocabulary)

    def sets_of(word_lists: list[list[str]]) -> csr_matrix:
        return _word_sets([[w for w in words if w not in stop] for words in word_lists], vocabulary)

    held_similarity = _best_jaccard(file_sets, sets_of(held_words))
    labelled_similarity = _best_jaccard(file_sets, sets_of(labelled_words))
    report = {"rows": len(documents), "holdout_overlap": 0, "labelled_duplicate": 0, "repeated": 0, "empty": 0}
    kept: list[Message] = []
    seen: set[str] = set()
    for (words, label), held, known in zip(documents, held_similarity, labelled_similarity, strict=True):
        body = "".join(words)
        if not body or not label:
            report["empty"] += 1
        elif held >= HOLDOUT_OVERLAP_JACCARD:
            report["holdout_overlap"] += 1
        elif known >= DUPLICATE_JACCARD:
            report["labelled_duplicate"] += 1
        elif body in seen:
            report["repeated"] += 1
        else:
            seen.add(body)
            kept.append(Message(title="", body=body, label=label, form=TOKENIZED_FORM))
    report["holdout_overlap_at_0_8"] = int((held_similarity >= 0.8).sum())
    report["kept"] = len(kept)
    return kept, report


def _compact(text: str) -> str:
    return _SPACE_RE.sub("", normalize(text))


def _identity(tokens: list[str]) -> list[str]:
    """Analyzer for pre-tokenised input (module level, so the vectoriser pickles)."""
    return tokens


@dataclass(frozen=True)
class Prepared:
    """The three views of each message the vectorisers read. Tokenising is the slow part: done once per message."""

    words: list[list[str]]
    chars: list[str]
    titles: list[str]

    def subset(self, index: Sequence[int] | np.ndarray) -> Prepared:
        return Prepared([self.words[i] for i in index], [self.chars[i] for i in index], [self.titles[i] for i in index])


def prepare(titles: Sequence[str], bodies: Sequence[str]) -> Prepared:
    words, chars, heads = [], [], []
    for title, body in zip(titles, bodies, strict=True):
        title = (title or "")[:MAX_INPUT_CHARS]
        text = message_text(title, (body or "")[:MAX_INPUT_CHARS])
        words.append(tokenize_compact(text[:WORD_CHARS]))
        chars.append(_compact(text[: CHAR_CHARS * 2])[:CHAR_CHARS])
        heads.append(_compact(title))
    return Prepared(words, chars, heads)


def has_chinese(text: str) -> bool:
    return bool(_CJK_RE.search(text or ""))


# --- the model ------------------------------------------------------------------------------------------------------


class Featurizer:
    def __init__(self) -> None:
        self.words = TfidfVectorizer(analyzer=_identity, sublinear_tf=True, min_df=2, dtype=np.float32)
        self.chars = TfidfVectorizer(
            analyzer="char", ngram_range=(1, 3), sublinear_tf=True, min_df=2, lowercase=False, dtype=np.float32
        )
        self.titles = TfidfVectorizer(
            analyzer="char", ngram_range=(1, 2), sublinear_tf=True, min_df=2, lowercase=False, dtype=np.float32
        )

    def fit_transform(self, data: Prepared) -> csr_matrix:
        parts = [
            self.words.fit_transform(data.words),
            self.chars.fit_transform(data.chars),
            self.titles.fit_transform(data.titles),
        ]
        for vectorizer in (self.words, self.chars, self.titles):
            # The pruned terms are only kept for introspection; they would double the artifact.
            vectorizer.stop_words_ = None
        return hstack(parts, format="csr")

    def transform(self, data: Prepared) -> csr_matrix:
        return hstack(
            [self.words.transform(data.words), self.chars.transform(data.chars), self.titles.transform(data.titles)],
            format="csr",
        )

    @property
    def n_features(self) -> int:
        return sum(len(v.vocabulary_) for v in (self.words, self.chars, self.titles))


def _weights(forms: Sequence[str]) -> np.ndarray:
    by_form = {"raw": RAW_WEIGHT, TOKENIZED_FORM: TOKENIZED_WEIGHT}
    return np.array([by_form.get(f, 1.0) for f in forms])


class SvmKnn(ClassifierMixin, BaseEstimator):
    """A class-balanced linear SVM's scores plus `knn_weight` × the neighbours' vote (module level: it pickles).

    The vote for a label: Σ similarity**power over the `neighbours` training rows most similar (cosine) to the message
    that carry the label, divided by the same sum over all labels, so votes lie in [0, 1] and add up to 1.
    """

    def __init__(
        self, C: float = SVM_C, neighbours: int = NEIGHBOURS, power: float = KNN_POWER, knn_weight: float = KNN_WEIGHT
    ) -> None:
        self.C = C
        self.neighbours = neighbours
        self.power = power
        self.knn_weight = knn_weight

    def fit(self, x: Any, y: Any, sample_weight: Any = None) -> SvmKnn:
        labels = np.asarray(y)
        self.svm_ = LinearSVC(C=self.C, class_weight="balanced").fit(x, labels, sample_weight=sample_weight)
        self.classes_ = self.svm_.classes_
        # Transposed once here, so that each prediction is one sparse product.
        self.rows_t_ = l2_normalize(csr_matrix(x, dtype=np.float32)).T.tocsr()
        self.rows_label_ = np.searchsorted(self.classes_, labels).astype(np.int16)
        return self

    def votes(self, x: Any) -> np.ndarray:
        """The neighbours' vote per label (columns in `classes_` order), one row per row of `x`."""
        queries = l2_normalize(csr_matrix(x, dtype=np.float32))
        n, k = queries.shape[0], min(self.neighbours, len(self.rows_label_))
        out = np.zeros((n, len(self.classes_)))
        for start in range(0, n, KNN_CHUNK):
            similarity = (queries[start : start + KNN_CHUNK] @ self.rows_t_).toarray()
            nearest = np.argpartition(-similarity, k - 1, axis=1)[:, :k]
            weight = np.take_along_axis(similarity, nearest, axis=1).clip(min=0) ** self.power
            rows = np.repeat(np.arange(len(nearest))[:, None], k, axis=1)
            np.add.at(out[start : start + KNN_CHUNK], (rows, self.rows_label_[nearest]), weight)
        total = out.sum(axis=1, keepdims=True)
        return np.divide(out, total, out=np.zeros_like(out), where=total > 0)

    def decision_function(self, x: Any) -> np.ndarray:
        scores = np.asarray(self.svm_.decision_function(x), dtype=np.float64)
        votes = self.votes(x)
        if scores.ndim == 1:  # two labels: one score, positive for classes_[1], as scikit-learn's binary classifiers
            return scores + self.knn_weight * (votes[:, 1] - votes[:, 0])
        return scores + self.knn_weight * votes

    def predict(self, x: Any) -> np.ndarray:
        scores = self.decision_function(x)
        best = (scores > 0).astype(int) if scores.ndim == 1 else scores.argmax(axis=1)
        return np.asarray(self.classes_[best])


def _svm() -> SvmKnn:
    return SvmKnn()


@dataclass
class Classifier:
    featurizer: Featurizer
    estimator: CalibratedClassifierCV
    labels: list[str]
    version: str
    created_at: str
    fingerprint: str
    metrics: dict[str, Any] = field(default_factory=dict)
    sklearn_version: str = sklearn.__version__
    n_train: int = 0
    format: int = ARTIFACT_FORMAT
    # `message_key` of every training row (empty in artifacts written before issue 15: overlap is then unknown).
    train_keys: frozenset[str] = field(default=frozenset(), repr=False)

    def predict_proba(self, titles: Sequence[str], bodies: Sequence[str]) -> np.ndarray:
        """Probabilities per message, columns in `self.labels` order."""
        if not titles:
            return np.zeros((0, len(self.labels)))
        features = self.featurizer.transform(prepare(titles, bodies))
        proba = self.estimator.predict_proba(features)
        order = [list(self.estimator.classes_).index(label) for label in self.labels]
        return np.asarray(proba[:, order])

    def predict_batch(
        self, titles: Sequence[str], bodies: Sequence[str], *, chunk: int = BATCH_CHUNK
    ) -> list[tuple[str, float]]:
        """The best label and its probability per message, `chunk` messages at a time (memory stays bounded for any
        number of messages; per message it costs the same as `predict_proba`, minus the per-call overhead)."""
        out: list[tuple[str, float]] = []
        for start in range(0, len(titles), chunk):
            proba = self.predict_proba(titles[start : start + chunk], bodies[start : start + chunk])
            best = proba.argmax(axis=1)
            out.extend((self.labels[i], float(proba[row, i])) for row, i in enumerate(best))
        return out

    def trained_on(self, messages: Sequence[Message]) -> int:
        """How many of `messages` are training rows of this model (same title and body, ignoring whitespace)."""
        return sum(1 for m in messages if message_key(m.title, m.body) in self.train_keys)

    def top(self, title: str, body: str, k: int = 3) -> list[tuple[str, float]]:
        proba = self.predict_proba([title], [body])[0]
        best = np.argsort(-proba)[:k]
        return [(self.labels[i], float(proba[i])) for i in best]

    def predict(self, titles: Sequence[str], bodies: Sequence[str]) -> list[str]:
        proba = self.predict_proba(titles, bodies)
        return [self.labels[i] for i in proba.argmax(axis=1)]

    def describe(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "created_at": self.created_at,
            "labels": list(self.labels),
            "fingerprint": self.fingerprint,
            "sklearn_version": self.sklearn_version,
            "n_train": self.n_train,
            "metrics": self.metrics,
        }


# --- scoring --------------------------------------------------------------------------------------------------------


def scores(truth: Sequence[str], predicted: Sequence[str], labels: Sequence[str] | None = None) -> dict[str, Any]:
    """macro-F1, accuracy, n and per-class precision / recall / F1 / support."""
    names = sorted(set(truth) | set(predicted)) if labels is None else list(labels)
    names += sorted((set(truth) | set(predicted)) - set(names))
    if not truth:
        return {"n": 0, "macro_f1": 0.0, "accuracy": 0.0, "per_class": {}}
    present = [n for n in names if n in set(truth)]
    precision, recall, f1, support = precision_recall_fscore_support(truth, predicted, labels=names, zero_division=0)
    return {
        "n": len(truth),
        "macro_f1": round(float(f1_score(truth, predicted, labels=present, average="macro", zero_division=0)), 4),
        "accuracy": round(float(accuracy_score(truth, predicted)), 4),
        "per_class": {
            name: {
                "precision": round(float(precision[i]), 4),
                "recall": round(float(recall[i]), 4),
                "f1": round(float(f1[i]), 4),
                "support": int(support[i]),
            }
            for i, name in enumerate(names)
        },
    }


def _fit(data: Prepared, labels: Sequence[str], forms: Sequence[str]) -> tuple[Featurizer, CalibratedClassifierCV]:
    featurizer = Featurizer()
    x = featurizer.fit_transform(data)
    y = np.asarray(labels)
    folds = int(min(3, np.bincount(np.unique(y, return_inverse=True)[1]).min()))
    estimator = CalibratedClassifierCV(_svm(), method="temperature", cv=max(folds, 2), ensemble=False)
    estimator.fit(x, y, sample_weight=_weights(forms))
    return featurizer, estimator


def cross_validate(
    messages: Sequence[Message],
    *,
    folds: int = 5,
    seed: int = 0,
    progress: Progress | None = None,
    prepared: Prepared | None = None,
) -> dict[str, Any]:
    """Stratified k-fold scores of the uncalibrated SVM + neighbours (vectorisers fitted inside each fold), overall and
    on raw rows (calibration keeps the ranking, so these are the calibrated model's predictions too).

    Pre-tokenised rows (form `tokenized`) are in every fold's training part and never scored: they are not text the
    model will see."""
    say = progress or (lambda _msg: None)
    data = prepared or prepare([m.title for m in messages], [m.body for m in messages])
    labels_all = np.asarray([m.label for m in messages])
    forms = [m.form for m in messages]
    always = np.array([i for i, f in enumerate(forms) if f == TOKENIZED_FORM], dtype=int)
    scored = np.array([i for i, f in enumerate(forms) if f != TOKENIZED_FORM], dtype=int)
    y = labels_all[scored]
    predicted = np.empty(len(y), dtype=object)
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for number, (train_part, test_part) in enumerate(splitter.split(np.zeros(len(y)), y), start=1):
        train = np.concatenate([scored[train_part], always])
        featurizer = Featurizer()
        x_train = featurizer.fit_transform(data.subset(train))
        svm = _svm().fit(x_train, labels_all[train], sample_weight=_weights([forms[i] for i in train]))
        predicted[test_part] = svm.predict(featurizer.transform(data.subset(scored[test_part])))
        say(f"cross-validation fold {number}/{folds} done")
    labels = sorted(set(y))
    raw = np.array([forms[i] == "raw" for i in scored], dtype=bool)
    result: dict[str, Any] = {"folds": folds, "all": scores(list(y), list(predicted), labels)}
    if raw.any():
        result["raw"] = scores(list(y[raw]), list(predicted[raw]), labels)
    return result


def train(
    messages: Sequence[Message],
    *,
    cv_folds: int = 5,
    seed: int = 0,
    progress: Progress | None = None,
    now: datetime | None = None,
) -> Classifier:
    """Dedupe, optionally cross-validate, fit the final calibrated model on every row, and describe it."""
    say = progress or (lambda _msg: None)
    started = time.monotonic()
    rows, duplicates, conflicts = messages_dedupe(messages)
    counts = Counter(m.label for m in rows)
    rare = sorted(label for label, n in counts.items() if n < MIN_PER_LABEL)
    rows = [m for m in rows if m.label not in rare]
    labels = sorted({m.label for m in rows})
    if len(labels) < 2:
        raise ValueError(f"training needs at least two labels with {MIN_PER_LABEL} or more messages each")
    say(f"{len(rows)} messages, {len(labels)} labels ({duplicates} duplicates, {conflicts} conflicting rows dropped)")
    if rare:
        say(f"labels with fewer than {MIN_PER_LABEL} messages left out: {', '.join(rare)}")
    data = prepare([m.title for m in rows], [m.body for m in rows])
    say(f"tokenised in {time.monotonic() - started:.1f} s")
    metrics: dict[str, Any] = {"duplicates_dropped": duplicates, "conflicts_dropped": conflicts, "rare_labels": rare}
    if cv_folds >= 2:
        scored = Counter(m.label for m in rows if m.form != TOKENIZED_FORM)
        smallest = min(scored[label] for label in labels)
        folds = min(cv_folds, smallest)
        if folds >= 2:
            metrics["cv"] = cross_validate(rows, folds=folds, seed=seed, progress=say, prepared=data)
    say("fitting the final model")
    featurizer, estimator = _fit(data, [m.label for m in rows], [m.form for m in rows])
    moment = now or datetime.now(UTC)
    digest = fingerprint(rows)
    metrics["train_seconds"] = round(time.monotonic() - started, 1)
    metrics["n_features"] = featurizer.n_features
    return Classifier(
        featurizer=featurizer,
        estimator=estimator,
        labels=labels,
        version=f"{moment.strftime('%Y%m%dT%H%M%SZ')}-{digest[:8]}",
        created_at=moment.isoformat(),
        fingerprint=digest,
        metrics=metrics,
        n_train=len(rows),
        train_keys=frozenset(message_key(m.title, m.body) for m in rows),
    )


def evaluate(model: Classifier, messages: Sequence[Message]) -> dict[str, Any]:
    """Scores of `model` on labelled messages; never fits anything. Adds per-form scores when forms differ."""
    predicted = model.predict([m.title for m in messages], [m.body for m in messages])
    truth = [m.label for m in messages]
    result = scores(truth, predicted, model.labels)
    forms = sorted({m.form for m in messages})
    if len(forms) > 1:
        result["by_form"] = {
            form: scores(
                [t for t, m in zip(truth, messages, strict=True) if m.form == form],
                [p for p, m in zip(predicted, messages, strict=True) if m.form == form],
                model.labels,
            )
            for form in forms
        }
    result["model_version"] = model.version
    return result


# --- the artifact ---------------------------------------------------------------------------------------------------


def artifact_save(model: Classifier, path: Path) -> int:
    """Write atomically (a reader never sees half a file); returns the size in bytes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    joblib.dump(model, tmp, compress=3)
    os.replace(tmp, path)
    return path.stat().st_size


def artifact_load(path: Path) -> Classifier:
    """Load and check an artifact; anything wrong raises ModelUnavailable (never something else)."""
    if not path.exists():
        raise ModelUnavailable(f"no model file at {path.name}")
    try:
        model = joblib.load(path)
    except Exception as exc:  # a corrupt or foreign file can fail in many ways inside unpickling
        raise ModelUnavailable(f"the model file {path.name} cannot be read ({type(exc).__name__})") from exc
    if not isinstance(model, Classifier) or model.format != ARTIFACT_FORMAT or not model.labels:
        raise ModelUnavailable(f"the model file {path.name} is not a classifier of format {ARTIFACT_FORMAT}")
    return model


class ModelStore:
    """One loaded model per process and path, reloaded when the file changes (mtime, size). Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._path: Path | None = None
        self._stamp: tuple[int, int] | None = None
        self._model: Classifier | None = None

    def get(self, path: Path) -> Classifier:
        try:
            stat = path.stat()
        except OSError as exc:
            raise ModelUnavailable(f"no model file at {path.name}") from exc
        stamp = (stat.st_mtime_ns, stat.st_size)
        model = self._model
        if model is not None and self._path == path and self._stamp == stamp:
            return model
        with self._lock:
            if self._model is not None and self._path == path and self._stamp == stamp:
                return self._model
            loaded = artifact_load(path)
            self._path, self._stamp, self._model = path, stamp, loaded
            return loaded

    def clear(self) -> None:
        with self._lock:
            self._path = self._stamp = self._model = None
