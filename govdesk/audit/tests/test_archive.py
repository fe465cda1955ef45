"""Audit retention: old events move to verified segment files, and the segments plus the table verify as one chain."""

from __future__ import annotations

import gzip
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.checks import run_checks
from django.core.management import call_command
from django.core.management.base import CommandError

from govdesk.audit.archive import ArchiveError, audit_archive, manifest_list
from govdesk.audit.models import AuditEvent, AuditHead
from govdesk.audit.services import audit_append, audit_chain_verify
from govdesk.common import clock

pytestmark = pytest.mark.django_db


@pytest.fixture
def archive_dir(settings: Any, tmp_path: Path) -> Path:
    folder = tmp_path / "audit-archive"
    settings.GOVDESK = {**settings.GOVDESK, "AUDIT_ARCHIVE_DIR": str(folder), "AUDIT_ONLINE_DAYS": 180}
    return folder


@pytest.fixture
def trail(archive_dir: Path) -> dict[str, list[int]]:
    """Seven events a year old, three 200 days old, four recent ones."""
    ids: dict[str, list[int]] = {"year": [], "old": [], "recent": []}
    for key, age, count in (("year", 365, 7), ("old", 200, 3), ("recent", 10, 4)):
        with clock.at(clock.now() - timedelta(days=age)):
            for n in range(count):
                ids[key].append(audit_append(action="login", note=f"{key} {n}", ip_address="10.0.0.1").pk)
    return ids


def _segments(folder: Path) -> list[dict[str, Any]]:
    return [m for _p, m in manifest_list(folder) if m is not None]


def test_archive_moves_old_events_and_the_chain_still_verifies(archive_dir: Path, trail: dict[str, list[int]]) -> None:
    lines: list[str] = []
    result = audit_archive(segment_events=4, progress=lines.append)
    old = trail["year"] + trail["old"]
    assert (result.events, result.segments) == (len(old), 3)
    assert len(lines) == 3 and "segment 1/3" in lines[0]
    segments = _segments(archive_dir)
    assert [(s["first_id"], s["last_id"], s["count"]) for s in segments] == [
        (old[0], old[3], 4),
        (old[4], old[7], 4),
        (old[8], old[9], 2),
    ]
    # Exactly the archived rows left the table; the recent ones and the archive's own events stayed.
    assert not AuditEvent.objects.filter(id__in=old).exists()
    assert set(trail["recent"]) <= set(AuditEvent.objects.values_list("id", flat=True))
    archive_events = AuditEvent.objects.filter(action="audit.archive")
    assert archive_events.count() == 3
    assert segments[0]["sha256"] in archive_events.first().note  # type: ignore[union-attr]
    # One chain: the head counts archived + online events.
    report = audit_chain_verify()
    assert report.ok, report
    assert report.checked == AuditHead.objects.get(pk=1).count == len(old) + len(trail["recent"]) + 3
    with gzip.open(archive_dir / segments[0]["file"], "rt") as f:
        first = json.loads(f.readline())
    assert first["id"] == old[0] and first["fields"]["note"] == "year 0"
    # A second run finds nothing more to move.
    assert audit_archive().events == 0


def test_dry_run_moves_nothing_and_says_what_would_move(trail: dict[str, list[int]], capsys: Any) -> None:
    before = AuditEvent.objects.count()
    call_command("audit_archive")
    out = capsys.readouterr().out
    assert "dry run: 10 events in 1 segments" in out
    assert AuditEvent.objects.count() == before


def test_command_commit_prints_progress(trail: dict[str, list[int]], capsys: Any) -> None:
    call_command("audit_archive", "--commit", "--segment-events", "5")
    out = capsys.readouterr().out
    assert "segment 2/2" in out and "archived 10 events in 2 segments" in out
    call_command("audit_verify")
    assert "audit chain intact: 16 events verified (10 of them in 2 archive segments)" in capsys.readouterr().out


def _archived(archive_dir: Path) -> list[dict[str, Any]]:
    audit_archive(segment_events=4)
    assert audit_chain_verify().ok
    return _segments(archive_dir)


def test_a_tampered_archive_file_is_found(archive_dir: Path, trail: dict[str, list[int]]) -> None:
    segments = _archived(archive_dir)
    path = archive_dir / segments[1]["file"]
    with gzip.open(path, "rt") as f:
        records = [json.loads(line) for line in f]
    records[1]["fields"]["note"] = "篡改"
    with gzip.open(path, "wt") as f:
        f.writelines(json.dumps(r) + "\n" for r in records)
    report = audit_chain_verify()
    assert not report.ok
    assert report.broken_event_id == segments[1]["first_id"]
    assert "checksum" in report.reason
    # A forger who also fixes the manifest's checksum is caught by the hashes.
    import hashlib

    segments[1]["sha256"] = hashlib.sha256(path.read_bytes()).hexdigest()
    manifest_path = archive_dir / segments[1]["file"].replace(".jsonl.gz", ".manifest.json")
    manifest_path.write_text(json.dumps(segments[1]))
    report = audit_chain_verify()
    assert report.broken_event_id == records[1]["id"]
    assert "does not match its hash" in report.reason
    with pytest.raises(CommandError, match=f"#{records[1]['id']}"):
        call_command("audit_verify")


def test_a_missing_middle_segment_is_found(archive_dir: Path, trail: dict[str, list[int]]) -> None:
    segments = _archived(archive_dir)
    for suffix in (".jsonl.gz", ".manifest.json"):
        (archive_dir / segments[1]["file"].replace(".jsonl.gz", suffix)).unlink()
    report = audit_chain_verify()
    assert report.broken_event_id == segments[2]["first_id"]
    assert "segment is missing" in report.reason


def test_a_missing_last_segment_is_found(archive_dir: Path, trail: dict[str, list[int]]) -> None:
    segments = _archived(archive_dir)
    for suffix in (".jsonl.gz", ".manifest.json"):
        (archive_dir / segments[-1]["file"].replace(".jsonl.gz", suffix)).unlink()
    report = audit_chain_verify()
    assert report.broken_event_id == trail["recent"][0]
    assert "online or archived" in report.reason


def test_a_missing_data_file_is_found(archive_dir: Path, trail: dict[str, list[int]]) -> None:
    segments = _archived(archive_dir)
    (archive_dir / segments[0]["file"]).unlink()
    report = audit_chain_verify()
    assert report.broken_event_id == segments[0]["first_id"] and "missing" in report.reason


def test_an_altered_online_row_after_archiving_is_found(archive_dir: Path, trail: dict[str, list[int]]) -> None:
    _archived(archive_dir)
    AuditEvent.objects.filter(pk=trail["recent"][2]).update(note="改")
    report = audit_chain_verify()
    assert report.broken_event_id == trail["recent"][2]
    assert report.checked == 10 + 2


def test_a_removed_online_tail_after_archiving_is_found(archive_dir: Path, trail: dict[str, list[int]]) -> None:
    _archived(archive_dir)
    AuditEvent.objects.order_by("-id").first().delete()  # type: ignore[union-attr]
    assert "end of the chain" in audit_chain_verify().reason


def test_a_tampered_row_is_never_archived(archive_dir: Path, trail: dict[str, list[int]]) -> None:
    AuditEvent.objects.filter(pk=trail["year"][2]).update(note="改")
    with pytest.raises(ArchiveError):
        audit_archive()
    # Nothing deleted, no segment left describing the refused rows.
    assert AuditEvent.objects.filter(id__in=trail["year"]).count() == 7
    assert list(archive_dir.iterdir()) == []  # not even a temporary file


def test_an_interrupted_run_is_reported_and_repaired(
    archive_dir: Path, trail: dict[str, list[int]], monkeypatch: Any
) -> None:
    from govdesk.audit import archive

    def crash(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("power cut")

    # The file is written and verified, then the process dies before the rows are deleted.
    monkeypatch.setattr(archive, "audit_append", crash)
    with pytest.raises(RuntimeError):
        audit_archive()
    assert AuditEvent.objects.filter(id__in=trail["year"]).count() == 7  # the delete was rolled back
    assert "interrupted" in audit_chain_verify().reason
    monkeypatch.undo()
    assert audit_archive().events == 10
    assert audit_chain_verify().ok
    assert len(_segments(archive_dir)) == 1


def test_online_days_below_180_are_refused(settings: Any, trail: dict[str, list[int]]) -> None:
    settings.GOVDESK = {**settings.GOVDESK, "AUDIT_ONLINE_DAYS": 90}
    with pytest.raises(ArchiveError, match="180"):
        audit_archive()
    with pytest.raises(CommandError, match="180"):
        call_command("audit_archive", "--commit")
    assert AuditEvent.objects.filter(id__in=trail["year"]).count() == 7
    assert [e.id for e in run_checks() if e.id == "govdesk.audit.E001"] == ["govdesk.audit.E001"]


def test_a_longer_online_period_keeps_more(settings: Any, trail: dict[str, list[int]]) -> None:
    settings.GOVDESK = {**settings.GOVDESK, "AUDIT_ONLINE_DAYS": 300}
    assert audit_archive().events == 7


def test_the_nightly_task_archives(trail: dict[str, list[int]]) -> None:
    from govdesk.audit.tasks import audit_archive_task

    audit_archive_task.call_local()
    assert not AuditEvent.objects.filter(id__in=trail["year"]).exists()
    assert audit_chain_verify().ok
