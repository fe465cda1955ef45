"""Package imports from the admin: upload a file, read the dry run's report, confirm to apply the same file.

As the matter catalogue's uploads (whose file checks this reuses): the bytes are kept server-side under a random
token, the confirmation names the token, and the file is checked again as it is applied. Every check and every
application is audited.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from govdesk.audit.services import audit_append
from govdesk.common import clock
from govdesk.common.errors import NotFound, PermissionDenied, ValidationFailed
from govdesk.matters.uploads import (
    CONFIRM_WITHIN,
    KEEP_UNCONFIRMED,
    UPLOAD_MAX_BYTES,
    _clean_name,
    catalogue_file_check,
)

from .models import PackageUpload
from .transfer import PackageImportResult, packages_import

FILE_PERMISSION = "packages.add_packageversion"

__all__ = ["UPLOAD_MAX_BYTES", "PackageUploadCheck", "package_upload_apply", "package_upload_check"]


@dataclass(frozen=True)
class PackageUploadCheck:
    result: PackageImportResult
    upload: PackageUpload | None  # stored only when the dry run found no error: nothing else can be confirmed


def _check_permission(actor: Any) -> None:
    if not actor.has_perm(FILE_PERMISSION):
        raise PermissionDenied(_("Only the catalogue administrator imports packages."))


def _summary(filename: str, digest: str, result: PackageImportResult) -> str:
    return (
        f"{filename} sha256={digest[:16]} packages={result.packages} new={result.created} changed={result.changed} "
        f"unchanged={result.unchanged} errors={len(result.errors)}"
    )


def package_upload_check(*, actor: Any, name: str, data: bytes, ip_address: str | None = None) -> PackageUploadCheck:
    """Dry run of an uploaded package file. Without errors the file is kept for `package_upload_apply`."""
    _check_permission(actor)
    filename = _clean_name(name)
    catalogue_file_check(name=filename, data=data)
    result = packages_import(content=data, filename=filename, commit=False, acting_user=actor)
    digest = hashlib.sha256(data).hexdigest()
    now = clock.now()
    with transaction.atomic():
        PackageUpload.objects.filter(applied_at__isnull=True, uploaded_at__lt=now - KEEP_UNCONFIRMED).delete()
        upload = None
        if not result.errors:
            upload = PackageUpload.objects.create(
                token=secrets.token_urlsafe(32),
                filename=filename,
                size=len(data),
                sha256=digest,
                content=data,
                uploaded_by=actor,
                uploaded_at=now,
            )
        audit_append(
            action="package.catalogue_check",
            actor=actor,
            object_type="package_upload",
            object_id=upload.pk if upload is not None else "",
            note=_summary(filename, digest, result),
            success=not result.errors,
            ip_address=ip_address,
        )
    return PackageUploadCheck(result=result, upload=upload)


def package_upload_apply(*, actor: Any, token: str, ip_address: str | None = None) -> PackageImportResult:
    """Apply a checked upload: the stored bytes, checked again against today's catalogue; with any error nothing is
    written and the errors are returned."""
    _check_permission(actor)
    now = clock.now()
    with transaction.atomic():
        upload = (
            PackageUpload.objects.select_for_update()
            .filter(token=str(token)[:64], uploaded_by=actor, applied_at__isnull=True)
            .first()
        )
        if upload is None:
            raise NotFound(_("This upload is unknown, was applied already or belongs to someone else."))
        if upload.uploaded_at < now - CONFIRM_WITHIN:
            raise ValidationFailed(_("This check is more than an hour old: upload the file again."))
        data = bytes(upload.content)
        result = packages_import(content=data, filename=upload.filename, commit=True, acting_user=actor)
        if not result.errors:
            upload.applied_at = now
            upload.save(update_fields=["applied_at"])
        audit_append(
            action="package.catalogue_import",
            actor=actor,
            object_type="package_upload",
            object_id=upload.pk,
            note=_summary(upload.filename, upload.sha256, result),
            success=not result.errors,
            ip_address=ip_address,
        )
    return result
