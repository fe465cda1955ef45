"""The package catalogue in the admin: a new version per edit, the "build from matters" helper, refusals shown on the
form, the import page (upload → dry run → confirm), the export, and only the catalogue administrator may use them."""

from __future__ import annotations

import copy
import io
import json
from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from govdesk.audit.models import AuditEvent
from govdesk.org.models import Role
from govdesk.org.tests.factories import UserFactory, login_verified
from govdesk.packages.catalogue import package_version_publish
from govdesk.packages.models import Package, PackageUpload, PackageVersion

from .helpers import CERTIFICATE, INSURANCE, REGISTRATION, birth_matters, birth_package_data

pytestmark = pytest.mark.django_db

ADD_URL = "/admin/packages/packageversion/add/"
LIST_URL = "/admin/packages/package/"
IMPORT_URL = "/admin/packages/package/import/"
CONFIRM_URL = "/admin/packages/package/import/confirm/"
EXPORT_URL = "/admin/packages/package/export/"
BUILD_URL = "/admin/packages/package/build/"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def sysadmin(district: Any) -> Any:
    return UserFactory(username="root", roles=[Role.SYSADMIN])


@pytest.fixture
def admin_client(client: Any, sysadmin: Any) -> Any:
    login_verified(client, sysadmin)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # the refusals are matched in English here
    return client


@pytest.fixture
def data(district: Any) -> dict[str, Any]:
    return birth_package_data(birth_matters(district.dept_a, district.dept_b), district.dept_a)


def form_data(data: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    attrs = data["attrs"]
    posted = {
        "package_code": data["code"],
        "name": attrs["name"],
        "life_event": attrs["life_event"],
        "lead_unit": attrs["lead_unit"].pk,
        "description": "",
        "promised_limit_days": attrs["promised_limit_days"],
        "fields": json.dumps(attrs["fields"], ensure_ascii=False),
        "items": json.dumps(data["items"], ensure_ascii=False),
        "materials": json.dumps(data["materials"], ensure_ascii=False),
    }
    posted.update(overrides)
    return posted


def test_sysadmin_adds_a_package_and_edits_it_as_a_new_version(admin_client: Any, data: dict[str, Any]) -> None:
    response = admin_client.post(ADD_URL, form_data(data))
    assert response.status_code == 302, response.content.decode()[:3000]
    first = Package.objects.get(code="BIRTH").current_version
    assert first is not None and first.version == 1 and first.items.count() == 3
    page = admin_client.get(f"{ADD_URL}?from={first.pk}").content.decode()
    assert "BIRTH" in page and "父母身份证" in page  # copied into the form
    listing = admin_client.get(LIST_URL).content.decode()
    assert f"?from={first.pk}" in listing and BUILD_URL in listing and IMPORT_URL in listing
    assert admin_client.post(ADD_URL, form_data(data, promised_limit_days=4)).status_code == 302
    current = Package.objects.get(code="BIRTH").current_version
    assert current is not None and current.version == 2 and current.promised_limit_days == 4
    first.refresh_from_db()
    assert first.promised_limit_days == data["attrs"]["promised_limit_days"]
    # saved versions are view-only
    assert admin_client.get(f"/admin/packages/packageversion/{first.pk}/change/").status_code == 200
    admin_client.post(f"/admin/packages/packageversion/{first.pk}/change/", {"name": "改名"})
    assert PackageVersion.objects.get(pk=first.pk).name != "改名"
    assert AuditEvent.objects.filter(action="package.version_publish", object_id="BIRTH").count() == 2


def _cycle(data: dict[str, Any]) -> dict[str, Any]:
    items = copy.deepcopy(data["items"])
    items[0]["depends_on"] = [INSURANCE]
    return {"items": json.dumps(items)}


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"fields": "[{"}, "JSON"),
        ("cycle", "cycle"),
        ({"items": json.dumps([{"matter": "NOPE"}, {"matter": CERTIFICATE}])}, "NOPE"),
        ("no delivery record", "not collected"),
    ],
)
def test_admin_refuses_invalid_data_on_the_form(
    admin_client: Any, data: dict[str, Any], overrides: Any, message: str
) -> None:
    if overrides == "cycle":
        overrides = _cycle(data)
    elif overrides == "no delivery record":
        overrides = {"materials": json.dumps([m for m in data["materials"] if m["name"] != "分娩记录"])}
    posted = form_data(data, **overrides)
    response = admin_client.post(ADD_URL, posted)
    assert response.status_code == 200
    page = response.content.decode()
    assert "errorlist" in page and message in page
    assert not PackageVersion.objects.exists()


def test_build_from_matters_prefills_the_merged_form(admin_client: Any, data: dict[str, Any]) -> None:
    assert admin_client.get(BUILD_URL).status_code == 200
    page = admin_client.get(ADD_URL, {"matters": f"{CERTIFICATE}\n{REGISTRATION}, NOPE"}).content.decode()
    assert "NOPE" in page  # named as not a published matter
    assert page.count("&quot;baby_name&quot;") >= 1 and "P01" in page
    assert "父母身份证" in page and "分娩记录" in page and "居民户口簿" in page


def test_import_page_dry_run_then_confirm(admin_client: Any, data: dict[str, Any], sysadmin: Any) -> None:
    package_version_publish(**copy.deepcopy(data))
    book = load_workbook(io.BytesIO(admin_client.get(EXPORT_URL).content))
    book["一件事"]["F2"] = 3
    buffer = io.BytesIO()
    book.save(buffer)
    report = admin_client.post(IMPORT_URL, {"file": SimpleUploadedFile("p.xlsx", buffer.getvalue(), XLSX)})
    assert report.status_code == 200, report.content.decode()[:2000]
    assert 'data-testid="changed-BIRTH"' in report.content.decode()
    assert PackageVersion.objects.count() == 1
    upload = PackageUpload.objects.get()
    result = admin_client.post(CONFIRM_URL, {"token": upload.token})
    assert result.status_code == 200 and 'data-testid="import-applied"' in result.content.decode()
    assert PackageVersion.objects.count() == 2
    assert AuditEvent.objects.get(action="package.catalogue_import").actor == sysadmin
    assert admin_client.post(CONFIRM_URL, {"token": upload.token}).status_code == 404


def test_import_row_errors_are_listed_and_nothing_is_kept(admin_client: Any, data: dict[str, Any]) -> None:
    package_version_publish(**copy.deepcopy(data))
    book = load_workbook(io.BytesIO(admin_client.get(EXPORT_URL).content))
    book["事项"]["B2"] = "NO-SUCH"
    buffer = io.BytesIO()
    book.save(buffer)
    response = admin_client.post(IMPORT_URL, {"file": SimpleUploadedFile("p.xlsx", buffer.getvalue(), XLSX)})
    assert response.status_code == 400
    assert "NO-SUCH" in response.content.decode() and not PackageUpload.objects.exists()


def test_other_roles_are_refused(client: Any, data: dict[str, Any], people: Any) -> None:
    secadmin: Any = UserFactory(username="sec", roles=[Role.SECADMIN])
    login_verified(client, secadmin)
    for url in (IMPORT_URL, BUILD_URL, ADD_URL, EXPORT_URL, LIST_URL):
        assert client.get(url).status_code == 403, url
    assert client.post(ADD_URL, form_data(data)).status_code == 403
    assert client.post(CONFIRM_URL, {"token": "x"}).status_code == 403
    assert not Package.objects.exists()
    client.logout()
    client.force_login(people.operator)
    assert client.get(IMPORT_URL).status_code == 302  # not the admin site's: its login page


def test_import_pages_speak_of_packages_and_post_to_the_package_urls(
    admin_client: Any, data: dict[str, Any], sysadmin: Any
) -> None:
    # The import pages are the matter catalogue's (govdesk.matters.upload_admin): the words, URLs and audit are ours.
    package_version_publish(**copy.deepcopy(data))
    form = admin_client.get(IMPORT_URL).content.decode()
    assert "Upload a package file" in form and f'href="{EXPORT_URL}"' in form and "catalogue file" not in form
    book = load_workbook(io.BytesIO(admin_client.get(EXPORT_URL).content))
    book["一件事"]["F2"] = 3
    buffer = io.BytesIO()
    book.save(buffer)
    report = admin_client.post(IMPORT_URL, {"file": SimpleUploadedFile("p.xlsx", buffer.getvalue(), XLSX)})
    page = report.content.decode()
    assert report.status_code == 200 and "<title>Import packages" in page
    assert "Changed packages (a new version each)" in page
    assert 'aria-label="New, changed and unchanged packages"' in page
    assert f'action="{CONFIRM_URL}"' in page
    check = AuditEvent.objects.get(action="package.catalogue_check")
    assert check.object_type == "package_upload" and check.actor == sysadmin
    assert "packages=1 new=0 changed=1 unchanged=0 errors=0" in check.note
    assert admin_client.post(IMPORT_URL, {}).content.decode().count("Choose one package file.") == 1
