"""Backup and restore on the configured database (SQLite, and PostgreSQL when DATABASE_URL is set): a round trip
brings back exactly what was backed up, refusals are clear, a damaged file restores nothing, and a restore that does
not verify exits non-zero. Transactional tests: the restore replaces the database under Django's connection."""

from __future__ import annotations

import io
import json
import tarfile
import threading
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connections
from django.utils import translation

from govdesk.audit.archive import audit_archive, manifest_list
from govdesk.audit.models import AuditEvent, AuditHead
from govdesk.audit.services import audit_append, audit_chain_verify
from govdesk.cases.attachments import attachment_check
from govdesk.cases.models import Attachment
from govdesk.cases.services import case_attachments_add
from govdesk.common import clock
from govdesk.ops.services import BackupError, backup_create, backup_restore
from govdesk.stats.models import StatsRollup
from govdesk.stats.services import stats_fold, stats_rollup_verify
from govdesk.workorders import services
from govdesk.workorders.models import WorkOrder
from govdesk.workorders.states import Status
from govdesk.workorders.tests.factories import make_order

# serialized_rollback: the flush between transactional tests would also wipe the data migrations' rows (request types).
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde\x00\x00\x00"
    b"\x0cIDATx\x9cc\xf8\xcf\xc0\x00\x00\x03\x01\x01\x00\xc9\xfe\x92\xef\x00\x00\x00\x00IEND\xaeB`\x82"
)


@pytest.fixture(autouse=True)
def _english() -> Any:
    """The messages below are matched in English, whatever language an earlier test's request left active."""
    with translation.override("en"):
        yield


@pytest.fixture
def places(settings: Any, tmp_path: Path) -> SimpleNamespace:
    media, archive = tmp_path / "media", tmp_path / "audit-archive"
    settings.MEDIA_ROOT = str(media)
    settings.GOVDESK = {**settings.GOVDESK, "AUDIT_ARCHIVE_DIR": str(archive)}
    return SimpleNamespace(media=media, archive=archive, out=tmp_path / "govdesk.backup")


@pytest.fixture
def old_events(places: SimpleNamespace) -> list[int]:
    """Three events 400 days old, first in the chain (archiving moves a prefix of it)."""
    with clock.at(clock.now() - timedelta(days=400)):
        return [audit_append(action="login", note=f"old {n}").pk for n in range(3)]


@pytest.fixture
def data(people: SimpleNamespace, district: SimpleNamespace, categories: SimpleNamespace) -> SimpleNamespace:
    closed = make_order(people, district, categories.facilities, Status.CLOSED)
    handling = make_order(people, district, categories.housing, Status.HANDLING)
    fresh = make_order(people, district, categories.wages, Status.NEW)
    attachment = case_attachments_add(
        case=handling, files=[attachment_check(name="现场.png", data=PNG)], actor=people.operator
    )[0]
    return SimpleNamespace(closed=closed, handling=handling, fresh=fresh, attachment=attachment)


def _state() -> dict[str, Any]:
    stats_fold()  # the rollups as a reader sees them
    return {
        "orders": list(WorkOrder.objects.order_by("pk").values()),
        "attachments": list(Attachment.objects.order_by("pk").values()),
        "audit": list(AuditEvent.objects.order_by("pk").values()),
        "stats": list(StatsRollup.objects.order_by("pk").values()),
    }


def test_round_trip_brings_everything_back(
    places: SimpleNamespace, data: SimpleNamespace, people: SimpleNamespace, district: Any, categories: Any, capsys: Any
) -> None:
    before = _state()
    call_command("backup", "--out", str(places.out))
    assert "backup written" in capsys.readouterr().out
    taken = AuditEvent.objects.order_by("-pk").first()
    assert taken is not None and taken.action == "backup.create" and taken.success

    # Afterwards: a new order, a cancelled one, an attachment file lost, a row deleted behind the services' back.
    make_order(people, district, categories.bus, Status.DISPATCHED)
    services.workorder_cancel(order=data.fresh, actor=people.operator, reason="市民撤回")
    attachment_path = places.media / data.attachment.file.name
    attachment_path.unlink()
    Attachment.objects.filter(pk=data.attachment.pk).delete()

    call_command("restore", str(places.out), "--yes")
    out = capsys.readouterr().out
    assert "verified" in out

    after = _state()
    restore_event = after["audit"].pop()
    assert (restore_event["action"], restore_event["success"]) == ("backup.restore", True)
    assert after == before  # the backup's own event came after the snapshot, so it is gone with the rest
    assert attachment_path.read_bytes() == PNG
    assert audit_chain_verify().ok
    assert stats_rollup_verify() == []
    assert AuditHead.objects.get(pk=1).count == len(before["audit"]) + 1


def test_no_media_leaves_attachments_out(places: SimpleNamespace, data: SimpleNamespace) -> None:
    result = backup_create(out=places.out, include_media=False)
    assert result.manifest["media"] is False
    assert not [name for name in result.manifest["files"] if name.startswith("media/")]
    with_media = backup_create(out=places.out.with_name("b2"), include_media=True)
    assert [name for name in with_media.manifest["files"] if name.startswith("media/")] == [
        f"media/{data.attachment.file.name}"
    ]


def test_manifest_describes_the_snapshot(places: SimpleNamespace, data: SimpleNamespace) -> None:
    head = AuditHead.objects.get(pk=1)
    manifest = backup_create(out=places.out).manifest
    assert manifest["engine"] in ("sqlite", "postgresql")
    assert manifest["audit"] == {"head_hash": head.last_hash, "count": head.count}
    assert manifest["row_counts"]["workorders.workorder"] == WorkOrder.objects.count()
    assert ["audit", "0001_initial"] in manifest["migrations"]


def test_restore_refuses_without_yes(places: SimpleNamespace, data: SimpleNamespace) -> None:
    backup_create(out=places.out)
    count = WorkOrder.objects.count()
    make_order_count = AuditEvent.objects.count()
    with pytest.raises(CommandError, match="--yes"):
        call_command("restore", str(places.out))
    assert (WorkOrder.objects.count(), AuditEvent.objects.count()) == (count, make_order_count)


def _rewrite_manifest(path: Path, change: Any) -> None:
    with tarfile.open(path, "r:gz") as tar:
        members = [(m, tar.extractfile(m).read()) for m in tar.getmembers()]  # type: ignore[union-attr]
    with tarfile.open(path, "w:gz") as tar:
        for member, content in members:
            if member.name == "manifest.json":
                manifest = json.loads(content)
                change(manifest)
                content = json.dumps(manifest).encode()
                member.size = len(content)
            tar.addfile(member, io.BytesIO(content))


def test_restore_refuses_another_engine(places: SimpleNamespace, data: SimpleNamespace) -> None:
    manifest = backup_create(out=places.out).manifest
    other = "postgresql" if manifest["engine"] == "sqlite" else "sqlite"
    _rewrite_manifest(places.out, lambda m: m.update(engine=other))
    with pytest.raises(CommandError, match=f"This is a {other} backup"):
        call_command("restore", str(places.out), "--yes")
    assert WorkOrder.objects.count() == 3


def test_restore_refuses_a_backup_of_newer_migrations(places: SimpleNamespace, data: SimpleNamespace) -> None:
    backup_create(out=places.out)
    _rewrite_manifest(places.out, lambda m: m["migrations"].append(["workorders", "9999_from_the_future"]))
    with pytest.raises(BackupError, match=r"workorders\.9999_from_the_future"):
        backup_restore(path=places.out)


@pytest.mark.parametrize("damage", ["truncated", "flipped", "not_a_backup", "member_altered", "missing"])
def test_a_damaged_file_restores_nothing(places: SimpleNamespace, data: SimpleNamespace, damage: str) -> None:
    backup_create(out=places.out)
    raw = places.out.read_bytes()
    if damage == "truncated":
        places.out.write_bytes(raw[: len(raw) // 2])
    elif damage == "flipped":
        middle = len(raw) // 2
        places.out.write_bytes(raw[:middle] + bytes([raw[middle] ^ 0xFF]) + raw[middle + 1 :])
    elif damage == "not_a_backup":
        places.out.write_text("SELECT 1;")
    elif damage == "member_altered":
        _rewrite_manifest(places.out, lambda m: m["files"].update({next(iter(m["files"])): "0" * 64}))
    else:
        places.out.unlink()
    make_order_marker = audit_append(action="marker")
    with pytest.raises(CommandError, match=r"damaged|does not exist"):
        call_command("restore", str(places.out), "--yes")
    # Nothing replaced: the event appended after the backup is still there.
    assert AuditEvent.objects.filter(pk=make_order_marker.pk).exists()


def test_a_restore_that_does_not_verify_exits_non_zero(places: SimpleNamespace, data: SimpleNamespace) -> None:
    # The backup faithfully carries a tampered audit row and a wrong statistics counter; the restore finds both.
    victim = AuditEvent.objects.order_by("pk")[2]
    AuditEvent.objects.filter(pk=victim.pk).update(note="篡改")
    stats_fold()
    StatsRollup.objects.filter(pk=StatsRollup.objects.order_by("pk").first().pk).update(total=99)  # type: ignore[union-attr]
    backup_create(out=places.out)
    with pytest.raises(CommandError, match="verification failed"):
        call_command("restore", str(places.out), "--yes")
    last = AuditEvent.objects.order_by("-pk").first()
    assert last is not None and (last.action, last.success) == ("backup.restore", False)
    assert f"#{victim.pk}" in last.note


def test_restore_brings_back_the_audit_archive_as_it_was(
    places: SimpleNamespace, old_events: list[int], data: SimpleNamespace
) -> None:
    old = old_events
    # A backup with the old events online; then they are archived; the restore brings them back online and moves the
    # segment (now a second copy of restored events) aside, so the chain is one again.
    backup_create(out=places.out)
    assert audit_archive().events == len(old)
    assert not AuditEvent.objects.filter(pk__in=old).exists()
    backup_restore(path=places.out)
    assert AuditEvent.objects.filter(pk__in=old).count() == 3
    assert manifest_list(places.archive) == []
    assert list(places.archive.glob("superseded-*/audit-*"))
    assert audit_chain_verify().ok


def test_a_backup_carries_the_archived_segments(
    places: SimpleNamespace, old_events: list[int], data: SimpleNamespace
) -> None:
    assert audit_archive().events == len(old_events)
    manifest = backup_create(out=places.out).manifest
    segment_files = [name for name in manifest["files"] if name.startswith("audit-archive/")]
    assert len(segment_files) == 2
    for path in places.archive.glob("audit-*"):
        path.unlink()
    assert not audit_chain_verify().ok
    assert backup_restore(path=places.out).ok
    assert audit_chain_verify().ok


def test_the_manifest_and_the_dump_are_one_snapshot_while_others_write(
    places: SimpleNamespace, data: SimpleNamespace, monkeypatch: Any
) -> None:
    """Another connection commits an audit event after the snapshot is taken and before the manifest's facts are read
    (SQLite: after the copy; PostgreSQL: after pg_export_snapshot). Neither the dump nor the manifest holds it, so the
    restored database matches its manifest exactly."""
    from govdesk.ops import services as ops_services

    real_facts = ops_services._snapshot_facts
    written: list[int] = []

    def concurrent_write() -> None:
        written.append(audit_append(action="concurrent.write").pk)
        connections.close_all()  # this thread's own connection

    def facts_after_a_concurrent_write(cursor: Any, quote: Any) -> dict[str, Any]:
        writer = threading.Thread(target=concurrent_write)
        writer.start()
        writer.join()
        return real_facts(cursor, quote)

    monkeypatch.setattr(ops_services, "_snapshot_facts", facts_after_a_concurrent_write)
    manifest = backup_create(out=places.out).manifest
    monkeypatch.setattr(ops_services, "_snapshot_facts", real_facts)
    assert written and AuditEvent.objects.filter(pk=written[0]).exists()
    assert manifest["audit"]["count"] == AuditHead.objects.get(pk=1).count - 2  # the write, then backup.create
    report = backup_restore(path=places.out)
    assert report.ok, report.problems
    assert not AuditEvent.objects.filter(action="concurrent.write").exists()
