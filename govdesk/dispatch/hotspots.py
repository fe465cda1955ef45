"""Hotspots for the supervisor: the orders of the last N days clustered by topic and place (core.hotspots), with the
previous N days for growth. At most MAX_ORDERS orders per period are read (the most recent), so the cost is bounded
whatever the volume; the answer is cached until an order is added to the period or CACHE_SECONDS pass.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.cache import cache
from django.db.models import Count, Max
from django.db.models.functions import Substr

from govdesk.common import clock
from govdesk.org.models import Unit
from govdesk.workorders.models import WorkOrder
from govdesk.workorders.permissions import workorder_visibility_q
from govdesk.workorders.states import Status

from .core import hotspots as core
from .core import minhash
from .duplicates import street_places

MAX_ORDERS = 5000
MAX_ORDER_NUMBERS = 200
MIN_DAYS = 1
MAX_DAYS = 90
DEFAULT_DAYS = 7
CACHE_SECONDS = 300


def _period(user: Any, start: Any, end: Any) -> list[dict[str, Any]]:
    return list(
        WorkOrder.objects.filter(workorder_visibility_q(user), created_at__gte=start, created_at__lt=end)
        .exclude(status=Status.CANCELLED)
        .order_by("-created_at", "-pk")
        .annotate(body=Substr("content", 1, core.BODY_CHARS))
        .values("pk", "number", "title", "body", "address", "created_at")[:MAX_ORDERS]
    )


def hotspot_docs(rows: list[dict[str, Any]], *, current_pks: set[int]) -> list[core.HotDoc]:
    """Orders as documents to cluster (rows with pk, number, title, body, address, created_at), each with its street."""
    places = street_places()
    names = dict(Unit.objects.filter(pk__in={pk for _n, pk in places}).values_list("pk", "name"))
    docs = []
    for row in rows:
        street = minhash.place_match(row["address"] or "", places) if row["address"] else None
        docs.append(
            core.HotDoc(
                key=row["number"],
                title=row["title"],
                content=row["body"] or "",
                place=names.get(street, "") if street is not None else "",
                created_at=row["created_at"],
                current=row["pk"] in current_pks,
            )
        )
    return docs


def hotspots_list(*, user: Any, days: int = DEFAULT_DAYS, limit: int = 20) -> list[dict[str, Any]]:
    """Hotspots of the last `days` days among the orders `user` may see, best first.

    Each: keywords, place (street name or ""), size, previous_size, growth, score, examples [{number, title}],
    order_numbers (current period, newest first).
    """
    days = max(MIN_DAYS, min(MAX_DAYS, days))
    now = clock.now()
    start, previous_start = now - timedelta(days=days), now - timedelta(days=2 * days)
    visible = WorkOrder.objects.filter(workorder_visibility_q(user), created_at__gte=previous_start, created_at__lt=now)
    stamp = visible.aggregate(n=Count("pk"), last=Max("pk"))
    key = f"dispatch:hotspots:{user.pk}:{days}:{limit}:{stamp['n']}:{stamp['last']}:{now:%Y%m%d%H}"
    cached = cache.get(key)
    if cached is not None:
        return list(cached)
    rows = _period(user, start, now) + _period(user, previous_start, start)
    docs = hotspot_docs(rows, current_pks={row["pk"] for row in rows if row["created_at"] >= start})
    clusters = core.hotspots_cluster(docs, limit=limit)
    result = [
        {
            "keywords": c.keywords,
            "place": c.place,
            "size": c.size,
            "previous_size": c.previous_size,
            "growth": c.growth,
            "score": c.score,
            "examples": [{"number": docs[i].key, "title": docs[i].title} for i in c.examples],
            "order_numbers": [docs[i].key for i in c.members[:MAX_ORDER_NUMBERS]],
        }
        for c in clusters
    ]
    cache.set(key, result, CACHE_SECONDS)
    return result
