"""Checked uploads of a catalogue file from the admin: upload a file, read the dry run's report, confirm to apply the
same file. One machinery for every kind (`UploadKind`): the matter catalogue's (`CATALOGUE_UPLOADS` here) and the
package catalogue's (`govdesk.packages.uploads`); their pages are `govdesk.matters.upload_admin`.

The uploaded bytes are kept server-side (`CatalogueUpload`, `PackageUpload`) under a random token: the confirmation
names the token, not a file, so the administrator applies exactly what they read the report of, and the file is
checked again as it is applied (the catalogue may have changed in between). Every check and every application is
audited.
"""

from __future__ import annotations

import hashlib
import io
import json
import secrets
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Generic, TypeVar

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from govdesk.audit.services import audit_append
from govdesk.common import clock
from govdesk.common.errors import NotFound, PermissionDenied, ValidationFailed

from .models import CatalogueUpload, CheckedUpload
from .transfer import ImportReport, ImportResult, matters_import

# The shipped catalogue (242 matters with forms and checklists) is about 150 KB as a workbook; 5 MB leaves room for
# every matter a district has while bounding the work of one request.
UPLOAD_MAX_BYTES = 5 * 1024 * 1024
# A workbook is a zip: its unpacked parts are bounded too, so a small "zip bomb" is refused before openpyxl reads it.
UNPACKED_MAX_BYTES = 60 * 1024 * 1024
# A checked file waits this long for its confirmation; after that the administrator checks it again.
CONFIRM_WITHIN = timedelta(hours=1)
# Unconfirmed uploads are deleted after a day: they hold a whole catalogue each.
KEEP_UNCONFIRMED = timedelta(days=1)
WORKBOOK_PARTS = ("[Content_Types].xml", "xl/workbook.xml")


Report = TypeVar("Report", bound=ImportReport)


@dataclass(frozen=True)
class UploadKind(Generic[Report]):
    """One kind of catalogue file: where its checked uploads are kept, what imports it, who may, and its audit."""

    model: type[CheckedUpload]
    run_import: Callable[..., Report]  # (content, filename, commit, acting_user); any row error: nothing written
    counted: Callable[[Report], int]  # how many entries the file holds, for the audit note
    noun: str  # what those entries are, in the audit note: "matters", "packages"
    permission: str
    refusal: Any  # the message of a PermissionDenied (lazy: the actor's language)
    audit_prefix: str  # "matter" → the actions matter.catalogue_check and matter.catalogue_import
    object_type: str  # the audit events' object type


@dataclass(frozen=True)
class UploadCheck(Generic[Report]):
    result: Report
    upload: CheckedUpload | None  # stored only when the dry run found no error: nothing else can be confirmed


def _refuse(message: str) -> ValidationFailed:
    return ValidationFailed(message, fields={"file": [message]})


def catalogue_file_check(*, name: str, data: bytes) -> str:
    """The file's kind ("xlsx" or "json"), judged by its bytes as well as its name; a renamed file is refused."""
    limit_mb = UPLOAD_MAX_BYTES // (1024 * 1024)
    if not data:
        raise _refuse(_("The file is empty."))
    if len(data) > UPLOAD_MAX_BYTES:
        raise _refuse(_("The file is larger than %(mb)d MB.") % {"mb": limit_mb})
    lowered = name.lower()
    if lowered.endswith(".xlsx"):
        if not data.startswith(b"PK\x03\x04"):
            raise _refuse(_("This file is named .xlsx but is not an Excel workbook."))
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                parts = archive.infolist()
        except (zipfile.BadZipFile, OSError, ValueError):
            raise _refuse(_("This file is named .xlsx but is not an Excel workbook.")) from None
        names = {part.filename for part in parts}
        if not all(part in names for part in WORKBOOK_PARTS):
            raise _refuse(_("This file is named .xlsx but is not an Excel workbook."))
        if sum(part.file_size for part in parts) > UNPACKED_MAX_BYTES:
            raise _refuse(_("The workbook unpacks to more than %(mb)d MB.") % {"mb": UNPACKED_MAX_BYTES // 2**20})
        return "xlsx"
    if lowered.endswith(".json"):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise _refuse(_("This file is named .json but is not UTF-8 text.")) from None
        if not text.lstrip().startswith("{"):
            raise _refuse(_('This file is named .json but is not a JSON object with a list "matters".'))
        try:
            json.loads(text)
        except json.JSONDecodeError as exc:
            raise _refuse(_("This file is not valid JSON: %(error)s") % {"error": exc}) from None
        return "json"
    raise _refuse(_("Upload an Excel workbook (.xlsx, as the export writes it) or the catalogue's JSON (.json)."))


def _check_permission(kind: UploadKind[Any], actor: Any) -> None:
    if not actor.has_perm(kind.permission):
        raise PermissionDenied(str(kind.refusal))


def _clean_name(name: str) -> str:
    return "".join(ch for ch in name if ch.isprintable() and ch not in '/\\:*?"<>|')[-150:] or "catalogue"


def checked_upload_check(
    kind: UploadKind[Report], *, actor: Any, name: str, data: bytes, ip_address: str | None = None
) -> UploadCheck[Report]:
    """Dry run of an uploaded file. Without errors the file is kept for `checked_upload_apply`."""
    _check_permission(kind, actor)
    filename = _clean_name(name)
    catalogue_file_check(name=filename, data=data)
    result = kind.run_import(content=data, filename=filename, commit=False, acting_user=actor)
    digest = hashlib.sha256(data).hexdigest()
    now = clock.now()
    with transaction.atomic():
        kind.model._default_manager.filter(applied_at__isnull=True, uploaded_at__lt=now - KEEP_UNCONFIRMED).delete()
        upload = None
        if not result.errors:
            upload = kind.model._default_manager.create(
                token=secrets.token_urlsafe(32),
                filename=filename,
                size=len(data),
                sha256=digest,
                content=data,
                uploaded_by=actor,
                uploaded_at=now,
            )
        audit_append(
            action=f"{kind.audit_prefix}.catalogue_check",
            actor=actor,
            object_type=kind.object_type,
            object_id=upload.pk if upload is not None else "",
            note=_summary(kind, filename, digest, result),
            success=not result.errors,
            ip_address=ip_address,
        )
    return UploadCheck(result=result, upload=upload)


def _summary(kind: UploadKind[Report], filename: str, digest: str, result: Report) -> str:
    return (
        f"{filename} sha256={digest[:16]} {kind.noun}={kind.counted(result)} new={result.created} "
        f"changed={result.changed} unchanged={result.unchanged} errors={len(result.errors)}"
    )


def checked_upload_apply(kind: UploadKind[Report], *, actor: Any, token: str, ip_address: str | None = None) -> Report:
    """Apply a checked upload: the stored bytes, checked again against today's catalogue; with any error (the
    catalogue or the units changed since the dry run) nothing is written and the errors are returned."""
    _check_permission(kind, actor)
    now = clock.now()
    with transaction.atomic():
        upload = (
            kind.model._default_manager.select_for_update()
            .filter(token=str(token)[:64], uploaded_by=actor, applied_at__isnull=True)
            .first()
        )
        if upload is None:
            raise NotFound(_("This upload is unknown, was applied already or belongs to someone else."))
        if upload.uploaded_at < now - CONFIRM_WITHIN:
            raise ValidationFailed(_("This check is more than an hour old: upload the file again."))
        data = bytes(upload.content)
        # With any error the import writes nothing; the upload stays unconfirmed and the refusal is audited.
        result = kind.run_import(content=data, filename=upload.filename, commit=True, acting_user=actor)
        if not result.errors:
            upload.applied_at = now
            upload.save(update_fields=["applied_at"])
        audit_append(
            action=f"{kind.audit_prefix}.catalogue_import",
            actor=actor,
            object_type=kind.object_type,
            object_id=upload.pk,
            note=_summary(kind, upload.filename, upload.sha256, result),
            success=not result.errors,
            ip_address=ip_address,
        )
    return result


CATALOGUE_UPLOADS: UploadKind[ImportResult] = UploadKind(
    model=CatalogueUpload,
    run_import=matters_import,
    counted=lambda result: result.matters,
    noun="matters",
    permission="matters.add_matterversion",
    refusal=gettext_lazy("Only the catalogue administrator imports the catalogue."),
    audit_prefix="matter",
    object_type="catalogue_upload",
)
