"""Storing the seeded drafts (`drafts.py` builds them) and the demo's review of a few: the seeding command's writes.

Everything goes through the knowledge services: `knowledge_drafts_bulk_create` for the drafts, and for the demo the
same submit and publish a unit writer and a centre reviewer use on the pages, so the demo's published articles have
the timeline, audit trail and versions of any other.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.utils import timezone

from govdesk.catalog.models import Category
from govdesk.catalog.selectors import dispatch_unit_suggest
from govdesk.common import clock
from govdesk.common.errors import ApplicationError, ValidationFailed
from govdesk.org.models import Role, Unit, UnitKind, User

from .drafts import SOURCE_PREFIX
from .models import ArticleRevision, Reason
from .states import Status

# The keys `knowledge_drafts_bulk_create` takes; `drafts_build` adds the message ids for the recall measurement.
DRAFT_KEYS = ("title", "answer", "policy_basis", "area", "tags", "source", "category")
UNIT_WRITER_ROLES = (Role.UNIT_ADMIN.value, Role.HANDLER.value)


def _seeded() -> Any:
    return ArticleRevision.objects.filter(reason=Reason.SEEDED, source__startswith=SOURCE_PREFIX)


def seeded_count() -> int:
    return int(_seeded().count())


def sources_missing(sources: Iterable[str]) -> list[str]:
    wanted = list(sources)
    present = set(_seeded().filter(source__in=wanted).values_list("source", flat=True))
    return [s for s in wanted if s not in present]


def seed_actor(username: str = "") -> User | None:
    """The named account (a centre reviewer), or None: the command line itself (what the services expect then)."""
    if not username:
        return None
    user = User.objects.filter(username=username).first()
    if user is None:
        message = f"--actor: no account {username!r}"
        raise ValidationFailed(message, fields={"actor": [message]})
    return user


def unit_resolver(*, default_code: str = "") -> Callable[[dict[str, Any]], Unit]:
    """draft → its responsible unit: the dispatch catalogue's unit for the draft's level-1 category; else the
    default unit (`default_code`, or the first department that takes orders)."""
    if default_code:
        default = Unit.objects.filter(code=default_code, is_active=True).first()
        if default is None:
            message = f"--default-unit: no active unit {default_code!r}"
            raise ValidationFailed(message, fields={"default_unit": [message]})
    else:
        default = (
            Unit.objects.filter(kind=UnitKind.DEPARTMENT, accepts_orders=True, is_active=True)
            .order_by("sort_order", "pk")
            .first()
        )
        if default is None:
            message = "no department takes orders: load the units first (seed_demo or org import)"
            raise ValidationFailed(message, fields={"default_unit": [message]})
    chosen: dict[str, Unit] = {}

    def unit_for(draft: dict[str, Any]) -> Unit:
        label = str(draft.get("category") or "")
        if label not in chosen:
            category = Category.objects.filter(path=label).first() if label else None
            chosen[label] = dispatch_unit_suggest(category=category) or default
        return chosen[label]

    return unit_for


def drafts_store(
    drafts: Iterable[dict[str, Any]], *, actor: User | None, unit_for: Callable[[dict[str, Any]], Unit]
) -> int:
    from .services import knowledge_drafts_bulk_create

    clean = [{k: d[k] for k in DRAFT_KEYS if k in d} for d in drafts]
    return knowledge_drafts_bulk_create(drafts=clean, actor=actor, unit_for=unit_for)


def centre_reviewer() -> User | None:
    """An active dispatcher of the hotline centre (the demo's reviewer)."""
    return (
        User.objects.filter(is_active=True, groups__name=Role.DISPATCHER.value, unit__kind=UnitKind.HOTLINE_CENTRE)
        .order_by("pk")
        .first()
    )


def unit_writer(unit_id: int) -> User | None:
    return (
        User.objects.filter(is_active=True, unit_id=unit_id, groups__name__in=UNIT_WRITER_ROLES).order_by("pk").first()
    )


def demo_publish(total: int, *, say: Callable[[str], None] = lambda _text: None) -> tuple[int, int]:
    """Have the units' writers submit and the centre's reviewer publish seeded drafts until `total` are published.

    Returns (published now, published before). The demo story: these drafts were reviewed. Drafts of units without
    an active writer are left as drafts; a draft the services refuse is skipped and counted.
    """
    from .services import knowledge_revision_publish, knowledge_revision_submit

    already = int(_seeded().filter(status=Status.PUBLISHED).count())
    wanted = total - already
    if wanted <= 0:
        return 0, already
    reviewer = centre_reviewer()
    if reviewer is None:
        say("no active dispatcher at the hotline centre: nothing published")
        return 0, already
    today = timezone.localdate(clock.now())
    writers: dict[int, User | None] = {}
    published = refused = 0
    for revision in _seeded().filter(status=Status.DRAFT).order_by("pk").iterator(chunk_size=200):
        if published >= wanted:
            break
        unit_id = revision.primary_unit_id
        if unit_id not in writers:
            writers[unit_id] = unit_writer(unit_id)
        writer = writers[unit_id]
        if writer is None:
            continue
        try:
            knowledge_revision_submit(revision=revision, actor=writer, data={"valid_from": today})
            knowledge_revision_publish(revision=revision, actor=reviewer)
        except ApplicationError:
            refused += 1
            continue
        published += 1
        if published % 50 == 0:
            say(f"published {published:,}/{wanted:,}")
    if refused:
        say(f"skipped {refused:,} drafts the services refused")
    return published, already
