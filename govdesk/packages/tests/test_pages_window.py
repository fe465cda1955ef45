"""The package counter: the clerk finds a package by its pinyin initials, sees the merged checklist (each shared
material once, with the matters it serves) and the merged form, and registers and decides in one step, printing the
one notice; bad input re-shows the form with its errors and stores nothing."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from govdesk.audit.models import AuditEvent
from govdesk.packages.models import PackageApplication, PackageNotice

from .page_fixtures import birth, logged_in, merged_answers

__all__ = ["birth"]
pytestmark = pytest.mark.django_db


def test_the_counter_finds_the_package_and_shows_its_merged_checklist(
    birth: SimpleNamespace, people: SimpleNamespace
) -> None:
    clerk = logged_in(birth.clerk)
    found = clerk.get("/window/packages/lookup/", {"q": "xse"}).json()["results"]
    assert [r["code"] for r in found] == [birth.code]
    assert found[0]["url"] == f"/window/packages/?package={birth.code}"
    html = clerk.get(found[0]["url"]).content.decode()
    assert "新生儿出生一件事" in html and html.count('name="f_baby_name"') == 1
    for material in birth.version.materials.all():
        assert html.count(f'name="received" value="{material.code}"') == 1
    assert "出生医学证明首次签发、出生登记" in html  # 父母身份证, handed in once for both
    # The applications' counter offers packages in its type-ahead.
    assert "/window/packages/lookup/" in clerk.get("/window/").content.decode()
    assert clerk.get("/window/packages/", {"package": "NO-SUCH"}).status_code == 404
    assert logged_in(people.handler_a).get("/window/packages/").status_code == 403
    assert logged_in(birth.parent).get("/window/packages/lookup/", {"q": "xse"}).status_code == 403


def test_registering_with_a_material_missing_prints_the_one_notice(birth: SimpleNamespace) -> None:
    clerk = logged_in(birth.clerk)
    shared = birth.materials["父母身份证"]
    data = {**merged_answers(), "received": [shared], "decision": "correction", "reason": ""}
    response = clerk.post(f"/window/packages/register/{birth.code}/", data)
    assert response.status_code == 302
    package_application = PackageApplication.objects.get()
    assert package_application.status == "correction" and package_application.channel == "window"
    notice = PackageNotice.objects.get(package_application=package_application)
    assert notice.kind == "correction"
    done = clerk.get(response["Location"]).content.decode()
    assert f"/packages/cases/{package_application.number}/notices/{notice.pk}/" in done
    assert clerk.get(f"/packages/cases/{package_application.number}/notices/{notice.pk}/")["Content-Type"] == (
        "application/pdf"
    )


def test_bad_input_at_the_counter_stores_nothing(birth: SimpleNamespace) -> None:
    clerk = logged_in(birth.clerk, language="zh-hans")
    before = (PackageApplication.objects.count(), AuditEvent.objects.count())
    url = f"/window/packages/register/{birth.code}/"
    missing_name = clerk.post(url, {**merged_answers(f_baby_name=""), "decision": "correction"})
    assert missing_name.status_code == 400 and "这个字段是必填项" in missing_name.content.decode()
    # Accepting with required materials missing: 409, the registration undone with it.
    accept = clerk.post(url, {**merged_answers(), "decision": "accept"})
    assert accept.status_code == 409
    fake = SimpleUploadedFile("x.pdf", b"not a pdf at all", content_type="application/pdf")
    not_a_file = clerk.post(
        url, {**merged_answers(), "decision": "accept", "scan_" + birth.materials["分娩记录"]: fake}
    )
    assert not_a_file.status_code == 400
    no_decision = clerk.post(url, {**merged_answers(), "decision": "maybe"})
    assert no_decision.status_code == 400
    assert before == (PackageApplication.objects.count(), AuditEvent.objects.count())
