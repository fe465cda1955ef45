"""Audit retention: events older than the online period move, as whole segments of the chain, to archive files.

A segment is a gzip file of JSON lines (one event each: id, the chained fields, prev_hash, hash) and a manifest beside
it (first/last id, the first event's prev_hash, the last hash, the count, the file's SHA-256). Segments and the online
table together are still one chain, which `audit_chain_verify` walks from the genesis hash: an altered or missing
segment, or an altered row, breaks it. This is the only code that deletes audit rows, and only rows it has just
written, fsynced and read back (等保2.0 8.1.4.3 d: audit records kept at least six months, 网络安全法 §21(三)).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from govdesk.common import clock
from govdesk.common.errors import ApplicationError

from .models import AuditEvent, AuditHead
from .services import audit_append, audit_hash

# 网络安全法 §21(三): network logs kept no less than six months.
MIN_ONLINE_DAYS = 180
MANIFEST_SUFFIX = ".manifest.json"
SEGMENT_EVENTS = 100_000
FORMAT_VERSION = 1

Progress = Callable[[str], None]


class ArchiveError(ApplicationError):
    """The archive could not be written or read back; nothing was deleted."""


@dataclass(frozen=True)
class SegmentPlan:
    first_id: int
    last_id: int
    count: int
    first_occurred_at: str
    last_occurred_at: str


@dataclass(frozen=True)
class ArchivePlan:
    cutoff_iso: str
    segments: list[SegmentPlan]

    @property
    def count(self) -> int:
        return sum(s.count for s in self.segments)


def audit_online_days() -> int:
    days = int(str(settings.GOVDESK.get("AUDIT_ONLINE_DAYS", MIN_ONLINE_DAYS)))
    if days < MIN_ONLINE_DAYS:
        raise ArchiveError(
            _("GOVDESK_AUDIT_ONLINE_DAYS is %(days)s: audit events stay online at least %(min)s days.")
            % {"days": days, "min": MIN_ONLINE_DAYS}
        )
    return days


def audit_archive_dir() -> Path:
    return Path(str(settings.GOVDESK["AUDIT_ARCHIVE_DIR"]))


def segment_name(first_id: int, last_id: int) -> str:
    return f"audit-{first_id:012d}-{last_id:012d}"


def manifest_list(archive_dir: Path | None = None) -> list[tuple[Path, dict[str, Any] | None]]:
    """Every segment manifest in the folder, oldest first (None: a manifest that cannot be read)."""
    folder = archive_dir or audit_archive_dir()
    if not folder.is_dir():
        return []
    found: list[tuple[int, Path, dict[str, Any] | None]] = []
    for path in folder.glob(f"audit-*{MANIFEST_SUFFIX}"):
        try:
            manifest = json.loads(path.read_text(encoding="utf-8"))
            first_id = int(manifest["first_id"])
        except (OSError, ValueError, KeyError, TypeError):
            manifest, first_id = None, _first_id_from_name(path)
        found.append((first_id, path, manifest))
    found.sort(key=lambda item: (item[0], item[1].name))
    return [(path, manifest) for _first, path, manifest in found]


def _first_id_from_name(path: Path) -> int:
    try:
        return int(path.name.split("-")[1])
    except (IndexError, ValueError):
        return 0


def event_record(event: AuditEvent) -> dict[str, Any]:
    return {"id": event.pk, "fields": event.chained_fields(), "prev_hash": event.prev_hash, "hash": event.hash}


def audit_archive_plan(*, segment_events: int = SEGMENT_EVENTS) -> ArchivePlan:
    """The events older than the online period, as segments: always a prefix of the online chain, by id, so the rest
    still starts where the archive ends (an event appended out of clock order stops the prefix; it waits a night)."""
    cutoff = clock.now() - timedelta(days=audit_online_days())
    first_recent = AuditEvent.objects.filter(occurred_at__gte=cutoff).order_by("id").values_list("id", flat=True)[:1]
    old = AuditEvent.objects.order_by("id")
    if first_recent:
        old = old.filter(id__lt=first_recent[0])
    segments: list[SegmentPlan] = []
    last_id = 0
    while True:
        ids = list(old.filter(id__gt=last_id).values_list("id", "occurred_at")[:segment_events])
        if not ids:
            break
        segments.append(
            SegmentPlan(
                first_id=ids[0][0],
                last_id=ids[-1][0],
                count=len(ids),
                first_occurred_at=ids[0][1].isoformat(),
                last_occurred_at=ids[-1][1].isoformat(),
            )
        )
        last_id = ids[-1][0]
    return ArchivePlan(cutoff_iso=cutoff.isoformat(), segments=segments)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def segment_records(path: Path) -> Iterator[dict[str, Any]]:
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for line in f:
            yield json.loads(line)


def _write_segment(folder: Path, plan: SegmentPlan) -> dict[str, Any]:
    """Write, fsync and read back one segment; its manifest last, so a manifest always describes a complete file."""
    name = segment_name(plan.first_id, plan.last_id)
    data_path, manifest_path = folder / f"{name}.jsonl.gz", folder / f"{name}{MANIFEST_SUFFIX}"
    tmp = folder / f".{name}.jsonl.gz.tmp"
    try:
        return _write_segment_files(folder, plan, data_path, manifest_path, tmp)
    finally:
        tmp.unlink(missing_ok=True)


def _write_segment_files(
    folder: Path, plan: SegmentPlan, data_path: Path, manifest_path: Path, tmp: Path
) -> dict[str, Any]:
    name = segment_name(plan.first_id, plan.last_id)
    events = AuditEvent.objects.filter(id__gte=plan.first_id, id__lte=plan.last_id).order_by("id")
    first_prev_hash, last_hash, count = "", "", 0
    with tmp.open("wb") as raw:
        with gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as gz:
            for event in events.iterator(chunk_size=5000):
                if count == 0:
                    first_prev_hash = event.prev_hash
                elif event.prev_hash != last_hash:
                    raise ArchiveError(_("Audit event #%(id)s does not follow its predecessor.") % {"id": event.pk})
                if audit_hash(event.prev_hash, event.chained_fields()) != event.hash:
                    raise ArchiveError(_("Audit event #%(id)s does not match its hash.") % {"id": event.pk})
                gz.write((json.dumps(event_record(event), ensure_ascii=False, sort_keys=True) + "\n").encode())
                last_hash = event.hash
                count += 1
        raw.flush()
        os.fsync(raw.fileno())
    os.chmod(tmp, 0o600)
    os.replace(tmp, data_path)
    manifest = {
        "format": FORMAT_VERSION,
        "file": data_path.name,
        "first_id": plan.first_id,
        "last_id": plan.last_id,
        "first_prev_hash": first_prev_hash,
        "last_hash": last_hash,
        "count": count,
        "sha256": _sha256(data_path),
        "first_occurred_at": plan.first_occurred_at,
        "last_occurred_at": plan.last_occurred_at,
        "archived_at": clock.now().isoformat(),
    }
    # Read back what is on disk before anything is deleted: the checksum and the chain inside the file.
    check = segment_check(data_path, manifest, first_prev_hash)
    if check is not None or count != plan.count:
        data_path.unlink(missing_ok=True)
        raise ArchiveError(_("The archive file %(file)s did not read back intact.") % {"file": data_path.name})
    tmp_manifest = folder / f".{name}{MANIFEST_SUFFIX}.tmp"
    with tmp_manifest.open("w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=1, sort_keys=True)
        f.flush()
        os.fsync(f.fileno())
    os.chmod(tmp_manifest, 0o600)
    os.replace(tmp_manifest, manifest_path)
    _fsync_dir(folder)
    return manifest


@dataclass(frozen=True)
class SegmentBreak:
    event_id: int
    reason: str


def segment_check(data_path: Path, manifest: dict[str, Any], prev_hash: str) -> SegmentBreak | None:
    """None when the file matches its manifest and its events chain on from prev_hash, else the first break."""
    first_id = int(manifest.get("first_id", 0))
    if not data_path.is_file():
        return SegmentBreak(first_id, f"archive file {data_path.name} is missing")
    if _sha256(data_path) != manifest.get("sha256"):
        return SegmentBreak(first_id, f"archive file {data_path.name} does not match its checksum: it was altered")
    if manifest.get("first_prev_hash") != prev_hash:
        return SegmentBreak(
            first_id, f"archive segment {data_path.name} does not follow the previous one: a segment is missing"
        )
    count, last_id, event_id = 0, 0, first_id
    try:
        for record in segment_records(data_path):
            event_id = int(record["id"])
            if event_id <= last_id:
                return SegmentBreak(event_id, f"archive file {data_path.name}: event ids out of order")
            if record["prev_hash"] != prev_hash:
                return SegmentBreak(event_id, f"archive file {data_path.name}: previous hash does not match")
            if audit_hash(prev_hash, record["fields"]) != record["hash"]:
                return SegmentBreak(event_id, f"archive file {data_path.name}: content does not match its hash")
            prev_hash, last_id = record["hash"], event_id
            count += 1
    except (OSError, EOFError, ValueError, KeyError, TypeError) as exc:
        return SegmentBreak(event_id, f"archive file {data_path.name} cannot be read ({exc.__class__.__name__})")
    if (count, last_id, prev_hash) != (manifest.get("count"), manifest.get("last_id"), manifest.get("last_hash")):
        return SegmentBreak(event_id, f"archive file {data_path.name} does not match its manifest")
    return None


@dataclass(frozen=True)
class ArchiveResult:
    segments: int
    events: int
    files: list[str]


def audit_archive(
    *, actor: Any = None, segment_events: int = SEGMENT_EVENTS, progress: Progress | None = None
) -> ArchiveResult:
    """Archive the events older than the online period, segment by segment: write, fsync, verify, then delete exactly
    those rows and append an `audit.archive` event, in one transaction per segment."""
    say = progress or (lambda _line: None)
    folder = audit_archive_dir()
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    plan = audit_archive_plan(segment_events=segment_events)
    files: list[str] = []
    archived = 0
    for number, segment in enumerate(plan.segments, start=1):
        _drop_unfinished_segments(folder, segment.first_id)
        manifest = _write_segment(folder, segment)
        with transaction.atomic():
            # The head's lock: no append interleaves, and a concurrent archive run waits and then finds no rows.
            AuditHead.objects.select_for_update().filter(pk=1).first()
            rows = AuditEvent.objects.filter(id__gte=segment.first_id, id__lte=segment.last_id)
            last = rows.order_by("-id").values_list("hash", flat=True).first()
            if rows.count() != manifest["count"] or last != manifest["last_hash"]:
                raise ArchiveError(_("The audit events changed while they were archived; nothing was deleted."))
            deleted, _by_model = rows.delete()
            if deleted != manifest["count"]:  # pragma: no cover - the count was checked under the lock
                raise ArchiveError(_("The audit events changed while they were archived; nothing was deleted."))
            audit_append(
                action="audit.archive",
                actor=actor,
                object_type="audit_segment",
                object_id=segment_name(segment.first_id, segment.last_id),
                note=(
                    f"events #{segment.first_id}–#{segment.last_id} ({manifest['count']}) archived to "
                    f"{manifest['file']}, sha256 {manifest['sha256']}, last hash {manifest['last_hash']}"
                ),
            )
        files.append(manifest["file"])
        archived += manifest["count"]
        say(
            f"segment {number}/{len(plan.segments)}: events #{segment.first_id}–#{segment.last_id} "
            f"({manifest['count']}) → {manifest['file']}"
        )
    return ArchiveResult(segments=len(files), events=archived, files=files)


def _drop_unfinished_segments(folder: Path, first_online_id: int) -> None:
    """A run interrupted between writing a segment and deleting its rows leaves a file whose events are still online:
    rewrite it (its rows are the truth) rather than keep two copies of the same events."""
    for path, manifest in manifest_list(folder):
        first_id = int(manifest["first_id"]) if manifest else _first_id_from_name(path)
        if first_id >= first_online_id:
            data = folder / str(manifest["file"] if manifest else path.name.replace(MANIFEST_SUFFIX, ".jsonl.gz"))
            path.unlink()
            if data.is_file() and data.parent == folder:
                data.unlink()
