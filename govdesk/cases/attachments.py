"""Attachment checks by content, not by the name or type the client claims."""

from __future__ import annotations

import io
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from govdesk.common.errors import ValidationFailed

SIGNATURES = (
    (b"\xff\xd8\xff", "image/jpeg", "JPEG"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "PNG"),
    (b"%PDF-", "application/pdf", None),
)


def _setting(name: str) -> int:
    value = settings.GOVDESK[name]
    assert isinstance(value, int)
    return value


@dataclass(frozen=True)
class CheckedFile:
    name: str
    content_type: str
    data: bytes


def attachment_check(*, name: str, data: bytes) -> CheckedFile:
    """Accept JPEG, PNG and PDF only, recognised by their bytes; a renamed executable is refused."""
    limit = _setting("ATTACHMENT_MAX_BYTES")
    if not data:
        raise ValidationFailed(
            _("The file %(name)s is empty.") % {"name": name}, fields={"attachments": [_("Empty file.")]}
        )
    if len(data) > limit:
        message = _("The file %(name)s is larger than %(mb)d MB.") % {"name": name, "mb": limit // (1024 * 1024)}
        raise ValidationFailed(message, fields={"attachments": [message]})
    for magic, content_type, pil_format in SIGNATURES:
        if data.startswith(magic):
            if pil_format is not None:
                try:
                    with Image.open(io.BytesIO(data)) as image:
                        if image.format != pil_format:
                            break
                        image.verify()
                except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
                    break
            elif b"%%EOF" not in data[-2048:]:
                break
            clean_name = "".join(ch for ch in name if ch.isprintable() and ch not in '/\\:*?"<>|')[-150:] or "file"
            return CheckedFile(clean_name, content_type, data)
    message = _("The file %(name)s is not a JPEG or PNG image or a PDF document.") % {"name": name}
    raise ValidationFailed(message, fields={"attachments": [message]})


def attachments_check(files: list[tuple[str, bytes]]) -> list[CheckedFile]:
    limit = _setting("ATTACHMENT_MAX_FILES")
    if len(files) > limit:
        message = _("At most %(n)d files can be attached.") % {"n": limit}
        raise ValidationFailed(message, fields={"attachments": [message]})
    return [attachment_check(name=n, data=d) for n, d in files]
