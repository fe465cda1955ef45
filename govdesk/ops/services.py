"""Backups and restores of the whole installation: database, attachments and audit archive in one file.

The file is a gzip tar: `manifest.json` (engine, time, migration state, the audit head, row counts, the SHA-256 of
every other member), the database (SQLite: a copy through sqlite3's online backup API; PostgreSQL: `pg_dump` custom
format), `media/…` (attachments, unless left out) and `audit-archive/…` (the archived audit segments, which belong to
the same chain as the database's events). Both dumps are consistent snapshots taken while the server runs, and the
manifest's facts are read from the same snapshot. A restore is verified (row counts, audit head, the audit chain, the
statistics rollups) before it is reported good (等保2.0 8.1.4.9 a: backup and recovery of important data).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.db import connection, connections, transaction
from django.db.migrations.loader import MigrationLoader
from django.utils.translation import gettext as _

from govdesk.audit.archive import audit_archive_dir, manifest_list
from govdesk.audit.models import AuditHead
from govdesk.audit.services import audit_append, audit_chain_verify
from govdesk.common import clock
from govdesk.common.errors import ApplicationError
from govdesk.stats.services import stats_rollup_verify

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
DB_MEMBER = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
MEDIA_PREFIX = "media/"
ARCHIVE_PREFIX = "audit-archive/"

Progress = Callable[[str], None]


class BackupError(ApplicationError):
    """The backup or restore cannot go on; the message says why and what to do."""


def database_engine() -> str:
    vendor = connection.vendor
    if vendor not in DB_MEMBER:
        raise BackupError(_("Backups support SQLite and PostgreSQL, not %(vendor)s.") % {"vendor": vendor})
    return vendor


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _tables() -> list[tuple[str, str]]:
    """(model label, table) of every concrete table the project owns."""
    seen: dict[str, str] = {}
    for model in apps.get_models(include_auto_created=True):
        meta = model._meta
        if meta.managed and not meta.proxy and meta.db_table not in seen.values():
            seen[meta.label_lower] = meta.db_table
    return sorted(seen.items())


def _snapshot_facts(cursor: Any, quote: Callable[[str], str]) -> dict[str, Any]:
    """Row counts, the audit head and the applied migrations, read through the snapshot's own cursor."""
    counts: dict[str, int] = {}
    for label, table in _tables():
        cursor.execute(f"SELECT COUNT(*) FROM {quote(table)}")  # noqa: S608 - table names from the models
        counts[label] = int(cursor.fetchone()[0])
    cursor.execute(f"SELECT last_hash, count FROM {quote(AuditHead._meta.db_table)} WHERE id = 1")  # noqa: S608
    head = cursor.fetchone()
    cursor.execute("SELECT app, name FROM django_migrations ORDER BY app, name")
    migrations = [[app, name] for app, name in cursor.fetchall()]
    return {
        "row_counts": counts,
        "audit": {"head_hash": head[0] if head else "", "count": int(head[1]) if head else 0},
        "migrations": migrations,
    }


def _sqlite_dump(target: Path) -> dict[str, Any]:
    source = sqlite3.connect(str(connection.settings_dict["NAME"]), timeout=30)
    try:
        copy = sqlite3.connect(str(target))
        try:
            # The online backup API copies a consistent state while other connections keep writing.
            source.backup(copy)
            return _snapshot_facts(copy.cursor(), lambda name: f'"{name}"')
        finally:
            copy.close()
    finally:
        source.close()


def pg_tool(name: str) -> str:
    configured = settings.GOVDESK.get("PG_BIN_DIR", "")
    if configured:
        return str(Path(str(configured)) / name)
    candidates = sorted(
        Path("/usr/lib/postgresql").glob(f"*/bin/{name}"),
        key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0,
    )
    if candidates:
        return str(candidates[-1])
    found = shutil.which(name)
    if not found:
        raise BackupError(_("%(tool)s is not installed (set GOVDESK_PG_BIN_DIR).") % {"tool": name})
    return found


def _pg_env() -> dict[str, str]:
    """The connection through libpq's variables: no password on a command line."""
    s = connection.settings_dict
    env = {**os.environ, "PGDATABASE": str(s["NAME"])}
    for key, var in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER"), ("PASSWORD", "PGPASSWORD")):
        if s.get(key):
            env[var] = str(s[key])
    return env


def _run(args: list[str]) -> None:
    done = subprocess.run(args, env=_pg_env(), capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        tail = done.stderr.strip().splitlines()[-3:]
        raise BackupError(
            _("%(tool)s failed: %(error)s") % {"tool": Path(args[0]).name, "error": " / ".join(tail) or done.returncode}
        )


def _postgresql_dump(target: Path) -> dict[str, Any]:
    # One REPEATABLE READ transaction exports its snapshot; pg_dump dumps exactly that state and the manifest's facts
    # are read from it too, so they describe the dump even while the server keeps writing.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = cursor.fetchone()[0]
        facts = _snapshot_facts(cursor, connection.ops.quote_name)
        _run([pg_tool("pg_dump"), "--format=custom", "--no-owner", f"--snapshot={snapshot}", f"--file={target}"])
    return facts


def _files_under(root: Path) -> Iterator[Path]:
    if root.is_dir():
        for path in sorted(root.rglob("*")):
            if path.is_file() and not path.is_symlink():
                yield path


@dataclass(frozen=True)
class BackupResult:
    path: Path
    sha256: str
    manifest: dict[str, Any]


def backup_create(
    *, out: Path, include_media: bool = True, actor: Any = None, progress: Progress | None = None
) -> BackupResult:
    """Write one backup file (see the module's docstring); audited as `backup.create` with the file's SHA-256."""
    say = progress or (lambda _line: None)
    engine = database_engine()
    out = out.resolve()
    if out.is_dir():
        raise BackupError(_("%(path)s is a folder: name the backup file.") % {"path": out})
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="govdesk-backup-") as tmp:
        dump = Path(tmp) / DB_MEMBER[engine]
        say(f"dumping the {engine} database")
        facts = _sqlite_dump(dump) if engine == "sqlite" else _postgresql_dump(dump)
        members: list[tuple[str, Path]] = [(DB_MEMBER[engine], dump)]
        media_root = Path(settings.MEDIA_ROOT)
        if include_media:
            members += [(MEDIA_PREFIX + p.relative_to(media_root).as_posix(), p) for p in _files_under(media_root)]
        archive = audit_archive_dir()
        for manifest_path, manifest in manifest_list(archive):
            members.append((ARCHIVE_PREFIX + manifest_path.name, manifest_path))
            if manifest and (archive / str(manifest.get("file", ""))).is_file():
                members.append((ARCHIVE_PREFIX + str(manifest["file"]), archive / str(manifest["file"])))
        say(f"hashing {len(members)} files")
        manifest = {
            "format": FORMAT_VERSION,
            "engine": engine,
            "created_at": clock.now().isoformat(),
            "media": include_media,
            **facts,
            "files": {name: _sha256(path) for name, path in members},
        }
        partial = out.with_name(f".{out.name}.partial")
        with tarfile.open(partial, "w:gz") as tar:
            data = json.dumps(manifest, ensure_ascii=False, indent=1).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mtime, info.mode = len(data), int(clock.now().timestamp()), 0o600
            tar.addfile(info, io.BytesIO(data))
            for name, path in members:
                tar.add(str(path), arcname=name, recursive=False)
        with partial.open("rb") as f:
            os.fsync(f.fileno())
        os.chmod(partial, 0o600)
        os.replace(partial, out)
    digest = _sha256(out)
    say(f"wrote {out} ({out.stat().st_size} bytes, sha256 {digest})")
    with transaction.atomic():
        audit_append(
            action="backup.create",
            actor=actor,
            object_type="backup",
            object_id=out.name[:64],
            note=(
                f"{engine} backup {out.name}, sha256 {digest}, audit head {facts['audit']['count']} events, "
                f"{'with' if include_media else 'without'} attachments"
            ),
        )
    return BackupResult(path=out, sha256=digest, manifest=manifest)


@dataclass
class RestoreReport:
    manifest: dict[str, Any]
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _damaged(reason: object) -> BackupError:
    return BackupError(
        _("The backup file is damaged or is not a GovDesk backup (%(reason)s); nothing was restored.")
        % {"reason": reason}
    )


@contextmanager
def _unpacked(path: Path) -> Iterator[tuple[Path, dict[str, Any]]]:
    """The backup's members in a temporary folder, every checksum checked against the manifest."""
    if not path.is_file():
        raise BackupError(_("%(path)s does not exist.") % {"path": path})
    with tempfile.TemporaryDirectory(prefix="govdesk-restore-") as tmp:
        folder = Path(tmp)
        try:
            with tarfile.open(path, "r:gz") as tar:
                # "data": no absolute paths, no "..", no links out of the folder, no device files.
                tar.extractall(folder, filter="data")
            manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
            files: dict[str, str] = manifest["files"]
            if manifest.get("format") != FORMAT_VERSION or manifest.get("engine") not in DB_MEMBER:
                raise _damaged("unknown format")
        except BackupError:
            raise
        except (tarfile.TarError, EOFError, zlib.error, OSError, ValueError, KeyError, TypeError) as exc:
            raise _damaged(exc.__class__.__name__) from exc
        for name, digest in files.items():
            member = folder / name
            if not member.is_file() or _sha256(member) != digest:
                raise _damaged(f"{name} does not match its checksum")
        yield folder, manifest


def _check_compatible(manifest: dict[str, Any]) -> list[str]:
    """The migrations this code must apply after the restore; refuses a backup of another engine or newer code."""
    engine = database_engine()
    if manifest["engine"] != engine:
        raise BackupError(
            _(
                "This is a %(backup)s backup; the configured database is %(current)s. "
                "Restore it into a %(backup)s database."
            )
            % {"backup": manifest["engine"], "current": engine}
        )
    known = set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
    in_backup = {(app, name) for app, name in manifest["migrations"]}
    newer = sorted(f"{app}.{name}" for app, name in in_backup - known)
    if newer:
        raise BackupError(
            _(
                "The backup was made by a newer GovDesk (migrations unknown here: %(names)s). Install that version "
                "first, then restore."
            )
            % {"names": ", ".join(newer[:5])}
        )
    return sorted(f"{app}.{name}" for app, name in known - in_backup)


def _sqlite_load(dump: Path) -> None:
    source = sqlite3.connect(str(dump))
    try:
        target = sqlite3.connect(str(connection.settings_dict["NAME"]), timeout=30)
        try:
            # Page by page into the live file, under its write lock: readers see the old or the new database.
            source.backup(target)
        finally:
            target.close()
    finally:
        source.close()


def _postgresql_load(dump: Path) -> None:
    _run(
        [
            pg_tool("pg_restore"),
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            f"--dbname={connection.settings_dict['NAME']}",
            str(dump),
        ]
    )


def _restore_files(folder: Path, prefix: str, target: Path) -> int:
    source = folder / prefix.rstrip("/")
    count = 0
    for path in _files_under(source):
        destination = target / path.relative_to(source)
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, destination)
        count += 1
    return count


def _restore_audit_archive(folder: Path, manifest: dict[str, Any]) -> None:
    """The archive as it was at the backup: segments archived since then hold events the restored database has online
    again, so they move aside (kept, never deleted) to `superseded-<time>/`."""
    archive = audit_archive_dir()
    archive.mkdir(parents=True, exist_ok=True, mode=0o700)
    wanted = {name[len(ARCHIVE_PREFIX) :] for name in manifest["files"] if name.startswith(ARCHIVE_PREFIX)}
    aside = archive / f"superseded-{clock.now().strftime('%Y%m%dT%H%M%S')}"
    for path in sorted(archive.glob("audit-*")):
        if path.is_file() and path.name not in wanted:
            aside.mkdir(exist_ok=True)
            path.rename(aside / path.name)
    _restore_files(folder, ARCHIVE_PREFIX, archive)


def restore_verify(manifest: dict[str, Any], *, migrated: bool) -> list[str]:
    """What differs from the backup's manifest, the audit chain's first break, the statistics' differences."""
    problems: list[str] = []
    head = AuditHead.objects.filter(pk=1).first()
    restored_head = {"head_hash": head.last_hash if head else "", "count": head.count if head else 0}
    if restored_head != manifest["audit"]:
        problems.append(f"audit head {restored_head} differs from the backup's {manifest['audit']}")
    if not migrated:
        with connection.cursor() as cursor:
            counts = _snapshot_facts(cursor, connection.ops.quote_name)["row_counts"]
        for label, expected in manifest["row_counts"].items():
            if counts.get(label, expected) != expected:
                problems.append(f"{label}: {counts.get(label)} rows restored, {expected} in the backup")
    chain = audit_chain_verify()
    if not chain.ok:
        problems.append(f"audit chain broken at event #{chain.broken_event_id} ({chain.reason})")
    problems += [f"statistics: {line}" for line in stats_rollup_verify(limit=20)]
    return problems


def backup_restore(*, path: Path, actor: Any = None, progress: Progress | None = None) -> RestoreReport:
    """Replace the database (and attachments, audit archive) with a backup's, then verify it; `backup.restore` is
    appended after the verification, with its outcome."""
    say = progress or (lambda _line: None)
    with _unpacked(path.resolve()) as (folder, manifest):
        pending = _check_compatible(manifest)
        engine = manifest["engine"]
        say(f"restoring the {engine} database from {manifest['created_at']}")
        # Our own connections would hold locks (and PostgreSQL's pg_restore waits for them): close them first.
        connections.close_all()
        dump = folder / DB_MEMBER[engine]
        if engine == "sqlite":
            _sqlite_load(dump)
        else:
            _postgresql_load(dump)
        if manifest.get("media"):
            say(f"restoring {_restore_files(folder, MEDIA_PREFIX, Path(settings.MEDIA_ROOT))} attachment files")
        _restore_audit_archive(folder, manifest)
        if pending:
            say(f"applying {len(pending)} migrations newer than the backup")
            call_command("migrate", interactive=False, verbosity=0)
        say("verifying: row counts, audit head and chain, statistics rollups")
        report = RestoreReport(manifest=manifest, problems=restore_verify(manifest, migrated=bool(pending)))
    with transaction.atomic():
        audit_append(
            action="backup.restore",
            actor=actor,
            object_type="backup",
            object_id=path.name[:64],
            success=report.ok,
            note=(
                f"{engine} backup of {manifest['created_at']} restored; "
                + ("verified" if report.ok else f"verification failed: {report.problems[0]}")
            )[:2000],
        )
    return report
