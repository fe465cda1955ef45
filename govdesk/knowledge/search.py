"""Knowledge search over the database: published articles and the matter catalogue's published guides.

The index (`core.search.KnowledgeIndex`) is built once per process and kept while `selectors.knowledge_stamp()`
(two aggregate queries) stays the same; a publication, a withdrawal or a new guide version changes the stamp, so the
next query rebuilds it. A rebuild re-analyses only the documents whose text changed (the previous index's analyses
are reused), so after one publication it costs the database read and the matrix assembly, not the tokenising.
Validity (valid_from/valid_to) is filtered at query time, so the index stays right across midnight.
"""

from __future__ import annotations

import threading
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Prefetch
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from govdesk.common.refcache import ReferenceCache
from govdesk.matters.models import MatterMaterial
from govdesk.matters.selectors import matters_published

from . import selectors
from .core.search import KnowledgeIndex, SearchDocument

KINDS = ("article", "guide")
MAX_LIMIT = 20


@dataclass(frozen=True, slots=True)
class KnowledgeResult:
    id: int | None  # the article's pk; None for a guide
    code: str  # ZS000001, or the matter's code
    kind: str  # "article" | "guide"
    title: str
    answer: str  # the article's full answer; a guide's conditions and materials
    score: float
    passage: str
    highlights: list[tuple[int, int]]
    unit: str  # the responsible (article) or implementing (guide) unit's name
    url: str  # the public page
    valid_to: date | None


@dataclass(frozen=True, slots=True)
class _Entry:
    id: int | None
    code: str
    kind: str
    title: str
    answer: str
    unit: str
    url: str
    valid_to: date | None


@dataclass(frozen=True, slots=True)
class _Cached:
    stamp: tuple[Any, ...]
    index: KnowledgeIndex
    entries: dict[str, _Entry]


_cached: _Cached | None = None
_build_lock = threading.Lock()


def _url(name: str, code: str) -> str:
    try:
        return reverse(name, args=[code])
    except NoReverseMatch:
        return ""


def _article_documents() -> tuple[list[SearchDocument], dict[str, _Entry]]:
    docs, entries = [], {}
    for article, version in selectors.articles_published_for_index():
        key = f"article:{article.pk}"
        # The answer is the body (its best sentence is the passage the operator reads out); the area counts as a tag
        # ("滨河街道" in a caller's words). The policy basis is not searched: every article of a field cites the
        # same few laws, which would tie them rather than rank them.
        tags = tuple(str(tag) for tag in version.tags or ()) + ((version.area,) if version.area else ())
        docs.append(
            SearchDocument(key, "article", version.title, version.answer, tags, version.valid_from, version.valid_to)
        )
        entries[key] = _Entry(
            id=article.pk,
            code=article.code,
            kind="article",
            title=version.title,
            answer=version.answer,
            unit=article.unit.name,
            url=_url("knowledge:public_detail", article.code),
            valid_to=version.valid_to,
        )
    return docs, entries


def _guide_documents() -> tuple[list[SearchDocument], dict[str, _Entry]]:
    docs, entries = [], {}
    matters = matters_published().prefetch_related(
        Prefetch("current_version__materials", queryset=MatterMaterial.objects.order_by("order", "code"))
    )
    for matter in matters:
        version = matter.current_version
        assert version is not None  # matters_published() keeps only matters with a published current version
        materials = "、".join(material.name for material in version.materials.all())
        parts = [
            version.conditions.strip(),
            f"申请材料：{materials}。" if materials else "",
            version.legal_basis.strip(),
        ]
        body = "\n".join(part for part in parts if part)
        key = f"guide:{matter.code}"
        docs.append(SearchDocument(key, "guide", version.name, body))
        entries[key] = _Entry(
            id=None,
            code=matter.code,
            kind="guide",
            title=version.name,
            answer=body,
            unit=matter.unit.name if matter.unit else "",  # the current version's unit, already loaded
            url=_url("matters:guide_detail", matter.code),
            valid_to=None,
        )
    return docs, entries


def _index() -> _Cached:
    """The process's index, rebuilt when the stamp moved. The stamp is read before the documents, so a publication
    racing the build leaves an older stamp with newer documents: the next query simply rebuilds again."""
    global _cached
    stamp = selectors.knowledge_stamp()
    cached = _cached
    if cached is not None and cached.stamp == stamp:
        return cached
    with _build_lock:
        cached = _cached
        if cached is not None and cached.stamp == stamp:
            return cached
        article_docs, entries = _article_documents()
        guide_docs, guide_entries = _guide_documents()
        index = KnowledgeIndex.build(article_docs + guide_docs, reuse=cached.index if cached else None)
        _cached = _Cached(stamp=stamp, index=index, entries=entries | guide_entries)
        return _cached


def knowledge_search_reset() -> None:
    """Forget the process's index."""
    global _cached
    with _build_lock:
        _cached = None


class _IndexForgetting(ReferenceCache[None]):
    """Joins the per-process reference caches that `reference_caches_invalidate()` clears: tests call it between
    cases, and rolled-back rows (SQLite reuses their ids; a frozen clock repeats `updated_at`) could repeat a stamp."""

    def invalidate(self, *args: object, **kwargs: object) -> None:
        knowledge_search_reset()


_forgetting = _IndexForgetting(lambda: None)


def knowledge_search(
    q: str,
    *,
    limit: int = 5,
    kinds: Collection[str] | None = KINDS,
    today: date | None = None,
) -> list[KnowledgeResult]:
    """The best `limit` (at most 20) published, valid articles (`kind` "article") and published guides ("guide")
    for what a caller says, best first. Articles valid on `today` (default: today in the local time zone) only."""
    limit = max(0, min(int(limit), MAX_LIMIT))
    if not q or not q.strip() or limit == 0:
        return []
    cached = _index()
    hits = cached.index.search(q, limit=limit, kinds=kinds, today=today or timezone.localdate())
    results = []
    for hit in hits:
        entry = cached.entries[hit.key]
        results.append(
            KnowledgeResult(
                id=entry.id,
                code=entry.code,
                kind=entry.kind,
                title=entry.title,
                answer=entry.answer,
                score=hit.score,
                passage=hit.passage,
                highlights=hit.highlights,
                unit=entry.unit,
                url=entry.url,
                valid_to=entry.valid_to,
            )
        )
    return results
