"""Duplicates at intake: store each order's LSH band values, and find open orders about the same problem.

`duplicate_signature_store(order)` runs after an order is registered (from `services.dispatch_after_register`, after
commit). `duplicate_candidates(...)` finds candidates in three steps:

1. the text's band values (core.minhash) are looked up in `DuplicateSignature` by the (band, value) index, restricted
   to open, unmerged orders created within `DispatchSettings.duplicate_window_days`; the orders sharing the most
   bands come first and at most CANDIDATE_CAP are kept, so the cost does not grow with the number of open orders;
2. those orders (only the ones the caller may see) are re-ranked by the exact Jaccard similarity of their shingles;
3. a place bonus is added when both are in the same street (the catalogue's street and place names) or their
   addresses are alike. Each answer carries its score and the reasons for it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta
from functools import reduce
from operator import or_
from typing import Any

from django.db import transaction
from django.db.models import Count, Q
from django.utils.translation import gettext as _

from govdesk.common import clock
from govdesk.org.models import Unit, UnitKind
from govdesk.workorders.models import WorkOrder
from govdesk.workorders.permissions import workorder_visibility_q
from govdesk.workorders.states import Status

from .core import minhash
from .models import DispatchSettings, DuplicateSignature

logger = logging.getLogger(__name__)

# Orders sharing the most band values are re-ranked exactly; the rest are not looked at.
CANDIDATE_CAP = 50
# Below this exact text similarity an order is not offered as a duplicate, whatever its place.
MIN_SIMILARITY = 0.3
SAME_STREET_BONUS = 0.1
SAME_ADDRESS_BONUS = 0.1
ADDRESS_ALIKE = 0.5
DEFAULT_LIMIT = 5
MAX_LIMIT = 20
EXCLUDED_STATUSES = (Status.MERGED, Status.CLOSED, Status.CANCELLED)


@dataclass
class DuplicateCandidate:
    order: WorkOrder
    score: float
    similarity: float
    reasons: list[dict[str, str]] = field(default_factory=list)


# --- storing ------------------------------------------------------------------------------------------------------


def duplicate_signature_store(order: WorkOrder) -> int:
    """Store (replace) the order's band values. Idempotent: running it twice leaves the same rows. Returns the count.

    An order whose text has no letters or digits gets no signature (it can neither find nor be found).
    """
    values = minhash.band_values(minhash.duplicate_text(order.title, order.content))
    with transaction.atomic():
        DuplicateSignature.objects.filter(case_id=order.pk).delete()
        DuplicateSignature.objects.bulk_create(
            [
                DuplicateSignature(case_id=order.pk, band=band, value=value, created_at=order.created_at)
                for band, value in values
            ]
        )
    return len(values)


def duplicate_signature_add(order: WorkOrder) -> int:
    """The band values of a new order, in the caller's transaction: one INSERT, so intake stays fast and an order
    never exists without its signature. Returns the count."""
    values = minhash.band_values(minhash.duplicate_text(order.title, order.content))
    DuplicateSignature.objects.bulk_create(
        DuplicateSignature(case_id=order.pk, band=band, value=value, created_at=order.created_at)
        for band, value in values
    )
    return len(values)


def duplicate_signatures_rebuild(*, days: int | None = None, batch_size: int = 1000) -> int:
    """Store the signatures of every open order (created within `days`, if given). For deployment and after a change
    of the signature scheme. Returns the number of orders signed."""
    qs = WorkOrder.objects.filter(is_open=True).exclude(status__in=EXCLUDED_STATUSES)
    if days is not None:
        qs = qs.filter(created_at__gte=clock.now() - timedelta(days=days))
    done = 0
    for order in qs.only("pk", "title", "content", "created_at").iterator(chunk_size=batch_size):
        duplicate_signature_store(order)
        done += 1
    return done


def duplicate_signatures_prune(*, older_than_days: int) -> int:
    """Delete signatures of orders created before the window, or no longer open: they can never match again."""
    cutoff = clock.now() - timedelta(days=older_than_days)
    stale = Q(created_at__lt=cutoff) | Q(case__is_open=False)
    deleted, _rows = DuplicateSignature.objects.filter(
        pk__in=DuplicateSignature.objects.filter(stale).values("pk")
    ).delete()
    return deleted


# --- finding ------------------------------------------------------------------------------------------------------


def street_places() -> list[tuple[str, int]]:
    """(name, street id) for every active street's name and place names: one query per lookup."""
    places: list[tuple[str, int]] = []
    for pk, name, place_names in Unit.objects.filter(kind=UnitKind.STREET, is_active=True).values_list(
        "pk", "name", "place_names"
    ):
        places.append((name, pk))
        places.extend((n.strip(), pk) for n in (place_names or "").splitlines() if n.strip())
    return places


def _candidate_ids(values: list[tuple[int, int]], *, since: Any, exclude_pk: int | None) -> list[int]:
    if not values:
        return []
    match = reduce(or_, (Q(band=band, value=value) for band, value in values))
    qs = DuplicateSignature.objects.filter(match, created_at__gte=since, case__is_open=True).exclude(
        case__status__in=EXCLUDED_STATUSES
    )
    if exclude_pk is not None:
        qs = qs.exclude(case_id=exclude_pk)
    rows = qs.values("case_id").annotate(hits=Count("id")).order_by("-hits", "-case_id")[:CANDIDATE_CAP]
    return [row["case_id"] for row in rows]


def duplicate_candidates(
    *,
    user: Any,
    title: str,
    content: str,
    address: str = "",
    exclude_pk: int | None = None,
    limit: int = DEFAULT_LIMIT,
) -> list[DuplicateCandidate]:
    """Open orders the user may see that are probably about the same problem, best first (at most `limit`)."""
    text = minhash.duplicate_text(title, content)
    own = minhash.shingles(text)
    if not own:
        return []
    values = minhash.band_values(text)
    window = DispatchSettings.current().duplicate_window_days
    since = clock.now() - timedelta(days=window)
    ids = _candidate_ids(values, since=since, exclude_pk=exclude_pk)
    if not ids:
        return []
    orders = list(
        WorkOrder.objects.filter(workorder_visibility_q(user), pk__in=ids, is_open=True)
        .exclude(status__in=EXCLUDED_STATUSES)
        .only("pk", "number", "title", "content", "address", "status", "created_at")
    )
    places = street_places() if address and orders else []
    own_street = minhash.place_match(address, places) if address else None
    street_names = dict(Unit.objects.filter(pk=own_street).values_list("pk", "name")) if own_street else {}
    found: list[DuplicateCandidate] = []
    for order in orders:
        similarity = minhash.jaccard(own, minhash.shingles(minhash.duplicate_text(order.title, order.content)))
        if similarity < MIN_SIMILARITY:
            continue
        reasons = [
            {
                "code": "similar_text",
                "message": _("Similar text (%(p)d%% alike)") % {"p": round(similarity * 100)},
            }
        ]
        score = similarity
        if own_street is not None and minhash.place_match(order.address, places) == own_street:
            score += SAME_STREET_BONUS
            reasons.append(
                {"code": "same_street", "message": _("Same street: %(s)s") % {"s": street_names.get(own_street, "")}}
            )
        if minhash.address_similarity(address, order.address) >= ADDRESS_ALIKE:
            score += SAME_ADDRESS_BONUS
            reasons.append({"code": "same_address", "message": _("Address alike: %(a)s") % {"a": order.address}})
        found.append(
            DuplicateCandidate(order=order, score=round(min(score, 1.0), 3), similarity=similarity, reasons=reasons)
        )
    found.sort(key=lambda c: (-c.score, -c.order.created_at.timestamp(), c.order.number))
    return found[: max(1, min(limit, MAX_LIMIT))]


def workorder_similar(*, user: Any, order: WorkOrder, limit: int = DEFAULT_LIMIT) -> list[DuplicateCandidate]:
    """Open orders the user may see that are probably duplicates of `order` (never the order itself)."""
    return duplicate_candidates(
        user=user, title=order.title, content=order.content, address=order.address, exclude_pk=order.pk, limit=limit
    )
