"""Fixtures of the package pages' tests: the small birth package of helpers.py (certificate → registration, plus
insurance when asked for), a window clerk, the parent with a citizen account and another citizen; notices rendered
by a stand-in (the pages' tests are about pages, not documents)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from govdesk.applications import notices as application_notices
from govdesk.org.models import Role
from govdesk.org.tests.factories import UnitFactory, UserFactory
from govdesk.packages import notices as package_notices
from govdesk.packages.tests.helpers import make_birth_package

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PARENT = {"applicant_name": "王丽", "applicant_phone": "13912345678", "applicant_id_number": "11010519491231002X"}
# The registration's own rule takes baby names of at most 4 characters, the certificate's 20: one answer can fit one
# matter and not the other.
REGISTRATION_BABY_MAX = 4


@pytest.fixture
def birth(district: SimpleNamespace, people: SimpleNamespace, monkeypatch: pytest.MonkeyPatch) -> SimpleNamespace:
    monkeypatch.setattr(package_notices, "notice_pdf", lambda **kwargs: PDF)
    monkeypatch.setattr(application_notices, "notice_pdf", lambda **kwargs: PDF)
    centre = UnitFactory(code="LS-ZWFW", name="区政务服务中心", parent=district.gov, accepts_orders=False)
    clerk = UserFactory(username="clerk", roles=[Role.WINDOW_CLERK], unit=centre, display_name="窗口李芳")
    parent = UserFactory(username="parent", roles=[Role.CITIZEN], display_name="王丽")
    stranger = UserFactory(username="stranger", roles=[Role.CITIZEN])
    version = make_birth_package(district.dept_a, district.dept_b, registration_baby_max=REGISTRATION_BABY_MAX)
    materials = {m.name: m.code for m in version.materials.all()}
    return SimpleNamespace(
        clerk=clerk, parent=parent, stranger=stranger, version=version, code=version.package.code, materials=materials
    )


def logged_in(user: Any, language: str = "en") -> Client:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language  # pages speak the language chosen by cookie
    client.force_login(user)
    return client


def pdf(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def merged_answers(**overrides: Any) -> dict[str, Any]:
    """The merged form as the page posts it: the applicant and each merged field once."""
    return {
        **PARENT,
        "f_baby_name": "王小明",
        "f_birth_date": "2026-11-20",
        "f_mother_id_number": PARENT["applicant_id_number"],
        "f_promise": "on",
        "f_household": "离石区滨河北路1号",
        **overrides,
    }


def files_except(birth: SimpleNamespace, *left_out: str) -> dict[str, SimpleUploadedFile]:
    """One upload per required merged material, except the ones named."""
    codes = [m.code for m in birth.version.materials.all() if m.required and m.name not in left_out]
    return {f"file_{code}": pdf(f"{code}.pdf") for code in codes}
