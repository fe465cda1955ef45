"""The catalogue administrator's import page: upload → dry-run report → confirm applies the stored file → result;
row errors are listed with sheet/row/column and nothing is written; only the catalogue administrator may use it;
oversized and disguised files are refused with a message."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from openpyxl import load_workbook

from govdesk.audit.models import AuditEvent
from govdesk.matters import uploads
from govdesk.matters.models import CatalogueUpload, Matter, MatterVersion
from govdesk.org.models import Role
from govdesk.org.tests.factories import UserFactory, login_verified

from .helpers import make_matter

pytestmark = pytest.mark.django_db

IMPORT_URL = "/admin/matters/matter/import/"
CONFIRM_URL = "/admin/matters/matter/import/confirm/"
EXPORT_URL = "/admin/matters/matter/export/"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def sysadmin(district: Any) -> Any:
    return UserFactory(username="root", roles=[Role.SYSADMIN])


@pytest.fixture
def admin_client(client: Any, sysadmin: Any) -> Any:
    login_verified(client, sysadmin)
    return client


def exported(client: Any) -> Any:
    response = client.get(EXPORT_URL)
    assert response.status_code == 200
    return load_workbook(io.BytesIO(response.content))


def as_upload(book: Any, name: str = "catalogue.xlsx") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    book.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type=XLSX)


def column(sheet: Any, title: str) -> int:
    return [cell.value for cell in sheet[1]].index(title) + 1


def catalogue_state() -> tuple[Any, ...]:
    return (
        tuple(Matter.objects.order_by("code").values_list("code", "current_version__version", "is_active")),
        MatterVersion.objects.count(),
        CatalogueUpload.objects.count(),
    )


def edited_workbook(client: Any, district: Any) -> Any:
    """The exported catalogue with A1's promised limit shortened and a new matter B1 with one material."""
    book = exported(client)
    matters, materials = book["事项"], book["材料"]
    matters.cell(row=2, column=column(matters, "承诺办结时限（工作日）"), value=3)
    first = [cell.value for cell in matters[2]]
    first[column(matters, "事项编码") - 1] = "B1"
    first[column(matters, "事项名称") - 1] = "餐饮服务许可（新办）"
    matters.append(first)
    materials.append(["B1", "M01", "申请书", "原件", 1, "是", "申请人自备", "", 0])
    return book


def test_upload_report_confirm_result(admin_client: Any, district: Any, sysadmin: Any) -> None:
    make_matter(district.dept_a, code="A1")
    listing = admin_client.get("/admin/matters/matter/").content.decode()
    assert IMPORT_URL in listing and EXPORT_URL in listing
    assert admin_client.get(IMPORT_URL).status_code == 200
    before = catalogue_state()

    report = admin_client.post(IMPORT_URL, {"file": as_upload(edited_workbook(admin_client, district))})
    assert report.status_code == 200, report.content.decode()[:3000]
    page = report.content.decode()
    assert 'data-testid="new-B1"' in page and "餐饮服务许可（新办）" in page
    assert 'data-testid="changed-A1"' in page and "v1 → v2" in page
    assert "<svg" in page  # the new/changed/unchanged bar
    # A dry run: the catalogue is as it was; only the checked file is kept, for the confirmation.
    assert catalogue_state()[:2] == before[:2]
    upload = CatalogueUpload.objects.get()
    assert upload.uploaded_by == sysadmin and upload.applied_at is None and upload.token in page
    check = AuditEvent.objects.get(action="matter.catalogue_check")
    assert check.success and "new=1 changed=1" in check.note

    # The confirmation applies the stored bytes: a file posted with it is ignored.
    junk = SimpleUploadedFile("other.xlsx", b"PK\x03\x04junk", content_type=XLSX)
    result = admin_client.post(CONFIRM_URL, {"token": upload.token, "file": junk})
    assert result.status_code == 200, result.content.decode()[:3000]
    assert 'data-testid="import-applied"' in result.content.decode()
    a1 = Matter.objects.get(code="A1").current_version
    assert a1 is not None and a1.version == 2 and a1.promised_limit_days == 3
    b1 = Matter.objects.get(code="B1").current_version
    assert b1 is not None and b1.version == 1 and [m.code for m in b1.materials.all()] == ["M01"]
    upload.refresh_from_db()
    assert upload.applied_at is not None
    applied = AuditEvent.objects.get(action="matter.catalogue_import")
    assert applied.success and applied.actor == sysadmin and applied.object_id == str(upload.pk)
    assert AuditEvent.objects.filter(action="matter.version_publish", object_id="B1").exists()

    # Once only: the same token again changes nothing.
    state = catalogue_state()
    again = admin_client.post(CONFIRM_URL, {"token": upload.token})
    assert again.status_code == 404 and catalogue_state() == state


def test_row_errors_are_listed_with_sheet_row_and_column_and_nothing_is_written(
    admin_client: Any, district: Any
) -> None:
    make_matter(district.dept_a, code="A1")
    make_matter(district.dept_a, code="A2")
    book = exported(admin_client)
    matters = book["事项"]
    matters.cell(row=2, column=column(matters, "承诺办结时限（工作日）"), value=99)  # beyond the legal limit
    matters.cell(row=3, column=column(matters, "实施主体编码"), value="NO-SUCH-UNIT")
    book["材料"].append(["ZZ9", "M01", "申请书", "原件", 1, "是", "", "", 0])
    before = catalogue_state()
    audit_before = AuditEvent.objects.filter(action="matter.version_publish").count()

    response = admin_client.post(IMPORT_URL, {"file": as_upload(book)})
    assert response.status_code == 400
    page = response.content.decode()
    errors = page.split('data-testid="import-errors"')[1].split("</ol>")[0]
    assert errors.count("<li>") == 3
    assert (
        "事项" in errors
        and "承诺办结时限（工作日）" in errors
        and "实施主体编码" in errors
        and "NO-SUCH-UNIT" in errors
    )
    assert "材料" in errors and "ZZ9" in errors
    for row in ("2", "3"):
        assert row in errors
    assert 'data-testid="import-confirm"' not in page
    assert catalogue_state() == before  # no version, and no stored upload to confirm
    assert AuditEvent.objects.filter(action="matter.version_publish").count() == audit_before
    assert not AuditEvent.objects.get(action="matter.catalogue_check").success


def test_another_administrators_or_an_unknown_token_applies_nothing(
    admin_client: Any, district: Any, client: Any
) -> None:
    make_matter(district.dept_a, code="A1")
    admin_client.post(IMPORT_URL, {"file": as_upload(edited_workbook(admin_client, district))})
    upload = CatalogueUpload.objects.get()
    state = catalogue_state()
    other: Any = UserFactory(username="root2", roles=[Role.SYSADMIN])
    second = Client()
    login_verified(second, other)
    assert second.post(CONFIRM_URL, {"token": upload.token}).status_code == 404
    assert admin_client.post(CONFIRM_URL, {"token": "guessed"}).status_code == 404
    assert admin_client.get(CONFIRM_URL).status_code == 405
    # A check older than an hour is not applied either.
    CatalogueUpload.objects.filter(pk=upload.pk).update(uploaded_at=upload.uploaded_at - uploads.CONFIRM_WITHIN * 2)
    assert admin_client.post(CONFIRM_URL, {"token": upload.token}).status_code == 400
    assert catalogue_state() == state


def test_other_roles_are_refused(client: Any, district: Any, people: Any) -> None:
    secadmin: Any = UserFactory(username="sec", roles=[Role.SECADMIN])
    login_verified(client, secadmin)
    assert client.get(IMPORT_URL).status_code == 403
    upload = SimpleUploadedFile("c.json", b'{"matters": []}', content_type="application/json")
    assert client.post(IMPORT_URL, {"file": upload}).status_code == 403
    assert client.post(CONFIRM_URL, {"token": "x"}).status_code == 403
    assert CatalogueUpload.objects.count() == 0 and not AuditEvent.objects.filter(action__startswith="matter.").exists()
    client.logout()
    client.force_login(people.operator)
    assert client.get(IMPORT_URL).status_code == 302  # not the admin site's: its login page


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("catalogue.xlsx", b"%PDF-1.4\n%%EOF\n", "并不是 Excel 工作簿"),
        ("catalogue.xlsx", b"PK\x03\x04 not really a zip", "并不是 Excel 工作簿"),
        ("catalogue.json", b"\x89PNG\r\n\x1a\n", "不是 UTF-8 文本"),
        ("catalogue.json", b"[1, 2]", "JSON 对象"),
        ("catalogue.exe", b"MZ\x90\x00", ".xlsx"),
        ("catalogue.xlsx", b"", "文件为空"),
    ],
)
def test_disguised_or_empty_files_are_refused(
    admin_client: Any, district: Any, name: str, content: bytes, message: str
) -> None:
    # The administration pages speak Chinese (the district's administrators'), whatever the browser asks for.
    response = admin_client.post(IMPORT_URL, {"file": SimpleUploadedFile(name, content)})
    assert response.status_code == 400
    error = response.content.decode().split('data-testid="import-error">')[1].split("</p>")[0]
    assert message in error
    assert CatalogueUpload.objects.count() == 0


def test_an_oversized_file_is_refused(admin_client: Any, district: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    make_matter(district.dept_a, code="A1")
    book = exported(admin_client)
    monkeypatch.setattr(uploads, "UPLOAD_MAX_BYTES", 1024)
    response = admin_client.post(IMPORT_URL, {"file": as_upload(book)})
    assert response.status_code == 400
    error = response.content.decode().split('data-testid="import-error">')[1].split("</p>")[0]
    assert "文件超过" in error
    assert CatalogueUpload.objects.count() == 0
    assert admin_client.post(IMPORT_URL, {}).status_code == 400  # no file at all
