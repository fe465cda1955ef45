"""Attachments are judged by their bytes, not by the name or type the client claims."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import override_settings
from django.utils import translation
from PIL import Image

from govdesk.cases.attachments import attachment_check, attachments_check
from govdesk.cases.models import Attachment
from govdesk.common.errors import ValidationFailed
from govdesk.workorders import services
from govdesk.workorders.tests.factories import intake

MINIMAL_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 10 10]>>endobj\n"
    b"xref\n0 4\n0000000000 65535 f \n0000000009 00000 n \n0000000052 00000 n \n0000000101 00000 n \n"
    b"trailer<</Size 4/Root 1 0 R>>\nstartxref\n160\n%%EOF\n"
)


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """Messages are matched in English, whatever the translation catalogue says."""
    with translation.override("en"):
        yield


def image_bytes(fmt: str, size: tuple[int, int] = (32, 24)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, format=fmt)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "data", "content_type"),
    [
        ("现场.png", image_bytes("PNG"), "image/png"),
        ("photo.jpg", image_bytes("JPEG"), "image/jpeg"),
        ("photo.jpeg", image_bytes("JPEG", (2000, 1500)), "image/jpeg"),
        ("scan.png", image_bytes("JPEG"), "image/jpeg"),  # the bytes decide the type, not the name
        ("回复函.pdf", MINIMAL_PDF, "application/pdf"),
    ],
)
def test_real_images_and_pdfs_are_accepted(name: str, data: bytes, content_type: str) -> None:
    checked = attachment_check(name=name, data=data)
    assert (checked.name, checked.content_type, checked.data) == (name, content_type, data)


def rejected(name: str, data: bytes) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as excinfo:
        attachment_check(name=name, data=data)
    assert excinfo.value.status_code == 400 and "attachments" in excinfo.value.fields
    return excinfo.value


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("photo.jpg", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200),  # a Windows executable
        ("photo.jpg", b"\x7fELF\x02\x01\x01" + b"\x00" * 200),
        ("photo.jpg", b"\xff\xd8\xff\xe0" + b"MZ" * 100),  # a JPEG signature on garbage
        ("a.png", image_bytes("PNG")[:40]),  # truncated PNG
        ("a.jpg", image_bytes("JPEG")[:30]),  # truncated JPEG
        ("a.pdf", MINIMAL_PDF[:-7]),  # a PDF without its end
        ("a.gif", image_bytes("GIF")),  # an image, but not a type we take
        ("a.pdf", b"<html><script>alert(1)</script></html>"),
        ("a.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
    ],
)
def test_disguised_or_broken_files_are_refused(name: str, data: bytes) -> None:
    assert name in rejected(name, data).message


def test_an_empty_file_is_refused() -> None:
    assert "empty" in rejected("空.jpg", b"").message


@override_settings(GOVDESK={"ATTACHMENT_MAX_BYTES": 10 * 1024 * 1024, "ATTACHMENT_MAX_FILES": 5})
def test_size_limit() -> None:
    png = image_bytes("PNG")
    limit = 10 * 1024 * 1024
    padded = png + b"\x00" * (limit - len(png))  # PNG ignores data after IEND; exactly at the limit
    assert attachment_check(name="big.png", data=padded).content_type == "image/png"
    assert "10 MB" in rejected("huge.png", padded + b"\x00").message


@override_settings(GOVDESK={"ATTACHMENT_MAX_BYTES": 10 * 1024 * 1024, "ATTACHMENT_MAX_FILES": 5})
def test_file_count_limit() -> None:
    png = image_bytes("PNG")
    assert len(attachments_check([(f"{i}.png", png) for i in range(5)])) == 5
    with pytest.raises(ValidationFailed) as excinfo:
        attachments_check([(f"{i}.png", png) for i in range(6)])
    assert "5" in excinfo.value.message


def test_one_bad_file_refuses_the_batch() -> None:
    with pytest.raises(ValidationFailed):
        attachments_check([("ok.png", image_bytes("PNG")), ("bad.jpg", b"MZ" + b"\x00" * 50)])


def test_names_are_cleaned() -> None:
    checked = attachment_check(name="../../etc/pass\x00wd\u202egpj.exe", data=image_bytes("PNG"))
    assert "/" not in checked.name and "\x00" not in checked.name and "\u202e" not in checked.name
    assert attachment_check(name="///", data=image_bytes("PNG")).name == "file"


@pytest.mark.django_db
def test_attachments_are_stored_with_the_order(people: Any, categories: Any) -> None:
    files = attachments_check([("现场.png", image_bytes("PNG")), ("函.pdf", MINIMAL_PDF)])
    order = services.workorder_register(actor=people.operator, data=intake(categories.facilities), files=files)
    stored = list(Attachment.objects.filter(case=order).order_by("id"))
    assert [(a.original_name, a.content_type) for a in stored] == [
        ("现场.png", "image/png"),
        ("函.pdf", "application/pdf"),
    ]
    assert stored[1].file.read() == MINIMAL_PDF
    assert stored[1].size == len(MINIMAL_PDF) and len(stored[1].sha256) == 64
    assert stored[1].file.name.endswith(stored[1].sha256)  # no user-supplied names on disk
    assert order.events.get().data["attachments"] == 2
