"""Knowledge search: ranks published articles and service guides for what a caller says. No ORM, no Django.

Every text (title, body, tags and the query alike) becomes terms of three kinds:

- jieba words of two characters or more (`w停水`), of titles, tags and the query (not bodies): precision when the
  caller's words are the question's;
- character bigrams of each run of Chinese characters (`b停水`): a caller's or operator's typo ("公积全") still
  shares most bigrams of the word, and words jieba cuts differently in a spoken sentence still meet;
- synonym groups (`s17`, from `knowledge/data/synonyms.txt`): 没水, 停水 and 断水 are one term, so a caller saying
  没水 finds the article that says 停水.

Weights are BM25 (k1 = 1.2, b = 0.75) over one field-weighted bag of terms: a title term counts three times a body
term (the title is the question as callers ask it), a tag twice; a query term weighs its IDF times 1 + ln(its count).
The score is the BM25 sum divided by the most the query could score (every term saturated), so it lies in 0-1: the
share of the query's weighted evidence a document carries. (Ranking by the cosine of the BM25 vectors instead was
worse on the shipped message/reply pairs: recall@1 0.754 against 0.789, querying 1,000 messages' bodies with
jieba words in bodies too; without them 0.799.)
The document-term matrix is a scipy CSC matrix: a query reads only the columns of its (at most `MAX_QUERY_TERMS`,
most specific first) terms, and passages are extracted for the returned hits only.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

import jieba
import numpy as np
from scipy import sparse

from govdesk.dispatch.core import text as dispatch_text

K1 = 1.2
B = 0.75
TITLE_WEIGHT = 3.0
TAG_WEIGHT = 2.0
# A 200-character spoken query has ~300 distinct terms; the most specific 48 decide the ranking and keep a query to
# a few dozen sparse columns.
MAX_QUERY_TERMS = 48
MAX_QUERY_CHARS = 1000
PASSAGE_CHARS = 120
# Terms this common (in over ~40% of documents) rank weakly and would paint half a passage: never highlighted.
HIGHLIGHT_MIN_IDF = 0.8

SYNONYMS_PATH = Path(__file__).resolve().parents[1] / "data" / "synonyms.txt"

# Words that carry no subject in a caller's sentence (bigrams of them fall to their low IDF).
STOPWORDS = frozenset(
    [
        "您好",
        "你好",
        "请问",
        "谢谢",
        "感谢",
        "我们",
        "你们",
        "他们",
        "我家",
        "这个",
        "那个",
        "这里",
        "那里",
        "什么",
        "怎么",
        "怎么办",
        "为什么",
        "一个",
        "一下",
        "现在",
        "已经",
        "可以",
        "能否",
        "是否",
        "希望",
        "有关",
        "相关",
        "部门",
        "领导",
        "反映",
        "情况",
        "问题",
        "进行",
        "如果",
        "因为",
        "所以",
        "但是",
        "而且",
        "还是",
        "就是",
        "然后",
        "自己",
    ]
)

_CJK_RUN_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_ALNUM_RE = re.compile(r"[a-z0-9]{2,}")
_SENTENCE_END_RE = re.compile(r"[。！？!?；;\n]+")
# Full-width ASCII and the ideographic space to their half-width forms, one character for one (offsets survive).
_FOLD_TABLE = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
_NO_VALID_TO = np.iinfo(np.int32).max


def fold(text: str) -> str:
    """Half-width, lower-case copy of `text` with exactly its length, so offsets in the copy are offsets in `text`."""
    folded = text.translate(_FOLD_TABLE)
    lowered = folded.lower()
    if len(lowered) == len(folded):
        return lowered
    # A few characters ("İ") lower to two: keep those as they are.
    return "".join(low if len(low := ch.lower()) == 1 else ch for ch in folded)


@dataclass(frozen=True, slots=True)
class SearchDocument:
    key: str
    kind: str
    title: str
    body: str
    tags: tuple[str, ...] = ()
    valid_from: date | None = None
    valid_to: date | None = None


@dataclass(frozen=True, slots=True)
class Hit:
    key: str
    kind: str
    score: float
    passage: str
    highlights: list[tuple[int, int]]


class Synonyms:
    """Groups of interchangeable phrases, one group per line of the file (blank lines and `#` comments ignored)."""

    def __init__(self, groups: Iterable[Iterable[str]]) -> None:
        self.groups: list[tuple[str, ...]] = []
        self.group_of: dict[str, int] = {}
        for group in groups:
            phrases = tuple(dict.fromkeys(fold(p.strip()) for p in group if len(p.strip()) >= 2))
            if len(phrases) < 2:
                continue
            index = len(self.groups)
            self.groups.append(phrases)
            for phrase in phrases:
                # A phrase listed in two groups belongs to the first: one meaning per phrase.
                self.group_of.setdefault(phrase, index)
        # Phrases by their first two characters: a text is checked only for phrases whose start is among its
        # Chinese character pairs. The few phrases that do not start with two Chinese characters are always checked.
        self._by_start: dict[str, list[str]] = {}
        self._always: list[str] = []
        for phrase in self.group_of:
            if _CJK_RUN_RE.fullmatch(phrase[:2]):
                self._by_start.setdefault(phrase[:2], []).append(phrase)
            else:
                self._always.append(phrase)
        self._starts = frozenset(self._by_start)

    @classmethod
    def from_text(cls, text: str) -> Synonyms:
        lines = (line.split("#", 1)[0].split() for line in text.splitlines())
        return cls(line for line in lines if line)

    def occurrences(self, folded: str, bigrams: Iterable[str]) -> list[tuple[int, int]]:
        """(group, count) for every group with a phrase in `folded`; `bigrams` are its Chinese character pairs."""
        counts: dict[int, int] = {}
        candidates = [p for start in self._starts.intersection(bigrams) for p in self._by_start[start]]
        for phrase in candidates + self._always:
            found = folded.count(phrase)
            if found:
                group = self.group_of[phrase]
                counts[group] = counts.get(group, 0) + found
        return list(counts.items())


@lru_cache(maxsize=1)
def default_synonyms() -> Synonyms:
    return Synonyms.from_text(SYNONYMS_PATH.read_text(encoding="utf-8"))


class Analyzer:
    """Text to terms (with repeats). The same analysis serves documents and queries."""

    def __init__(self, synonyms: Synonyms) -> None:
        self.synonyms = synonyms
        # The dispatch helpers initialise jieba's shared dictionary once (with their domain words); tokenising
        # through them first means every index and query of the process sees the same dictionary.
        dispatch_text.tokenize("")

    def terms(self, text: str, *, words: bool = True) -> list[str]:
        """`words=False`: bigrams and synonyms only (how bodies are indexed)."""
        folded = fold(text)
        terms = (
            [
                "w" + word
                for word in jieba.lcut(folded, HMM=False)
                if len(word) >= 2 and word not in STOPWORDS and not word.isspace()
            ]
            if words
            # Numbers and Latin words (12345, etc) stay words in a body too: bigrams cover only Chinese runs.
            else ["w" + token for token in _ALNUM_RE.findall(folded)]
        )
        pairs: list[str] = []
        for run in _CJK_RUN_RE.findall(folded):
            pairs.extend(run[i : i + 2] for i in range(len(run) - 1))
        terms.extend("b" + pair for pair in pairs)
        if self.synonyms.groups:
            for group, count in self.synonyms.occurrences(folded, pairs):
                terms.extend([f"s{group}"] * count)
        return terms


@dataclass(slots=True)
class _Analysis:
    """One document's terms, kept so that a rebuild after one publication re-analyses only what changed."""

    fingerprint: tuple[str, str, tuple[str, ...]]
    term_ids: np.ndarray
    frequencies: np.ndarray
    length: float


class KnowledgeIndex:
    """An immutable index of documents; build a new one (passing the old as `reuse`) when the documents change."""

    def __init__(self) -> None:
        self.analyzer: Analyzer
        self.documents: list[SearchDocument] = []
        self._vocabulary: dict[str, int] = {}
        self._analyses: dict[str, _Analysis] = {}
        self._matrix = sparse.csc_matrix((0, 0), dtype=np.float32)
        self._idf = np.zeros(0, dtype=np.float32)
        self._kind_names: list[str] = []
        self._kinds = np.zeros(0, dtype=np.int16)
        self._valid_from = np.zeros(0, dtype=np.int32)
        self._valid_to = np.zeros(0, dtype=np.int32)

    def __len__(self) -> int:
        return len(self.documents)

    @classmethod
    def build(
        cls,
        docs: Iterable[SearchDocument],
        *,
        synonyms: Synonyms | None = None,
        reuse: KnowledgeIndex | None = None,
    ) -> KnowledgeIndex:
        """Index `docs` (keys unique; a later duplicate key replaces an earlier one).

        `reuse`: a previous index built with the same synonyms; documents whose title, body and tags are unchanged
        take its analysis instead of being tokenised again (jieba is most of a build's cost).
        """
        index = cls()
        synonyms = synonyms or default_synonyms()
        if reuse is not None and reuse.analyzer.synonyms is synonyms:
            index.analyzer = reuse.analyzer
            index._vocabulary = dict(reuse._vocabulary)
            previous = reuse._analyses
        else:
            index.analyzer = Analyzer(synonyms)
            previous = {}
        by_key = {doc.key: doc for doc in docs}
        index.documents = list(by_key.values())
        kind_codes: dict[str, int] = {}
        kinds, valid_from, valid_to = [], [], []
        for doc in index.documents:
            fingerprint = (doc.title, doc.body, tuple(doc.tags))
            analysis = previous.get(doc.key)
            if analysis is None or analysis.fingerprint != fingerprint:
                analysis = index._analyse(doc, fingerprint)
            index._analyses[doc.key] = analysis
            kinds.append(kind_codes.setdefault(doc.kind, len(kind_codes)))
            valid_from.append(doc.valid_from.toordinal() if doc.valid_from else 0)
            valid_to.append(doc.valid_to.toordinal() if doc.valid_to else _NO_VALID_TO)
        index._kind_names = list(kind_codes)
        index._kinds = np.asarray(kinds, dtype=np.int16)
        index._valid_from = np.asarray(valid_from, dtype=np.int32)
        index._valid_to = np.asarray(valid_to, dtype=np.int32)
        index._weigh([index._analyses[doc.key] for doc in index.documents])
        return index

    def _analyse(self, doc: SearchDocument, fingerprint: tuple[str, str, tuple[str, ...]]) -> _Analysis:
        frequencies: dict[int, float] = {}
        vocabulary = self._vocabulary
        length = 0.0
        # Bodies without jieba words: on the shipped message/reply pairs that ranked better (recall@1 0.799 against
        # 0.789) and builds in half the time; titles and tags, short and worded like the caller, keep their words.
        fields = [(doc.title, TITLE_WEIGHT, True), (doc.body, 1.0, False)]
        fields += [(tag, TAG_WEIGHT, True) for tag in doc.tags]
        for text, weight, words in fields:
            terms = self.analyzer.terms(text, words=words)
            length += weight * len(terms)
            for term, count in Counter(terms).items():
                term_id = vocabulary.setdefault(term, len(vocabulary))
                frequencies[term_id] = frequencies.get(term_id, 0.0) + weight * count
        return _Analysis(
            fingerprint=fingerprint,
            term_ids=np.fromiter(frequencies.keys(), dtype=np.int32, count=len(frequencies)),
            frequencies=np.fromiter(frequencies.values(), dtype=np.float32, count=len(frequencies)),
            length=length,
        )

    def _weigh(self, analyses: Sequence[_Analysis]) -> None:
        n_docs, n_terms = len(analyses), len(self._vocabulary)
        sizes = np.fromiter((a.term_ids.size for a in analyses), dtype=np.int64, count=n_docs)
        indptr = np.zeros(n_docs + 1, dtype=np.int64)
        np.cumsum(sizes, out=indptr[1:])
        if n_docs:
            indices = np.concatenate([a.term_ids for a in analyses])
            tf = np.concatenate([a.frequencies for a in analyses])
        else:
            indices, tf = np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.float32)
        lengths = np.fromiter((a.length for a in analyses), dtype=np.float32, count=n_docs)
        average_length = float(lengths.mean()) if n_docs and lengths.mean() > 0 else 1.0
        df = np.bincount(indices, minlength=n_terms).astype(np.float32)
        self._idf = np.log1p((n_docs - df + 0.5) / (df + 0.5)).astype(np.float32)
        row_norm = (K1 * (1 - B + B * lengths / average_length)).astype(np.float32)
        weights = self._idf[indices] * tf * (K1 + 1) / (tf + np.repeat(row_norm, sizes))
        matrix = sparse.csr_matrix((weights.astype(np.float32), indices, indptr), shape=(n_docs, n_terms))
        self._matrix = matrix.tocsc()

    def _query_terms(self, query: str) -> dict[str, tuple[int, float]]:
        """The query's most specific terms known to the index: term → (column, query weight)."""
        counts: dict[str, int] = {}
        for term in self.analyzer.terms(query[:MAX_QUERY_CHARS]):
            counts[term] = counts.get(term, 0) + 1
        n_columns = self._matrix.shape[1]
        weighted = []
        for term, count in counts.items():
            column = self._vocabulary.get(term)
            if column is None or column >= n_columns or self._idf[column] <= 0:
                continue
            weighted.append((float(self._idf[column]) * (1.0 + math.log(count)), term, column))
        weighted.sort(reverse=True)
        return {term: (column, weight) for weight, term, column in weighted[:MAX_QUERY_TERMS]}

    def search(
        self,
        query: str,
        *,
        limit: int = 5,
        kinds: Collection[str] | None = None,
        today: date | None = None,
    ) -> list[Hit]:
        """The best `limit` documents for `query`, valid on `today` (default: the system date), of `kinds`."""
        if limit <= 0 or not self.documents or not query.strip():
            return []
        terms = self._query_terms(query)
        if not terms:
            return []
        columns = np.fromiter((c for c, _ in terms.values()), dtype=np.int64, count=len(terms))
        query_weights = np.fromiter((w for _, w in terms.values()), dtype=np.float32, count=len(terms))
        dots = np.asarray(self._matrix[:, columns] @ query_weights).ravel()
        candidates = np.flatnonzero(dots > 0)
        if candidates.size == 0:
            return []
        day = (today or date.today()).toordinal()  # noqa: DTZ011 - a date, the caller passes the local one
        keep = (self._valid_from[candidates] <= day) & (self._valid_to[candidates] >= day)
        if kinds is not None:
            wanted = [self._kind_names.index(k) for k in kinds if k in self._kind_names]
            keep &= np.isin(self._kinds[candidates], wanted)
        candidates = candidates[keep]
        if candidates.size == 0:
            return []
        ceiling = float(query_weights @ self._idf[columns]) * (K1 + 1)
        scores = dots[candidates] / ceiling
        best = np.argpartition(-scores, limit - 1)[:limit] if candidates.size > limit else np.arange(candidates.size)
        # Ties (same score) in index order: stable results for the same query.
        best = best[np.lexsort((candidates[best], -scores[best]))]
        # A tiny index cannot tell common from specific (two documents: a term in one has IDF ln 2): there the bar
        # is just under the rarest term's IDF.
        rarest = math.log1p((len(self.documents) - 0.5) / 1.5)
        bar = min(HIGHLIGHT_MIN_IDF, 0.9 * rarest)
        needles = self._needles({t: float(self._idf[c]) for t, (c, _) in terms.items() if self._idf[c] >= bar})
        hits = []
        for position in best:
            doc = self.documents[int(candidates[position])]
            passage, highlights = _passage(doc, needles)
            score = min(1.0, float(scores[position]))
            hits.append(Hit(doc.key, doc.kind, round(score, 4), passage, highlights))
        return hits

    def _needles(self, terms: dict[str, float]) -> list[tuple[str, float]]:
        needles: dict[str, float] = {}
        for term, weight in terms.items():
            if term[0] == "s":
                for phrase in self.analyzer.synonyms.groups[int(term[1:])]:
                    needles[phrase] = max(needles.get(phrase, 0.0), weight)
            else:
                needles[term[1:]] = max(needles.get(term[1:], 0.0), weight)
        return list(needles.items())


def _passage(doc: SearchDocument, needles: list[tuple[str, float]]) -> tuple[str, list[tuple[int, int]]]:
    """The body's sentence (or 120-character window) richest in the query's terms, with the matches' offsets."""
    text = doc.body.strip() or doc.title.strip()
    folded = fold(text)
    spans: list[tuple[int, int, str, float]] = []
    for needle, weight in needles:
        start = folded.find(needle)
        while start >= 0:
            spans.append((start, start + len(needle), needle, weight))
            start = folded.find(needle, start + 1)
    sentences = _sentences(text)
    best_start, best_end, best_weight = sentences[0][0], sentences[0][1], -1.0
    for start, end in sentences:
        weight = sum({n: w for s, e, n, w in spans if s >= start and e <= end}.values())
        if weight > best_weight:
            best_start, best_end, best_weight = start, end, weight
    start, end = best_start, best_end
    if end - start > PASSAGE_CHARS:
        start, end = _densest_window(spans, start, end)
    else:
        # A short sentence takes its neighbours while they fit: "请携带身份证。" alone says little.
        following = [s for s in sentences if s[0] >= end]
        for _next_start, next_end in following:
            if next_end - start > PASSAGE_CHARS:
                break
            end = next_end
        preceding = [s for s in sentences if s[1] <= start]
        for previous_start, _previous_end in reversed(preceding):
            if end - previous_start > PASSAGE_CHARS:
                break
            start = previous_start
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    highlights: list[list[int]] = []
    for s, e, _needle, _weight in sorted(spans):
        if s < start or e > end:
            continue
        s, e = s - start, e - start
        if highlights and s <= highlights[-1][1]:
            highlights[-1][1] = max(highlights[-1][1], e)
        else:
            highlights.append([s, e])
    return text[start:end], [(s, e) for s, e in highlights]


def _sentences(text: str) -> list[tuple[int, int]]:
    """[start, end) of each sentence, its closing punctuation included."""
    bounds = []
    start = 0
    for match in _SENTENCE_END_RE.finditer(text):
        if match.end() > start:
            bounds.append((start, match.end()))
        start = match.end()
    if start < len(text) or not bounds:
        bounds.append((start, len(text)))
    return bounds


def _densest_window(spans: list[tuple[int, int, str, float]], start: int, end: int) -> tuple[int, int]:
    """The PASSAGE_CHARS window of [start, end) holding the most distinct matched weight, a little before its first."""
    inside = sorted((s, e, n, w) for s, e, n, w in spans if s >= start and e <= end)
    best_from, best_weight = start, -1.0
    for s, _e, _n, _w in inside:
        window_from = max(start, min(s - 10, end - PASSAGE_CHARS))
        window_to = window_from + PASSAGE_CHARS
        weight = sum({n: w for s2, e2, n, w in inside if s2 >= window_from and e2 <= window_to}.values())
        if weight > best_weight:
            best_from, best_weight = window_from, weight
    return best_from, min(end, best_from + PASSAGE_CHARS)
