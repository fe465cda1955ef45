"""Supervision of applications (办件) as of work orders: 催办 and 督办 by API and page, who may do what, the sweep's
automatic urges and escalation, the timeline and the audit trail.

The applications are reached through their own services (`applications.tests.factories.make_application`), so each
has a true deadline from the working-day calendar: accepted Tue 2026-09-29 10:00 with a promised limit of 5 working
days, an application is due Mon 2026-10-12 17:30 (1–7 October are the National Day holiday).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from types import SimpleNamespace
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import translation
from rest_framework.test import APIClient

from govdesk.applications.models import Application
from govdesk.applications.selectors import application_timeline
from govdesk.applications.states import Status as AppStatus
from govdesk.applications.tests.factories import make_application
from govdesk.audit.models import AuditEvent
from govdesk.cases.models import CaseEvent
from govdesk.common.errors import InvalidTransition, NotFound, PermissionDenied
from govdesk.supervision import services
from govdesk.supervision.models import Escalation, SupervisionCase, SupervisionUrge
from govdesk.supervision.services import SYSTEM_USERNAME, supervision_sweep
from govdesk.workorders.models import WorkOrder
from govdesk.workorders.states import Status as OrderStatus
from govdesk.workorders.tests.factories import make_order

from .helpers import at

pytestmark = pytest.mark.django_db
API = "/api/v1/supervision/"
ACCEPTED = at(2026, 9, 29, 10, 0)
DUE = at(2026, 10, 12, 17, 30)
UNKNOWN = "BJ20990101000001"


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def application_at(moment: datetime, hall: SimpleNamespace, people: SimpleNamespace, status: AppStatus) -> Application:
    with time_machine.travel(moment, tick=False):
        return make_application(hall, people, status)


@pytest.fixture
def application(hall: SimpleNamespace, people: SimpleNamespace, fake_pdf: Any) -> Application:
    created = application_at(ACCEPTED, hall, people, AppStatus.HANDLING)
    assert Application.objects.get(pk=created.pk).due_at == DUE
    return created


def urge_events(case: Any) -> list[CaseEvent]:
    return list(CaseEvent.objects.filter(case_id=case.pk, action="urge").order_by("pk"))


def sweep(moment: datetime) -> Any:
    with time_machine.travel(moment, tick=False):
        return supervision_sweep()


# --- 催办 by API ------------------------------------------------------------------------------------------------------


def test_a_supervisor_urges_an_application_on_its_internal_timeline_and_in_the_audit_trail(
    application: Application, people: SimpleNamespace, api_client_for: Callable[[Any], APIClient]
) -> None:
    response = api_client_for(people.supervisor).post(
        f"{API}urges/", {"case": application.number, "note": "请加快审查"}, format="json"
    )
    assert response.status_code == 201, response.json()
    assert response.json() == {"kind": "application", "case": application.number, "status": "handling", "urges": 1}
    [event] = urge_events(application)
    assert event.actor == people.supervisor and event.note == "请加快审查" and not event.is_public
    assert event.from_status == event.to_status == "handling"
    assert AuditEvent.objects.filter(action="application.urge", object_id=application.number).count() == 1
    # The applicant follows the decision, not the supervisors' reminders.
    assert "urge" not in {e.action for e in application_timeline(application=application, public_only=True)}
    assert Application.objects.get(pk=application.pk).status == AppStatus.HANDLING


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("dispatcher", 403),  # dispatchers work on the hotline's orders, not on applications
        ("handler_a", 403),  # the application's own unit is the one urged
        ("handler_b", 403),
        ("operator", 403),
        ("citizen", 403),
        ("auditor", 403),
    ],
)
def test_only_supervisors_urge_an_application(
    name: str,
    expected: int,
    application: Application,
    people: SimpleNamespace,
    api_client_for: Callable[[Any], APIClient],
) -> None:
    response = api_client_for(getattr(people, name)).post(f"{API}urges/", {"case": application.number}, format="json")
    assert response.status_code == expected
    assert urge_events(application) == []
    assert not AuditEvent.objects.filter(action="application.urge").exists()


def test_the_applicant_cannot_urge_their_own_application(
    application: Application, hall: SimpleNamespace, api_client_for: Callable[[Any], APIClient]
) -> None:
    response = api_client_for(hall.applicant).post(f"{API}urges/", {"case": application.number}, format="json")
    assert response.status_code == 403
    assert urge_events(application) == []


def test_urge_answers_404_for_an_unknown_number_409_for_a_suspended_application_and_400_for_bad_input(
    hall: SimpleNamespace,
    people: SimpleNamespace,
    fake_pdf: Any,
    api_client_for: Callable[[Any], APIClient],
) -> None:
    sup = api_client_for(people.supervisor)
    assert sup.post(f"{API}urges/", {"case": UNKNOWN}, format="json").status_code == 404
    suspended = make_application(hall, people, AppStatus.SUSPENDED)
    refused = sup.post(f"{API}urges/", {"case": suspended.number}, format="json")
    assert refused.status_code == 409 and refused.json()["message"]
    with translation.override("en"), pytest.raises(InvalidTransition) as raised:
        services.application_urge(application=suspended.number, actor=people.supervisor)
    assert raised.value.message == "“Urge” is not possible while the application is “Suspended”."
    closed = make_application(hall, people, AppStatus.CLOSED)
    assert sup.post(f"{API}urges/", {"case": closed.number}, format="json").status_code == 409
    assert sup.post(f"{API}urges/", {"case": "x"}, format="json").status_code == 400
    assert sup.post(f"{API}urges/", {"case": suspended.number, "note": "催" * 2001}, format="json").status_code == 400
    assert not CaseEvent.objects.filter(action="urge").exists()


def test_the_same_endpoint_urges_a_work_order_through_its_own_action(
    people: SimpleNamespace,
    district: SimpleNamespace,
    categories: SimpleNamespace,
    api_client_for: Callable[[Any], APIClient],
) -> None:
    order = make_order(people, district, categories.facilities, OrderStatus.HANDLING)
    response = api_client_for(people.dispatcher).post(f"{API}urges/", {"case": order.number}, format="json")
    assert response.status_code == 201 and response.json()["kind"] == "workorder"
    assert WorkOrder.objects.get(pk=order.pk).urge_count == 1
    assert AuditEvent.objects.filter(action="workorder.urge", object_id=order.number).count() == 1


# --- 督办 by API ------------------------------------------------------------------------------------------------------


def test_api_open_answer_reopen_close_a_supervision_case_on_an_application(
    application: Application, people: SimpleNamespace, api_client_for: Callable[[Any], APIClient]
) -> None:
    sup = api_client_for(people.supervisor)
    created = sup.post(
        f"{API}cases/", {"order": application.number, "reason": "群众反映审批慢", "answer_days": 2}, format="json"
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["kind"] == "application" and body["order"] == application.number and body["status"] == "open"
    assert body["unit"] == "LS-ZJ" and body["answer_days"] == 2
    pk = body["id"]
    assert sup.post(f"{API}cases/", {"order": application.number, "reason": "再次"}, format="json").status_code == 409
    other_unit = api_client_for(people.handler_b)
    assert other_unit.post(f"{API}cases/{pk}/answer/", {"answer": "x"}, format="json").status_code == 403
    assert other_unit.get(f"{API}cases/{pk}/").status_code == 403
    handler = api_client_for(people.handler_a)
    assert handler.get(f"{API}cases/", {"kind": "application"}).json()["count"] == 1
    answered = handler.post(f"{API}cases/{pk}/answer/", {"answer": "已组织现场核查，三日内决定"}, format="json")
    assert answered.status_code == 200 and answered.json()["status"] == "answered"
    assert sup.post(f"{API}cases/{pk}/reopen/", {"reason": "请说明时间"}, format="json").json()["status"] == "open"
    handler.post(f"{API}cases/{pk}/answer/", {"answer": "10月14日前作出决定"}, format="json")
    closed = sup.post(f"{API}cases/{pk}/close/", {}, format="json")
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    actions = list(CaseEvent.objects.filter(case_id=application.pk).values_list("action", flat=True))
    assert actions[-5:] == [
        "supervise",
        "supervision-answer",
        "supervision-reopen",
        "supervision-answer",
        "supervision-close",
    ]
    supervise = CaseEvent.objects.get(case_id=application.pk, action="supervise")
    assert supervise.data["supervision_case"] == pk and not supervise.is_public
    for action in ("supervise", "supervision-answer", "supervision-reopen", "supervision-close"):
        assert AuditEvent.objects.filter(action=f"application.{action}", object_id=application.number).exists()


def test_api_opening_checks_role_number_and_state(
    application: Application,
    hall: SimpleNamespace,
    people: SimpleNamespace,
    api_client_for: Callable[[Any], APIClient],
) -> None:
    body = {"order": application.number, "reason": "督办"}
    for name in ("dispatcher", "handler_a", "handler_b", "citizen"):
        assert api_client_for(getattr(people, name)).post(f"{API}cases/", body, format="json").status_code == 403
    assert api_client_for(hall.clerk).post(f"{API}cases/", body, format="json").status_code == 403
    sup = api_client_for(people.supervisor)
    assert sup.post(f"{API}cases/", {**body, "order": UNKNOWN}, format="json").status_code == 404
    refused = make_application(hall, people, AppStatus.REFUSED)
    assert sup.post(f"{API}cases/", {**body, "order": refused.number}, format="json").status_code == 409
    assert not SupervisionCase.objects.exists()
    assert not CaseEvent.objects.filter(action="supervise").exists()


def test_dispatchers_and_citizens_do_not_see_an_applications_supervision_case(
    application: Application, hall: SimpleNamespace, people: SimpleNamespace, api_client_for: Callable[[Any], APIClient]
) -> None:
    sc = services.supervision_case_open(order=application.number, actor=people.supervisor, reason="督办")
    dispatcher = api_client_for(people.dispatcher)
    assert dispatcher.get(f"{API}cases/").json()["count"] == 0
    assert dispatcher.get(f"{API}cases/{sc.pk}/").status_code == 403
    assert dispatcher.get(f"{API}watch/", {"kind": "application"}).json()["count"] == 0
    for citizen in (people.citizen, hall.applicant):
        assert api_client_for(citizen).get(f"{API}cases/{sc.pk}/").status_code == 403
    sup = api_client_for(people.supervisor)
    assert sup.get(f"{API}cases/", {"kind": "application"}).json()["count"] == 1
    assert sup.get(f"{API}cases/", {"kind": "workorder"}).json()["count"] == 0
    assert sup.get(f"{API}cases/", {"order": application.number}).json()["count"] == 1
    assert sup.get(f"{API}cases/", {"kind": "bogus"}).status_code == 400


def test_the_services_check_the_actor_before_the_state(application: Application, people: SimpleNamespace) -> None:
    with pytest.raises(PermissionDenied):
        services.application_urge(application=application.number, actor=people.handler_a)
    with pytest.raises(NotFound):
        services.application_urge(application=UNKNOWN, actor=people.supervisor)
    services.application_urge(application=application.number, actor=people.supervisor, note="一")
    services.supervision_case_open(order=application.number, actor=people.supervisor, reason="甲")
    with pytest.raises(InvalidTransition):
        services.supervision_case_open(order=application.number, actor=people.supervisor, reason="乙")
    assert SupervisionCase.objects.filter(case_id=application.pk).count() == 1


# --- the sweep -------------------------------------------------------------------------------------------------------


def test_the_sweep_urges_an_overdue_application_exactly_once_and_not_an_in_time_or_suspended_one(
    application: Application, hall: SimpleNamespace, people: SimpleNamespace
) -> None:
    suspended = application_at(ACCEPTED, hall, people, AppStatus.SUSPENDED)
    in_time = application_at(at(2026, 10, 12, 10, 0), hall, people, AppStatus.HANDLING)
    assert sweep(at(2026, 10, 12, 18, 0)).urged_overdue == [application.number]
    assert sweep(at(2026, 10, 12, 18, 0)).urged_overdue == []  # the same moment again: nothing
    assert sweep(at(2026, 10, 12, 23, 0)).urged_overdue == []  # later that day: nothing
    [event] = urge_events(application)
    assert event.actor is not None and event.actor.username == SYSTEM_USERNAME
    assert event.note.startswith("自动催办") and event.data["auto"] is True and event.data["kind"] == "overdue"
    assert AuditEvent.objects.filter(action="application.urge", object_id=application.number).count() == 1
    assert list(SupervisionUrge.objects.values_list("case_id", "kind", "sequence")) == [(application.pk, "overdue", 0)]
    assert urge_events(suspended) == [] and urge_events(in_time) == []
    # Unlike a work order, an application is not urged again on the following working days.
    for day in (13, 14, 19):
        assert sweep(at(2026, 10, day, 9, 30)).urged_overdue == [], day
    assert len(urge_events(application)) == 1
    # A month later the suspended application's clock still stands: never flagged, never urged.
    sweep(at(2026, 11, 30, 10, 0))
    assert urge_events(suspended) == []
    assert not Application.objects.get(pk=suspended.pk).is_overdue


def test_the_sweep_warns_a_due_soon_application_once(application: Application) -> None:
    assert sweep(at(2026, 10, 9, 10, 0)).urged_due_soon == []  # more than a working day left
    assert sweep(at(2026, 10, 12, 10, 0)).urged_due_soon == [application.number]
    assert sweep(at(2026, 10, 12, 15, 0)).urged_due_soon == []
    [event] = urge_events(application)
    assert event.data["kind"] == "due_soon"


def test_an_overdue_application_is_escalated_and_its_supervision_case_closes_the_escalation(
    application: Application, people: SimpleNamespace
) -> None:
    sweep(at(2026, 10, 12, 18, 0))
    assert sweep(at(2026, 10, 14, 18, 0)).escalated == [application.number]  # 2 working days overdue
    escalation = Escalation.objects.get(case_id=application.pk)
    assert escalation.status == "open" and escalation.due_at == DUE
    assert CaseEvent.objects.filter(case_id=application.pk, action="escalate").count() == 1
    with time_machine.travel(at(2026, 10, 15, 9, 0), tick=False):
        services.supervision_case_open(order=application.number, actor=people.supervisor, reason="超期未决")
    assert Escalation.objects.get(pk=escalation.pk).status == "handled"


def test_a_decided_application_waiting_at_the_window_is_not_urged_at_its_unit(
    hall: SimpleNamespace,
    people: SimpleNamespace,
    fake_pdf: Any,
) -> None:
    approved = application_at(ACCEPTED, hall, people, AppStatus.APPROVED)
    # Decided the day it was accepted; the result should have been delivered within 10 working days.
    stored = Application.objects.get(pk=approved.pk)
    assert stored.due_at is not None and stored.due_at < at(2026, 10, 27)
    result = sweep(at(2026, 10, 30, 10, 0))
    assert Application.objects.get(pk=approved.pk).is_overdue
    assert urge_events(approved) == [] and result.urged_overdue == []
    # Late delivery is the window's, not the deciding unit's: the supervisors see it on their worklist.
    assert result.escalated == [approved.number]


# --- pages -----------------------------------------------------------------------------------------------------------


def test_a_supervisor_urges_and_opens_a_case_from_the_application_page(
    application: Application, people: SimpleNamespace
) -> None:
    client = client_for(people.supervisor)
    detail = reverse("applications:detail", args=[application.number])
    page = client.get(detail).content.decode()
    assert 'data-testid="supervision-panel"' in page
    assert reverse("supervision:case_urge") in page and reverse("supervision:case_open") in page
    urged = client.post(
        reverse("supervision:case_urge"), {"case": application.number, "note": "请加快", "next": detail}
    )
    assert urged.status_code == 302 and urged["Location"] == detail
    opened = client.post(reverse("supervision:case_open"), {"order": application.number, "reason": "逾期风险"})
    assert opened.status_code == 302 and opened["Location"] == detail
    page = client.get(detail).content.decode()
    assert 'data-testid="urges"' in page and "请加快" in page and "逾期风险" in page
    sc = SupervisionCase.objects.get(case_id=application.pk)
    assert reverse("supervision:case_action", args=[sc.pk, "close"]) in page
    assert reverse("supervision:case_open") not in page  # one open 督办 at a time


def test_the_unit_answers_from_its_pages_and_another_unit_cannot(
    application: Application, people: SimpleNamespace
) -> None:
    sc = services.supervision_case_open(order=application.number, actor=people.supervisor, reason="请说明进度")
    answer_url = reverse("supervision:case_action", args=[sc.pk, "answer"])
    handler = client_for(people.handler_a)
    detail = reverse("applications:detail", args=[application.number])
    page = handler.get(detail).content.decode()
    assert answer_url in page and reverse("supervision:case_urge") not in page
    unit_page = handler.get(reverse("supervision:unit")).content.decode()
    assert answer_url in unit_page and detail in unit_page
    stranger = client_for(people.handler_b)
    assert stranger.get(detail).status_code == 403
    assert stranger.post(answer_url, {"answer": "不是我们"}).status_code == 403
    assert stranger.post(reverse("supervision:case_urge"), {"case": application.number}).status_code == 403
    assert handler.post(answer_url, {"answer": ""}).status_code == 400
    answered = handler.post(answer_url, {"answer": "已在办理，周三前决定", "next": detail})
    assert answered.status_code == 302 and answered["Location"] == detail
    assert SupervisionCase.objects.get(pk=sc.pk).status == "answered"
    assert CaseEvent.objects.filter(
        case_id=application.pk, action="supervision-answer", actor=people.handler_a
    ).exists()


def test_the_worklist_lists_overdue_and_urged_applications_beside_orders_with_a_kind_filter(
    application: Application,
    people: SimpleNamespace,
    district: SimpleNamespace,
    categories: SimpleNamespace,
) -> None:
    with time_machine.travel(at(2026, 10, 13, 9, 0), tick=False):
        order = make_order(people, district, categories.facilities, OrderStatus.HANDLING)
        services.case_urge(case=order.number, actor=people.supervisor)
        sweep(at(2026, 10, 13, 9, 0))  # the application is overdue and urged
        client = client_for(people.supervisor)
        url = reverse("supervision:worklist")
        page = client.get(url).content.decode()
        app_link = reverse("applications:detail", args=[application.number])
        order_link = reverse("workorders:detail", args=[order.number])
        assert 'data-testid="watch"' in page and app_link in page and order_link in page
        assert 'data-kind="application"' in page and 'data-kind="workorder"' in page
        assert 'data-testid="overdue-chart"' in page and "<svg" in page
        only_apps = client.get(url, {"kind": "application"}).content.decode()
        assert app_link in only_apps and order_link not in only_apps
        only_orders = client.get(url, {"kind": "workorder"}).content.decode()
        assert order_link in only_orders and app_link not in only_orders
        dispatcher_page = client_for(people.dispatcher).get(url).content.decode()
        assert order_link in dispatcher_page and app_link not in dispatcher_page
        watch = APIClient()
        watch.force_authenticate(people.supervisor)
        rows = watch.get(f"{API}watch/", {"kind": "application"}).json()["results"]
    assert [(r["order"], r["kind"], r["is_overdue"], r["urges"]) for r in rows] == [
        (application.number, "application", True, 1)
    ]


def test_the_unit_inbox_links_an_applications_supervision_case_to_the_application(
    application: Application, people: SimpleNamespace
) -> None:
    services.supervision_case_open(order=application.number, actor=people.supervisor, reason="督办")
    inbox = client_for(people.handler_a).get(reverse("workorders:inbox")).content.decode()
    assert 'data-testid="unit-supervision"' in inbox
    assert reverse("applications:detail", args=[application.number]) in inbox
