from __future__ import annotations

import hashlib
import json
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
    # No savepoint: inside a caller's transaction the event must stand or fall with it anyway.
    with transaction.atomic(savepoint=False):
        head = AuditHead.objects.select_for_update().filter(pk=1).first()
        if head is None:
            AuditHead.objects.get_or_create(pk=1, defaults={"last_hash": GENESIS_HASH})
            head = AuditHead.objects.select_for_update().get(pk=1)
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
            prev_hash=head.last_hash,
        )
        event.hash = audit_hash(head.last_hash, event.chained_fields())
        event.save(force_insert=True)
        head.last_hash = event.hash
        head.count += 1
        head.save(update_fields=["last_hash", "count"])
    return event


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
