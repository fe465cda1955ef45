"""Hotspots: recent messages clustered by topic and place, ranked by size and growth. Pure Python + scikit-learn.

Topic: TF-IDF over character 2- and 3-grams of the title (twice) and the start of the body, clustered with DBSCAN
(cosine distance, on the sparse graph of pairs that share an n-gram). Character n-grams need no word segmentation
(computed with numpy, far faster than jieba on thousands of messages) and match place names ("丽发新城",
"伊景园滨河苑") that jieba splits. DBSCAN finds dense groups and leaves the rest as noise, so one-off messages
never make a hotspot and the number of clusters need not be guessed.
Place: a cluster whose members lie in different streets is split by street; members without a known street join the
largest street group.
Keywords: jieba words (core.text.tokenize) of the members' titles, stop words removed, ranked by TF-IDF against the
titles of the input (a sample of at most KEYWORD_BACKGROUND of the others).
Growth: the messages of the previous period of the same length are clustered together with the current ones, so each
cluster knows its size now and before. Rank: size + max(0, size - previous size), i.e. growth counts as much again.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.cluster import DBSCAN
from sklearn.feature_extraction.text import TfidfVectorizer

from .text import normalize, tokenize

# Distance (1 - cosine similarity) within which two messages are neighbours; tuned on messages_hot.csv.
EPS = 0.7
MIN_SAMPLES = 3
BODY_CHARS = 200
MAX_KEYWORDS = 5
MAX_EXAMPLES = 3
KEYWORD_BACKGROUND = 500

_NOT_WORD_RE = re.compile(r"[\W_]+")
_DIGITS_RE = re.compile(r"\d+")

# Function words and message boilerplate that say nothing about the topic.
_STOP_WORDS_TEXT = """
    的 了 是 在 我 有 和 就 不 人 都 一 一个 上 也 很 到 说 要 去 你 会 着 没有 看 好 自己 这 那 我们 他们 你们 您好
    你好 请问 反映 问题 希望 相关 部门 领导 政府 市民 谢谢 请 关于 能 对 为 与 及 或 但 而 等 被 把 让 给 从 向 以 之 其
    该 此 已 已经 还 又 再 才 并 因为 所以 如果 虽然 但是 可以 没 什么 怎么 为什么 如何 是否 这个 那个 这些 那些 现在
    目前 一直 非常 严重 情况 进行 解决 处理 尽快 多次 居民 小区 投诉 咨询 建议 举报 求助 何时 有关 能否 哪里 存在 要求
    a市 a0区 a0县 市 区 县 年 月 日 号 时 个 能不能 可否 我们 大家 业主 请求 恳请 市长 书记 领导们 一下 一些 这样
    那么 怎样 以及 对于 以后 之前 之后 没有 不是 不能 不要 还是 就是 只是 不会 为何 何"""
STOP_WORDS = frozenset(_STOP_WORDS_TEXT.split())


@dataclass
class HotDoc:
    key: Any
    title: str
    content: str
    place: str
    created_at: datetime
    current: bool


@dataclass
class HotCluster:
    keywords: list[str]
    place: str
    members: list[int]
    previous_members: list[int]
    size: int = 0
    previous_size: int = 0
    growth: float = 0.0
    score: float = 0.0
    examples: list[int] = field(default_factory=list)


def topic_text(title: str, content: str) -> str:
    """What the topic is read from: the title twice (the citizen's own summary) and the start of the body."""
    # normalize() without its per-character loop: control characters are non-word characters and go with the rest.
    text = unicodedata.normalize("NFKC", f"{title} {title} {(content or '')[:BODY_CHARS]}").lower()
    return _NOT_WORD_RE.sub(" ", _DIGITS_RE.sub("0", text)).strip()


def keyword_tokens(text: str) -> list[str]:
    """jieba words without stop words, single characters and numbers: what a keyword may be."""
    return [w for w in tokenize(text) if len(w) > 1 and w not in STOP_WORDS and any(not ch.isdigit() for ch in w)]


def _ngram_matrix(texts: list[str]) -> sparse.csr_matrix | None:
    """TF-IDF rows (sublinear tf, smooth idf, l2-normalised) over the character 2- and 3-grams of each text that do
    not cross a space. Vectorised with numpy (each n-gram is an integer of 21-bit code points), several times faster
    than a Python analyzer. Returns None when no n-gram is shared by two texts."""
    n = len(texts)
    row_ids: list[np.ndarray] = []
    codes_all: list[np.ndarray] = []
    counts_all: list[np.ndarray] = []
    space = np.uint64(32)
    for i, text in enumerate(texts):
        points = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
        if len(points) < 2:
            continue
        bi = (points[:-1] << np.uint64(21)) | points[1:]
        bi = bi[(points[:-1] != space) & (points[1:] != space)]
        tri = (points[:-2] << np.uint64(42)) | (points[1:-1] << np.uint64(21)) | points[2:] | np.uint64(1 << 63)
        tri = tri[(points[:-2] != space) & (points[1:-1] != space) & (points[2:] != space)]
        codes, counts = np.unique(np.concatenate([bi, tri]), return_counts=True)
        row_ids.append(np.full(len(codes), i, dtype=np.int64))
        codes_all.append(codes)
        counts_all.append(counts)
    if not codes_all:
        return None
    rows = np.concatenate(row_ids)
    vocabulary, cols = np.unique(np.concatenate(codes_all), return_inverse=True)
    df = np.bincount(cols, minlength=len(vocabulary))
    # N-grams in more than 5% of the messages are boilerplate ("a市", "请问") on a real volume; on a small input the
    # limit is 50 messages instead, so a topic shared by a handful of messages is not mistaken for boilerplate.
    max_df = max(0.05 * n, min(n, 50))
    keep = (df >= 2) & (df <= max_df)
    if not keep.any():
        return None
    selected = keep[cols]
    idf = np.log((1 + n) / (1 + df)) + 1
    values = (1 + np.log(np.concatenate(counts_all)[selected])) * idf[cols[selected]]
    matrix = sparse.csr_matrix((values, (rows[selected], cols[selected])), shape=(n, len(vocabulary)))
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sparse.csr_matrix(sparse.diags(1 / norms) @ matrix)


def _labels(texts: list[str], eps: float, min_samples: int) -> np.ndarray:
    labels = np.full(len(texts), -1, dtype=int)
    if sum(1 for t in texts if t) < min_samples:
        return labels
    matrix = _ngram_matrix(texts)
    if matrix is None:
        return labels
    # Neighbours within eps as a sparse precomputed distance graph: only pairs sharing an n-gram are ever compared.
    similarity = (matrix @ matrix.T).tocoo()
    close = similarity.data >= 1 - eps
    distance = np.maximum(1 - similarity.data[close], 1e-9)
    graph = sparse.csr_matrix((distance, (similarity.row[close], similarity.col[close])), shape=similarity.shape)
    found = DBSCAN(metric="precomputed", eps=eps, min_samples=min_samples).fit_predict(graph)
    return np.asarray(found, dtype=int)


def _split_by_place(members: list[int], docs: list[HotDoc], min_size: int) -> list[list[int]]:
    """One group per street with at least `min_size` members; the others join the largest group."""
    by_place: dict[str, list[int]] = {}
    for i in members:
        by_place.setdefault(docs[i].place, []).append(i)
    big = sorted(
        (members_ for place, members_ in by_place.items() if place and len(members_) >= min_size),
        key=len,
        reverse=True,
    )
    if len(big) <= 1:
        return [members]
    rest = [i for i in members if not any(i in group for group in big)]
    big[0] = big[0] + rest
    return big


def _keywords(clusters: list[HotCluster], docs: list[HotDoc]) -> None:
    """Top words of each cluster's titles by TF-IDF. Only the clusters' titles and a fixed sample of the others are
    segmented (jieba is the slow part), the sample standing in for "all titles" in the document frequencies."""
    chosen = sorted({i for c in clusters for i in c.members + c.previous_members})
    others = [i for i in range(len(docs)) if i not in set(chosen)]
    step = max(1, len(others) // KEYWORD_BACKGROUND)
    rows = chosen + others[::step][:KEYWORD_BACKGROUND]
    position = {doc_index: row for row, doc_index in enumerate(rows)}
    vectorizer = TfidfVectorizer(tokenizer=keyword_tokens, token_pattern=None, lowercase=False, sublinear_tf=True)
    try:
        matrix = vectorizer.fit_transform([normalize(docs[i].title) for i in rows])
    except ValueError:  # no keyword in any title
        return
    terms = vectorizer.get_feature_names_out()
    for cluster in clusters:
        members = [position[i] for i in cluster.members + cluster.previous_members]
        weights = np.asarray(matrix[members].sum(axis=0)).ravel()
        order = weights.argsort()[::-1]
        cluster.keywords = [str(terms[j]) for j in order[:MAX_KEYWORDS] if weights[j] > 0]


def hotspots_cluster(
    docs: list[HotDoc], *, eps: float = EPS, min_samples: int = MIN_SAMPLES, limit: int = 20
) -> list[HotCluster]:
    """Clusters with at least one current message, best first (at most `limit`)."""
    texts = [topic_text(d.title, d.content) for d in docs]
    labels = _labels(texts, eps, min_samples)
    groups: dict[int, list[int]] = {}
    for i, label in enumerate(labels):
        if label >= 0:
            groups.setdefault(int(label), []).append(i)
    clusters: list[HotCluster] = []
    for members in groups.values():
        for group in _split_by_place(members, docs, min_samples):
            current = sorted((i for i in group if docs[i].current), key=lambda i: docs[i].created_at, reverse=True)
            if not current:
                continue
            previous = [i for i in group if not docs[i].current]
            places = Counter(docs[i].place for i in group if docs[i].place)
            place, count = places.most_common(1)[0] if places else ("", 0)
            size, previous_size = len(current), len(previous)
            clusters.append(
                HotCluster(
                    keywords=[],
                    place=place if count * 2 >= len(group) else "",
                    members=current,
                    previous_members=previous,
                    size=size,
                    previous_size=previous_size,
                    growth=round((size - previous_size) / max(previous_size, 1), 3),
                    score=size + max(0, size - previous_size),
                    examples=current[:MAX_EXAMPLES],
                )
            )
    clusters.sort(key=lambda c: (-c.score, -c.size, -docs[c.members[0]].created_at.timestamp()))
    clusters = clusters[:limit]
    _keywords(clusters, docs)
    return clusters
