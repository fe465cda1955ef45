"""The office's upload of a filled ledger workbook: a dry run first (every error, or the counts that would be created,
updated and left unchanged), then a confirmation that applies exactly the bytes that were checked.

The checked bytes wait in the cache (the database cache in production, shared by every worker) under a random token
bound to the uploader and the ledger, for an hour; the confirmation reads and checks them again as it writes (the
ledger may have changed in between). A workbook with any error writes nothing. Checks and refusals are audited;
the write itself is audited by `ledger_rows_write`.
"""

from __future__ import annotations

import hashlib
import io
import secrets
import zipfile
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.utils.translation import gettext as _

from govdesk.audit.services import audit_append
from govdesk.common.errors import NotFound, PermissionDenied, ValidationFailed
from govdesk.org.models import Role, Unit

from .kinds import LedgerKind
from .services import ledger_rows_write
from .xlsx import ReadResult, ledger_workbook_read

# A year of self-built houses (the largest ledger, ~37,000 rows) is about 2 MB as a workbook.
UPLOAD_MAX_BYTES = 20 * 1024 * 1024
# A workbook is a zip: a small "zip bomb" is refused before openpyxl unpacks it.
UNPACKED_MAX_BYTES = 200 * 1024 * 1024
CONFIRM_WITHIN = timedelta(hours=1)
CACHE_PREFIX = "ledgers:upload:"


@dataclass
class ImportCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass
class UploadCheck:
    read: ReadResult
    counts: ImportCounts | None = None
    errors: list[str] = field(default_factory=list)
    token: str | None = None  # only when the dry run found no error: nothing else can be confirmed


class _RolledBack(Exception):
    def __init__(self, counts: ImportCounts) -> None:
        super().__init__("rolled back")
        self.counts = counts


def error_messages(error: ValidationFailed) -> list[str]:
    """Every message a refusal carries (its row errors), else its message."""
    found = [str(message) for messages in (error.fields or {}).values() for message in messages]
    found += [str(item) for item in getattr(error, "errors", None) or ()]
    return found or [str(error.message)]


def _write_args(kind: LedgerKind, read: ReadResult, data: bytes, actor: Any) -> dict[str, Any]:
    unit = Unit.objects.filter(code=read.unit_code).first() if read.unit_code else None
    return {
        "kind": kind.code,
        "rows": read.rows,
        "actor": actor,
        "source": f"import:{hashlib.sha256(data).hexdigest()[:12]}",
        "year": read.year,
        "month": read.month,
        "unit": unit,
    }


def ledger_import_write(kind: LedgerKind, read: ReadResult, data: bytes, *, actor: Any, commit: bool) -> ImportCounts:
    """Write the rows of a read workbook (`commit`), or do the very same write and roll it back (a dry run), so the
    counts are exactly what the write does. A refusal of the service (ValidationFailed) writes nothing."""
    args = _write_args(kind, read, data, actor)
    if commit:
        written = ledger_rows_write(**args)
        return ImportCounts(written.created, written.updated, written.unchanged)
    try:
        with transaction.atomic():
            written = ledger_rows_write(**args)
            raise _RolledBack(ImportCounts(written.created, written.updated, written.unchanged))
    except _RolledBack as dry:
        return dry.counts


def _check_office(actor: Any) -> None:
    if not (actor.is_authenticated and actor.has_role(Role.SUPERVISOR)):
        raise PermissionDenied(_("Only the office imports ledgers."))


def ledger_file_check(*, name: str, data: bytes) -> None:
    """A real .xlsx workbook within bounds, judged by its bytes as well as its name."""
    if not data:
        raise ValidationFailed(_("The file is empty."), fields={"file": [_("The file is empty.")]})
    if len(data) > UPLOAD_MAX_BYTES:
        message = _("The file is larger than %(mb)d MB.") % {"mb": UPLOAD_MAX_BYTES // 2**20}
        raise ValidationFailed(message, fields={"file": [message]})
    not_workbook = _("Upload the ledger's Excel template (.xlsx).")
    if not name.lower().endswith(".xlsx") or not data.startswith(b"PK\x03\x04"):
        raise ValidationFailed(not_workbook, fields={"file": [not_workbook]})
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(part.file_size for part in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        raise ValidationFailed(not_workbook, fields={"file": [not_workbook]}) from None
    if unpacked > UNPACKED_MAX_BYTES:
        message = _("The workbook unpacks to more than %(mb)d MB.") % {"mb": UNPACKED_MAX_BYTES // 2**20}
        raise ValidationFailed(message, fields={"file": [message]})


def ledger_upload_check(
    kind: LedgerKind, *, actor: Any, name: str, data: bytes, ip_address: str | None = None
) -> UploadCheck:
    """Dry run of an uploaded workbook; without errors its bytes wait for `ledger_upload_apply` under a token."""
    _check_office(actor)
    ledger_file_check(name=name, data=data)
    read = ledger_workbook_read(kind, data)
    check = UploadCheck(read=read, errors=read.messages)
    if not check.errors:
        try:
            check.counts = ledger_import_write(kind, read, data, actor=actor, commit=False)
        except ValidationFailed as refusal:
            check.errors = error_messages(refusal)
    digest = hashlib.sha256(data).hexdigest()
    if not check.errors:
        check.token = secrets.token_urlsafe(24)
        cache.set(
            CACHE_PREFIX + check.token,
            {"user": actor.pk, "kind": kind.code, "name": name[-150:], "data": data},
            timeout=int(CONFIRM_WITHIN.total_seconds()),
        )
    with transaction.atomic():
        audit_append(
            action="ledger.upload_check",
            actor=actor,
            object_type=kind.code,
            note=_summary(name, digest, read, check.counts, len(check.errors)),
            success=not check.errors,
            ip_address=ip_address,
        )
    return check


def ledger_upload_apply(kind: LedgerKind, *, actor: Any, token: str, ip_address: str | None = None) -> ImportCounts:
    """Write a checked upload: the stored bytes, read and checked again. Any error: nothing written (ValidationFailed
    with every message in `fields["file"]`)."""
    _check_office(actor)
    key = CACHE_PREFIX + str(token)[:64]
    stored = cache.get(key)
    if not isinstance(stored, dict) or stored.get("user") != actor.pk or stored.get("kind") != kind.code:
        raise NotFound(_("This upload is unknown, was applied already, is more than an hour old or is someone else's."))
    data: bytes = stored["data"]
    digest = hashlib.sha256(data).hexdigest()
    read = ledger_workbook_read(kind, data)
    refusal: ValidationFailed | None = None
    if read.errors:
        refusal = ValidationFailed(_("The workbook has errors: nothing was written."), fields={"file": read.messages})
    else:
        try:
            counts = ledger_import_write(kind, read, data, actor=actor, commit=True)
        except ValidationFailed as refused:
            # The ledger changed since the dry run (a unit's report wrote a row meanwhile): nothing written.
            refusal = ValidationFailed(refused.message, fields={"file": error_messages(refused)})
    if refusal is not None:
        with transaction.atomic():
            audit_append(
                action="ledger.upload_apply",
                actor=actor,
                object_type=kind.code,
                note=_summary(str(stored.get("name", "")), digest, read, None, len(error_messages(refusal))),
                success=False,
                ip_address=ip_address,
            )
        raise refusal
    cache.delete(key)
    return counts


def _summary(name: str, digest: str, read: ReadResult, counts: ImportCounts | None, errors: int) -> str:
    made = f"created={counts.created} updated={counts.updated} unchanged={counts.unchanged}" if counts else ""
    return f"{name[-150:]} sha256={digest[:16]} rows={len(read.rows)} {made} errors={errors}".strip()
