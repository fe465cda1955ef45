"""Helpers for the work-order API tests: sample files, row counts, URLs."""

from __future__ import annotations

import io

from PIL import Image

from govdesk.audit.models import AuditEvent
from govdesk.cases.models import Attachment, CaseEvent
from govdesk.workorders.models import WorkOrder

BASE = "/api/v1/workorders/"

# The smallest well-formed PDF our content check accepts: the header and the end-of-file marker.
PDF_BYTES = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
# A Windows executable's header: what a disguised upload really is.
EXE_BYTES = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64 + b"This program cannot be run"


def png_bytes(size: tuple[int, int] = (8, 8)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


def url(number: str | None = None, action: str | None = None) -> str:
    if number is None:
        return BASE
    return f"{BASE}{number}/{action}/" if action else f"{BASE}{number}/"


def counts() -> tuple[int, int, int, int]:
    """Rows a request could write; a rejected request must leave all of them unchanged."""
    return (
        WorkOrder.objects.count(),
        CaseEvent.objects.count(),
        AuditEvent.objects.count(),
        Attachment.objects.count(),
    )
