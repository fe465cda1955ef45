"""Large order-list exports: queued, built by the task worker as their requester, downloaded only by them."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.test import Client

from govdesk.audit.models import AuditEvent
from govdesk.common import clock
from govdesk.org.tests.factories import login_verified
from govdesk.reports import exports, services
from govdesk.reports.models import ExportJob, ExportStatus

from .conftest import body_of, workbook_of
from .test_orders_export import HEADERS

pytestmark = pytest.mark.django_db
URL = "/reports/orders.xlsx"
EXPORTS = "/reports/exports/"


@pytest.fixture(autouse=True)
def inline_two_rows(settings: Any) -> None:
    """Anything over two rows is a "large" export here."""
    settings.GOVDESK = {**django_settings.GOVDESK, "EXPORT_INLINE_ROWS": 2}


def client_of(user: Any) -> Client:
    client = Client()
    login_verified(client, user)  # administrators too: a 403 must come from the role, not the second factor
    return client


def request_export(
    client: Client, capture: Callable[..., Any], *, run: bool = True, **params: str
) -> tuple[Any, ExportJob]:
    """Ask for the export; with `run`, the commit hook queues the task and huey (immediate in tests) builds it."""
    with capture(execute=run):
        response = client.get(URL, params)
    return response, ExportJob.objects.latest("created_at")


def numbers_in(response: Any) -> set[str]:
    assert response.status_code == 200, body_of(response)[:300]
    rows = list(workbook_of(response)["工单"].iter_rows(values_only=True))
    assert list(rows[0]) == HEADERS
    return {row[0] for row in rows[1:]}


def test_a_small_list_still_downloads_at_once(
    people: SimpleNamespace, orders: SimpleNamespace, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = client_of(people.supervisor).get(URL, {"unit": "LS-ZJ"})
    assert numbers_in(response) == {orders.handling.number, orders.closed.number}
    assert not ExportJob.objects.exists()


def test_a_large_list_is_prepared_in_the_background_and_offered_to_its_requester(
    people: SimpleNamespace, orders: SimpleNamespace, django_capture_on_commit_callbacks: Any
) -> None:
    client = client_of(people.supervisor)
    response, job = request_export(client, django_capture_on_commit_callbacks)
    assert response.status_code == 302 and response["Location"] == EXPORTS
    job.refresh_from_db()
    assert (job.status, job.rows, job.expected_rows, job.requested_by) == ("done", 4, 4, people.supervisor)

    page = client.get(EXPORTS)
    html = page.content.decode()
    assert page.status_code == 200 and "我的导出" in html and 'http-equiv="refresh"' not in html
    assert f"/reports/exports/{job.pk}/download" in html and 'data-status="done"' in html
    assert "4 件工单正在后台生成" in html  # the flash message after the redirect, with the row count

    download = client.get(f"/reports/exports/{job.pk}/download")
    assert download["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in download["Content-Disposition"]
    assert numbers_in(download) == {o.number for o in vars(orders).values()}
    assert download.get("Cache-Control", "").startswith("max-age=0") or "no-cache" in download.get("Cache-Control", "")

    actions = list(AuditEvent.objects.filter(action__startswith="report.orders_xlsx").values_list("action", flat=True))
    assert actions == ["report.orders_xlsx_queued", "report.orders_xlsx", "report.orders_xlsx_download"]
    queued = json.loads(AuditEvent.objects.get(action="report.orders_xlsx_queued").note)
    assert queued == {"job": str(job.pk), "filters": {}, "rows": 4, "unmasked": False}


def test_the_job_keeps_the_filters_and_runs_with_the_requesters_rights(
    people: SimpleNamespace, orders: SimpleNamespace, django_capture_on_commit_callbacks: Any, settings: Any
) -> None:
    settings.GOVDESK = {**django_settings.GOVDESK, "EXPORT_INLINE_ROWS": 1}
    client = client_of(people.handler_a)
    _response, job = request_export(client, django_capture_on_commit_callbacks, created_from="2026-09-01")
    job.refresh_from_db()
    assert job.filters == {"created_from": "2026-09-01"} and job.status == "done"
    # handler_a sees only its unit's orders, in the list and in the background export alike.
    assert numbers_in(client.get(f"/reports/exports/{job.pk}/download")) == {
        orders.handling.number,
        orders.closed.number,
    }
    labels = client.get(EXPORTS).content.decode()
    assert "2026-09-01" in labels


def test_nobody_else_sees_or_downloads_an_export(
    people: SimpleNamespace, orders: SimpleNamespace, django_capture_on_commit_callbacks: Any
) -> None:
    _response, job = request_export(client_of(people.supervisor), django_capture_on_commit_callbacks)
    other = client_of(people.dispatcher)
    assert other.get(f"/reports/exports/{job.pk}/download").status_code == 404
    assert str(job.pk) not in other.get(EXPORTS).content.decode()
    assert other.get("/reports/exports/not-a-uuid/download").status_code == 404
    citizen = client_of(people.citizen).get(EXPORTS)
    assert citizen.status_code == 200 and str(job.pk) not in citizen.content.decode()
    assert client_of(people.sysadmin).get(EXPORTS).status_code == 403
    assert Client().get(EXPORTS).status_code == 302  # to the login page


def test_while_pending_the_page_refreshes_itself_and_the_download_waits(
    people: SimpleNamespace, orders: SimpleNamespace, django_capture_on_commit_callbacks: Any
) -> None:
    client = client_of(people.supervisor)
    _response, job = request_export(client, django_capture_on_commit_callbacks, run=False)
    assert job.status == ExportStatus.QUEUED
    html = client.get(EXPORTS).content.decode()
    assert 'http-equiv="refresh"' in html and 'data-status="queued"' in html
    waiting = client.get(f"/reports/exports/{job.pk}/download")
    assert waiting.status_code == 409 and "尚未" in waiting.content.decode()
    services.export_job_run(str(job.pk))
    services.export_job_run(str(job.pk))  # a duplicated task changes nothing
    job.refresh_from_db()
    assert job.status == "done" and client.get(f"/reports/exports/{job.pk}/download").status_code == 200


def test_a_failure_is_shown_and_leaves_no_file(
    people: SimpleNamespace,
    orders: SimpleNamespace,
    django_capture_on_commit_callbacks: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(exports, "orders_workbook", broken)
    client = client_of(people.supervisor)
    _response, job = request_export(client, django_capture_on_commit_callbacks)
    job.refresh_from_db()
    assert job.status == "failed" and job.file_name == "" and "disk on fire" not in job.error
    assert not list(Path(str(django_settings.GOVDESK["EXPORT_DIR"])).glob(f"{job.pk}*"))
    html = client.get(EXPORTS).content.decode()
    assert 'data-status="failed"' in html and job.error in html
    assert client.get(f"/reports/exports/{job.pk}/download").status_code == 409


def test_a_disabled_account_gets_no_file(
    people: SimpleNamespace, orders: SimpleNamespace, django_capture_on_commit_callbacks: Any
) -> None:
    _response, job = request_export(client_of(people.supervisor), django_capture_on_commit_callbacks, run=False)
    people.supervisor.is_active = False
    people.supervisor.save(update_fields=["is_active"])
    services.export_job_run(str(job.pk))
    job.refresh_from_db()
    assert job.status == "failed" and "停用" in job.error


def test_upkeep_deletes_expired_exports_and_queues_lost_ones_again(
    people: SimpleNamespace, orders: SimpleNamespace, django_capture_on_commit_callbacks: Any
) -> None:
    client = client_of(people.supervisor)
    _response, done = request_export(client, django_capture_on_commit_callbacks)
    _response, lost = request_export(client, django_capture_on_commit_callbacks, run=False)
    done.refresh_from_db()
    path = Path(str(django_settings.GOVDESK["EXPORT_DIR"])) / done.file_name
    assert path.exists()
    # Eleven minutes later the queued job's task is presumed lost and queued again (huey runs it at once here).
    counts = services.export_jobs_maintain(now=clock.now() + timedelta(minutes=11))
    assert counts == {"expired": 0, "requeued": 1}
    lost.refresh_from_db()
    assert lost.status == "done"
    counts = services.export_jobs_maintain(now=clock.now() + timedelta(days=8))
    assert counts == {"expired": 2, "requeued": 0}
    assert not path.exists() and not ExportJob.objects.exists()
