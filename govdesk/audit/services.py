from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.ipv6 import clean_ipv6_address

from govdesk.common import clock

from .models import GENESIS_HASH, AuditEvent, AuditHead


def audit_hash(prev_hash: str, fields: dict[str, Any]) -> str:
    payload = json.dumps(fields, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256((prev_hash + payload).encode("utf-8")).hexdigest()


def _stored_ip(value: str | None) -> str | None:
    """The address as the database will return it (IPv6 compressed, lower case), so the hash covers what is kept."""
    if value and ":" in value:
        try:
            return clean_ipv6_address(value)
        except ValidationError:
            return value
    return value


def audit_append(
    *,
    action: str,
    actor: Any = None,
    object_type: str = "",
    object_id: str | int = "",
    from_state: str = "",
    to_state: str = "",
    note: str = "",
    success: bool = True,
    ip_address: str | None = None,
) -> AuditEvent:
    """Append one event to the chain, in the caller's transaction.

    The head row's lock makes appends strictly sequential, so the chain has no forks even under concurrency; take it
    as late in the transaction as possible, because it is held until commit.
    """
    actor_obj = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    event = AuditEvent(
        occurred_at=clock.now(),
        actor=actor_obj,
        actor_username=actor_obj.get_username() if actor_obj else "",
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        from_state=from_state,
        to_state=to_state,
        note=note,
        success=success,
        ip_address=_stored_ip(ip_address),
    )
    pending: list[AuditEvent] | None = getattr(_BATCH, "events", None)
    if pending is not None:
        pending.append(event)  # chained and saved when the batch ends (audit_batch)
        return event
    _chain_write([event])
    return event


def _chain_write(events: list[AuditEvent]) -> None:
    """Chain `events`, in their order, onto the head and insert them: one lock of the head row, one insert and one
    head update however many events there are."""
    # No savepoint: inside a caller's transaction the events must stand or fall with it anyway.
    with transaction.atomic(savepoint=False):
        head = AuditHead.objects.select_for_update().filter(pk=1).first()
        if head is None:
            AuditHead.objects.get_or_create(pk=1, defaults={"last_hash": GENESIS_HASH})
            head = AuditHead.objects.select_for_update().get(pk=1)
        for event in events:
            event.prev_hash = head.last_hash
            event.hash = audit_hash(head.last_hash, event.chained_fields())
            head.last_hash = event.hash
        if len(events) == 1:
            events[0].save(force_insert=True)
        else:
            # One statement, rows in the list's order: ids ascend in chain order, as the verification reads them.
            AuditEvent.objects.bulk_create(events)
        head.count += len(events)
        head.save(update_fields=["last_hash", "count"])


# The events appended inside `audit_batch` in this thread, waiting to be chained (None: no batch open).
_BATCH = threading.local()


@contextmanager
def audit_batch() -> Iterator[None]:
    """Appends inside the block are chained and written together when it ends (in the order they were made, with the
    moments they were made), in the caller's transaction: one lock of the chain's head instead of one per event, and
    taken at the end, so it is held for less of the transaction. Use it inside a transaction that records many
    events (a package's fan-out); if the block raises, its events are dropped with the transaction. Events returned
    by audit_append inside the block are saved (and get their id and hash) only when it ends. Nested blocks join the
    outermost one."""
    if getattr(_BATCH, "events", None) is not None:
        yield
        return
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_batch() must run inside a transaction")
    _BATCH.events = []
    try:
        yield
        events: list[AuditEvent] = _BATCH.events
    finally:
        _BATCH.events = None
    if events:
        _chain_write(events)


@dataclass(frozen=True)
class ChainReport:
    checked: int
    broken_event_id: int | None
    reason: str
    # Of `checked`, how many were read from archive segments, and from how many.
    archived: int = 0
    segments: int = 0

    @property
    def ok(self) -> bool:
        return self.broken_event_id is None


def audit_chain_verify(*, batch_size: int = 5000, archive_dir: Path | None = None) -> ChainReport:
    """Recompute the chain from the start, archived segments first and then the online table, as one chain; report the
    first event (or segment) that does not follow from its predecessor."""
    # Imported here: archive.py builds on this module's audit_append and audit_hash.
    from .archive import audit_archive_dir, manifest_list, segment_check

    folder = archive_dir or audit_archive_dir()
    prev_hash = GENESIS_HASH
    checked = segments = 0
    last_id = 0
    for manifest_path, manifest in manifest_list(folder):
        if manifest is None:
            return ChainReport(checked, last_id + 1, f"archive manifest {manifest_path.name} cannot be read")
        if int(manifest["first_id"]) <= last_id:
            return ChainReport(checked, int(manifest["first_id"]), f"archive segment {manifest['file']} overlaps")
        broken = segment_check(folder / str(manifest["file"]), manifest, prev_hash)
        if broken is not None:
            return ChainReport(checked, broken.event_id, broken.reason)
        prev_hash, last_id = str(manifest["last_hash"]), int(manifest["last_id"])
        checked += int(manifest["count"])
        segments += 1
    archived = checked
    if AuditEvent.objects.filter(id__lte=last_id).exists():
        return ChainReport(
            checked,
            last_id,
            "online events overlap the archive: an archive run was interrupted (run audit_archive --commit again)",
        )
    while True:
        batch = list(AuditEvent.objects.filter(id__gt=last_id).order_by("id")[:batch_size])
        if not batch:
            break
        for event in batch:
            if event.prev_hash != prev_hash:
                return ChainReport(
                    checked,
                    event.pk,
                    "previous hash does not match: an earlier event (online or archived) was removed or altered",
                )
            if audit_hash(prev_hash, event.chained_fields()) != event.hash:
                return ChainReport(checked, event.pk, "content does not match its hash: this event was altered")
            prev_hash = event.hash
            checked += 1
            last_id = event.pk
    head = AuditHead.objects.filter(pk=1).first()
    if head is not None and (head.last_hash != prev_hash or head.count != checked):
        return ChainReport(checked, last_id + 1 if last_id else 0, "events at the end of the chain were removed")
    return ChainReport(checked, None, "", archived=archived, segments=segments)
