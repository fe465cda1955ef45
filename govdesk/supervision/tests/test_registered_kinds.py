"""Supervision of the case kinds registered with `cases.services.case_kind_supervision_add`, through real units'
reports (填报, `TB…`): the worklist and the overdue page list them beside work orders and applications (linking to the
report's page, with the kind's label, unit, deadline and urge count), supervisors urge them by number on the pages and
the API (timeline and audit trail), their escalations are listed and handled, and nobody else sees or urges them.

The report is issued through reporting's own service: Mon 2026-09-21 10:00 with 5 working days (Fri 09-25 is the
Mid-Autumn Festival), so it is due Tue 2026-09-29 17:30; 1–7 October are the National Day holiday, so the sweep
escalates it two working days later, on Fri 10-09. Supervision's code never imports reporting: these tests may (it is
a lower layer), to build real reports.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import datetime
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import translation
from rest_framework.test import APIClient

from govdesk.audit.models import AuditEvent
from govdesk.cases.models import CaseEvent
from govdesk.cases.services import CASE_KIND_SUPERVISION
from govdesk.common.errors import InvalidTransition, NotFound
from govdesk.reporting import services as reporting
from govdesk.reporting.models import Report
from govdesk.supervision import selectors, services
from govdesk.supervision.models import Escalation, EscalationStatus
from govdesk.supervision.services import supervision_sweep

pytestmark = pytest.mark.django_db
API = "/api/v1/supervision/"
SHANGHAI = ZoneInfo("Asia/Shanghai")
ISSUED = datetime(2026, 9, 21, 10, 0, tzinfo=SHANGHAI)
OVERDUE = datetime(2026, 9, 30, 10, 0, tzinfo=SHANGHAI)  # the morning after the deadline: urged as overdue
ESCALATED = datetime(2026, 10, 9, 10, 0, tzinfo=SHANGHAI)  # two working days overdue: escalated
UNKNOWN = "TB20990101000001"


@pytest.fixture
def report(people: SimpleNamespace, district: SimpleNamespace) -> Report:
    """The street's monthly toilets report (农村户厕改造), issued by the office, still owed by the street."""
    with time_machine.travel(ISSUED, tick=False):
        task = reporting.reporting_task_issue(
            actor=people.supervisor,
            data={"kind": "toilets", "year": 2026, "month": 9, "units": [district.street.code], "deadline_days": 5},
        )
    created = Report.objects.get(task=task)
    assert created.number.startswith("TB") and created.primary_unit == district.street
    return created


@pytest.fixture
def at_overdue() -> Iterator[None]:
    with time_machine.travel(OVERDUE, tick=False):
        yield


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def urges(report: Report) -> list[CaseEvent]:
    return list(CaseEvent.objects.filter(case_id=report.pk, action="urge").order_by("pk"))


def row_of(page: str, number: str) -> str:
    """The watch table's row of this case (a <tr> holding its number)."""
    rows = [row for row in re.findall(r"<tr[^>]*>.*?</tr>", page, flags=re.S) if number in row]
    assert len(rows) == 1, rows
    return rows[0]


def report_label() -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return selectors.case_kind_text("report")


def test_an_overdue_report_is_on_the_worklist_with_its_link_kind_unit_deadline_and_urges(
    report: Report, people: SimpleNamespace, district: SimpleNamespace, at_overdue: None
) -> None:
    supervision_sweep()  # overdue: urged once by the sweep
    client = client_for(people.supervisor)
    url = reverse("supervision:worklist")
    page = client.get(url).content.decode()
    row = row_of(page, report.number)
    link = reverse("reporting:report", args=[report.number])
    assert f'href="{link}"' in row and 'data-kind="report"' in row
    assert report_label() in row and report_label() != "report"  # the registered label, not the bare code
    assert district.street.name in row and "2026-09-29 17:30" in row
    assert re.search(r"<td>1</td>", row), row  # urged once
    assert 'name="case" value="' + report.number + '"' in row  # the supervisor's urge form
    # The kind filter knows the registered kind.
    assert link in client.get(url, {"kind": "report"}).content.decode()
    assert link not in client.get(url, {"kind": "workorder"}).content.decode()
    # The API's watch list says the same, with the page to open.
    api = APIClient()
    api.force_authenticate(people.supervisor)
    rows = api.get(f"{API}watch/", {"kind": "report"}).json()["results"]
    assert [(r["order"], r["kind"], r["is_overdue"], r["urges"], r["url"]) for r in rows] == [
        (report.number, "report", True, 1, link)
    ]
    assert api.get(f"{API}watch/", {"kind": "nonsense"}).status_code == 400


def test_a_report_the_unit_no_longer_owes_leaves_the_watch_list(
    report: Report, people: SimpleNamespace, at_overdue: None
) -> None:
    supervision_sweep()
    worklist = reverse("supervision:worklist")
    assert report.number in client_for(people.supervisor).get(worklist).content.decode()
    reporting.report_submit(
        report=report.number,
        actor=people.street_handler,
        rows=[{"township": "滨河街道", "village": "滨河社区", "planned": "10", "completed": "4"}],
    )
    assert urges(report)  # it was urged, but it now waits for the office, not for the unit
    assert report.number not in client_for(people.supervisor).get(worklist).content.decode()


def test_a_supervisor_urges_a_report_by_number_on_the_page_and_the_api(
    report: Report, people: SimpleNamespace, at_overdue: None
) -> None:
    response = client_for(people.supervisor).post(
        reverse("supervision:case_urge"), {"case": report.number, "note": "请本周内报送"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("reporting:report", args=[report.number])
    [event] = urges(report)
    assert event.actor == people.supervisor and event.note == "请本周内报送"
    assert event.from_status == event.to_status == "assigned"
    [audited] = AuditEvent.objects.filter(action="report.urge", object_id=report.number)
    assert audited.actor == people.supervisor
    api = APIClient()
    api.force_authenticate(people.supervisor)
    created = api.post(f"{API}urges/", {"case": report.number, "note": "再次催办"}, format="json")
    assert created.status_code == 201, created.json()
    assert created.json() == {"kind": "report", "case": report.number, "status": "assigned", "urges": 2}
    assert AuditEvent.objects.filter(action="report.urge", object_id=report.number).count() == 2


@pytest.mark.parametrize("name", ["dispatcher", "street_handler", "street_admin", "operator", "citizen"])
def test_only_supervisors_urge_a_report(
    name: str, report: Report, people: SimpleNamespace, api_client_for: Callable[[Any], APIClient]
) -> None:
    response = api_client_for(getattr(people, name)).post(f"{API}urges/", {"case": report.number}, format="json")
    assert response.status_code == 403
    page = client_for(getattr(people, name)).post(reverse("supervision:case_urge"), {"case": report.number})
    assert page.status_code == 403
    assert urges(report) == []
    assert not AuditEvent.objects.filter(action="report.urge").exists()


def test_urging_answers_404_for_an_unknown_number_and_409_for_a_report_the_office_holds(
    report: Report, people: SimpleNamespace, api_client_for: Callable[[Any], APIClient]
) -> None:
    sup = api_client_for(people.supervisor)
    missing = sup.post(f"{API}urges/", {"case": UNKNOWN}, format="json")
    assert missing.status_code == 404 and missing.json()["message"]
    with translation.override("en"), pytest.raises(NotFound) as not_found:
        services.case_urge(case=UNKNOWN, actor=people.supervisor)
    assert not_found.value.message == f"No case under supervision has the number {UNKNOWN}."
    assert client_for(people.supervisor).post(reverse("supervision:case_urge"), {"case": UNKNOWN}).status_code == 404
    reporting.report_submit(
        report=report.number,
        actor=people.street_handler,
        rows=[{"township": "滨河街道", "village": "滨河社区", "planned": "10", "completed": "4"}],
    )
    refused = sup.post(f"{API}urges/", {"case": report.number}, format="json")
    assert refused.status_code == 409 and refused.json()["message"]
    with translation.override("en"), pytest.raises(InvalidTransition) as raised:
        services.case_urge(case=report.number, actor=people.supervisor)
    assert raised.value.message == f"“Urge” is not possible while Reporting task {report.number} is “Awaiting review”."
    assert urges(report) == []


def test_a_supervision_case_is_not_opened_on_a_report(
    report: Report, people: SimpleNamespace, api_client_for: Callable[[Any], APIClient]
) -> None:
    response = api_client_for(people.supervisor).post(
        f"{API}cases/", {"order": report.number, "reason": "督办"}, format="json"
    )
    assert response.status_code == 409 and response.json()["message"]
    assert not CaseEvent.objects.filter(case_id=report.pk, action="supervise").exists()


def test_an_escalated_report_is_listed_for_supervisors_and_handled(
    report: Report, people: SimpleNamespace, district: SimpleNamespace
) -> None:
    with time_machine.travel(OVERDUE, tick=False):
        supervision_sweep()
    with time_machine.travel(ESCALATED, tick=False):
        assert report.number in supervision_sweep().escalated
        [escalation] = Escalation.objects.filter(case_id=report.pk)
        client = client_for(people.supervisor)
        page = client.get(reverse("supervision:worklist")).content.decode()
        cards = re.findall(
            r'<article class="card queue-item overdue" data-testid="escalation".*?</article>', page, re.S
        )
        [card] = [c for c in cards if report.number in c]
        link = reverse("reporting:report", args=[report.number])
        assert 'data-kind="report"' in card and f'href="{link}"' in card and report_label() in card
        assert district.street.name in card and "2026-09-29 17:30" in card
        # Urged or marked handled; a 督办 is for work orders and applications.
        assert f'name="case" value="{report.number}"' in card and f'name="order" value="{report.number}"' not in card
        # The overdue and due-soon page lists it, escalated, beside the work orders.
        overdue_page = client.get(reverse("workorders:supervision")).content.decode()
        assert 'data-testid="registered-due"' in overdue_page
        assert f'href="{link}"' in row_of(overdue_page, report.number)
        # The API's worklist too.
        api = APIClient()
        api.force_authenticate(people.supervisor)
        listed = api.get(f"{API}worklist/", {"kind": "report"}).json()["escalations"]
        assert [(e["order"], e["kind"], e["url"], e["status"]) for e in listed] == [
            (report.number, "report", link, "open")
        ]
        # Dispatchers supervise the hotline's orders: no reports on their pages.
        dispatcher = client_for(people.dispatcher)
        assert report.number not in dispatcher.get(reverse("supervision:worklist")).content.decode()
        assert report.number not in dispatcher.get(reverse("workorders:supervision")).content.decode()
        handled = client.post(reverse("supervision:escalation_handle", args=[escalation.pk]), {"note": "已约谈"})
        assert handled.status_code == 302
    assert Escalation.objects.get(pk=escalation.pk).status == EscalationStatus.HANDLED
    assert CaseEvent.objects.filter(case_id=report.pk, action="escalation-handled").exists()


@pytest.mark.parametrize("name", ["street_handler", "street_admin", "handler_a", "operator", "citizen"])
def test_unit_users_and_others_cannot_see_the_worklist(
    name: str, report: Report, people: SimpleNamespace, api_client_for: Callable[[Any], APIClient]
) -> None:
    with time_machine.travel(OVERDUE, tick=False):
        supervision_sweep()
        user = getattr(people, name)
        page = client_for(user).get(reverse("supervision:worklist"))
        assert page.status_code in (302, 403) and report.number not in page.content.decode()
        api = api_client_for(user)
        assert api.get(f"{API}worklist/").status_code == 403
        assert api.get(f"{API}watch/").status_code == 403


def test_a_kind_registered_without_label_or_page_is_listed_under_its_case_kind_name_without_a_link(
    report: Report, people: SimpleNamespace, monkeypatch: pytest.MonkeyPatch, at_overdue: None
) -> None:
    bare = replace(CASE_KIND_SUPERVISION["report"], label="", url=None, status_labels={})
    monkeypatch.setitem(CASE_KIND_SUPERVISION, "report", bare)
    supervision_sweep()
    row = row_of(client_for(people.supervisor).get(reverse("supervision:worklist")).content.decode(), report.number)
    assert "href" not in row.split("<details")[0]  # no link before the urge form
    with translation.override(settings.LANGUAGE_CODE):
        assert selectors.case_kind_text("report") in row  # CaseKind.REPORT's own label
