"""Finding 7a of the security review: full phone numbers in an export need their own permission, a reason (stored
and audited), and at most UNMASK_EXPORT_MAX_ROWS rows; the background path keeps and re-checks all three."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import Permission
from django.test import Client
from django.utils import translation
from django.utils.html import escape

from govdesk.audit.models import AuditEvent
from govdesk.reports.models import ExportJob

from .conftest import grant_export_unmasked, workbook_of

pytestmark = pytest.mark.django_db
URL = "/reports/orders.xlsx"


def shown(message: str) -> str:
    """A message as the (Chinese) page shows it, whether or not its translation is compiled yet."""
    with translation.override("zh-hans"):
        return escape(translation.gettext(message))


NEEDS_PERMISSION = (
    "Exporting full phone numbers needs its own permission, which the security administrator grants "
    "per account. Export without full numbers, or reveal a number on the order's page."
)
NEEDS_REASON = "Give the reason for exporting full phone numbers; it is kept in the audit trail."


def phones(response: Any) -> list[str]:
    assert response.status_code == 200, response.content[:300]
    rows = list(workbook_of(response)["工单"].iter_rows(values_only=True))
    column = list(rows[0]).index("电话")
    return [str(row[column]) for row in rows[1:]]


def test_the_permission_is_declared_for_the_security_administrator_to_grant() -> None:
    assert Permission.objects.filter(content_type__app_label="reports", codename="export_unmasked").exists()


def test_a_role_that_may_reveal_numbers_still_needs_the_permission(
    people: SimpleNamespace, orders: SimpleNamespace, get_as: Any
) -> None:
    response = get_as(people.dispatcher, URL, unmask="1", reason="回访核实")
    assert response.status_code == 403
    assert shown(NEEDS_PERMISSION) in response.content.decode()
    assert not AuditEvent.objects.filter(action="report.orders_xlsx").exists()
    # Without unmask the same account exports, masked.
    assert all("****" in phone for phone in phones(get_as(people.dispatcher, URL)) if phone)


@pytest.mark.parametrize("reason", [None, "", "   ", "\u200b\u202e"])
def test_a_reason_is_required(people: SimpleNamespace, orders: SimpleNamespace, get_as: Any, reason: Any) -> None:
    grant_export_unmasked(people.dispatcher)
    params = {"unmask": "1"} if reason is None else {"unmask": "1", "reason": reason}
    response = get_as(people.dispatcher, URL, **params)
    assert response.status_code == 400
    assert shown(NEEDS_REASON) in response.content.decode()
    assert not AuditEvent.objects.filter(action="report.orders_xlsx").exists()


def test_with_the_permission_and_a_reason_the_numbers_come_and_the_reason_is_audited(
    people: SimpleNamespace, orders: SimpleNamespace, get_as: Any
) -> None:
    grant_export_unmasked(people.dispatcher)
    exported = phones(get_as(people.dispatcher, URL, unmask="1", reason="集中回访，核对号码"))
    assert "13900001111" in exported
    note = json.loads(AuditEvent.objects.get(action="report.orders_xlsx").note)
    assert note["unmasked"] is True and note["reason"] == "集中回访，核对号码" and note["rows"] == len(exported)


def test_above_the_row_cap_the_export_is_refused_not_cut_short(
    people: SimpleNamespace, orders: SimpleNamespace, get_as: Any, settings: Any
) -> None:
    settings.GOVDESK = {**django_settings.GOVDESK, "UNMASK_EXPORT_MAX_ROWS": 3}
    grant_export_unmasked(people.dispatcher)
    response = get_as(people.dispatcher, URL, unmask="1", reason="回访核实")
    assert response.status_code == 400
    assert "3" in response.content.decode() and "4" in response.content.decode()
    assert not AuditEvent.objects.filter(action="report.orders_xlsx").exists()
    # The same list masked is no bulk unmasking: no cap but the export's own.
    assert len(phones(get_as(people.dispatcher, URL))) == 4
    # Exactly at the cap is allowed.
    assert len(phones(get_as(people.dispatcher, URL, unit="LS-ZJ", unmask="1", reason="回访核实"))) == 2


def test_the_default_cap_is_500() -> None:
    assert django_settings.GOVDESK["UNMASK_EXPORT_MAX_ROWS"] == 500


def test_the_background_export_keeps_the_reason_and_checks_the_permission_again(
    people: SimpleNamespace, orders: SimpleNamespace, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.GOVDESK = {**django_settings.GOVDESK, "EXPORT_INLINE_ROWS": 2}
    grant_export_unmasked(people.dispatcher)
    client = Client()
    client.force_login(people.dispatcher)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(URL, {"unmask": "1", "reason": "集中回访"})
    assert response.status_code == 302
    job = ExportJob.objects.get()
    assert (job.status, job.unmask, job.unmask_reason) == ("done", True, "集中回访")
    queued = json.loads(AuditEvent.objects.get(action="report.orders_xlsx_queued").note)
    assert queued["reason"] == "集中回访" and queued["rows"] == 4
    assert "13900001111" in phones(client.get(f"/reports/exports/{job.pk}/download"))
    # Withdrawn between the request and the build: the job fails instead of unmasking.
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        client.get(URL, {"unmask": "1", "reason": "集中回访"})
    people.dispatcher.user_permissions.clear()
    for callback in callbacks:
        callback()
    second = ExportJob.objects.latest("created_at")
    # Stored as the requester reads it on "My exports": in the site's language.
    with translation.override(django_settings.LANGUAGE_CODE):
        expected = translation.gettext(NEEDS_PERMISSION)
    assert second.status == "failed" and second.error == expected[:300]


def test_the_order_list_offers_the_form_only_with_the_permission(
    people: SimpleNamespace, orders: SimpleNamespace, get_as: Any
) -> None:
    assert 'name="reason"' not in get_as(people.dispatcher, "/orders/", unit="LS-ZJ").content.decode()
    grant_export_unmasked(people.dispatcher)
    page = get_as(people.dispatcher, "/orders/", unit="LS-ZJ").content.decode()
    form = page.split('data-testid="orders-export-unmasked"')[1].split("</form>")[0]
    assert 'action="/reports/orders.xlsx"' in form and 'name="reason"' in form and "required" in form
    assert '<input type="hidden" name="unit" value="LS-ZJ">' in form  # the list's filters go along
    assert '<input type="hidden" name="unmask" value="1">' in form
