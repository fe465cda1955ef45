"""Queue tickets: the kiosk numbers per queue and per day, the clerk calls, recalls, marks no-shows and done, every
call is audited, and the public display shows numbers and windows only."""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.core.cache import cache
from django.test import Client, override_settings
from django.utils.translation import gettext as _

from govdesk.applications.models import QueueTicket, TicketStatus
from govdesk.audit.models import AuditEvent
from govdesk.org.models import Role
from govdesk.org.tests.factories import UserFactory

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def _clear_cache() -> None:
    cache.clear()  # rate-limit counters


def logged_in(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


def take(service: str = "A") -> str:
    response = Client().post("/window/ticket/", {"service": service})
    assert response.status_code == 200
    return QueueTicket.objects.order_by("-id").first().number  # type: ignore[union-attr]


def test_the_kiosk_numbers_each_queue_and_restarts_every_day() -> None:
    assert Client().get("/window/ticket/").status_code == 200
    with time_machine.travel(datetime(2026, 12, 3, 23, 50, tzinfo=SHANGHAI), tick=False):
        response = Client().post("/window/ticket/", {"service": "A"})
        assert response.status_code == 200 and "A001" in response.content.decode()
        assert [take("A"), take("B"), take("A")] == ["A002", "B001", "A003"]
    # Midnight in the hall's time zone, not UTC's: a new day, a new series.
    with time_machine.travel(datetime(2026, 12, 4, 0, 5, tzinfo=SHANGHAI), tick=False):
        assert [take("A"), take("B")] == ["A001", "B001"]
    assert QueueTicket.objects.filter(number="A001").count() == 2
    assert Client().post("/window/ticket/", {"service": "Z"}).status_code == 400
    assert QueueTicket.objects.count() == 6


def test_the_clerk_calls_recalls_and_finishes_and_the_display_follows(hall: SimpleNamespace) -> None:
    first, second, third = take("A"), take("B"), take("A")
    clerk = logged_in(hall.clerk)
    page = clerk.get("/window/")
    assert page.status_code == 200 and 'data-testid="current-ticket">—' in page.content.decode()
    assert clerk.post("/window/tickets/call/", {"window": "3"}).status_code == 302
    ticket = QueueTicket.objects.get(number=first)
    assert ticket.status == TicketStatus.CALLED and ticket.window == 3 and ticket.called_by == hall.clerk
    assert f'data-testid="current-ticket">{first}' in clerk.get("/window/").content.decode()
    data = Client().get("/window/display/data/").json()
    assert data["called"][0]["number"] == first and data["called"][0]["window"] == 3
    assert data["called"][0]["text"] == _("Ticket %(number)s, please go to window %(window)s") % {
        "number": first,
        "window": 3,
    }
    assert data["called"][0]["window_text"] == _("Window %(window)s") % {"window": 3}
    assert {w["service"]: w["waiting"] for w in data["waiting"]}["A"] == 1
    assert "13912345678" not in str(data) and "clerk" not in str(data)

    assert clerk.post("/window/tickets/recall/", {"ticket": ticket.pk}).status_code == 302
    assert QueueTicket.objects.get(pk=ticket.pk).calls == 2
    # Another clerk cannot finish this window's ticket.
    other = UserFactory(username="clerk2", roles=[Role.WINDOW_CLERK], unit=hall.centre)
    assert logged_in(other).post("/window/tickets/done/", {"ticket": ticket.pk}).status_code == 403
    assert clerk.post("/window/tickets/no-show/", {"ticket": ticket.pk}).status_code == 302
    assert QueueTicket.objects.get(pk=ticket.pk).status == TicketStatus.NO_SHOW
    # A finished ticket cannot be recalled: 409, nothing changed.
    assert clerk.post("/window/tickets/recall/", {"ticket": ticket.pk}).status_code == 409

    # Calling the next one finishes the one at the counter; only the chosen queues are called.
    assert clerk.post("/window/tickets/call/", {"window": "3", "services": ["A"]}).status_code == 302
    assert QueueTicket.objects.get(number=third).status == TicketStatus.CALLED
    assert clerk.post("/window/tickets/call/", {"window": "3"}).status_code == 302
    assert QueueTicket.objects.get(number=third).status == TicketStatus.DONE
    assert QueueTicket.objects.get(number=second).status == TicketStatus.CALLED
    assert clerk.post("/window/tickets/done/", {"ticket": QueueTicket.objects.get(number=second).pk}).status_code == 302
    response = clerk.post("/window/tickets/call/", {"window": "3"}, follow=True)
    assert response.status_code == 200 and _("Nobody is waiting.") in response.content.decode()

    actions = list(AuditEvent.objects.filter(object_type="queue_ticket").values_list("action", flat=True))
    assert actions.count("ticket.take") == 3 and actions.count("ticket.call") == 3
    assert {"ticket.recall", "ticket.no-show", "ticket.done"} <= set(actions)


def test_ticket_actions_check_the_window_the_action_and_the_role(
    hall: SimpleNamespace, people: SimpleNamespace
) -> None:
    take("A")
    clerk = logged_in(hall.clerk)
    assert clerk.post("/window/tickets/call/", {"window": "0"}).status_code == 400
    assert clerk.post("/window/tickets/call/", {"window": "x"}).status_code == 400
    assert clerk.post("/window/tickets/dance/").status_code == 404
    assert clerk.post("/window/tickets/done/", {"ticket": "999999"}).status_code == 404
    assert QueueTicket.objects.get().status == TicketStatus.WAITING
    assert logged_in(people.handler_a).get("/window/").status_code == 403
    assert logged_in(hall.applicant).post("/window/tickets/call/", {"window": "1"}).status_code == 403
    assert Client().get("/window/").status_code == 302
    assert Client().get("/window/display/").status_code == 200


def test_the_clerk_lands_on_the_counter_and_the_citizen_finds_online_applying(hall: SimpleNamespace) -> None:
    clerk = logged_in(hall.clerk)
    assert clerk.get("/")["Location"] == "/window/"
    assert 'href="/window/"' in clerk.get("/window/").content.decode()
    assert 'href="/apply/"' in logged_in(hall.applicant).get("/apply/").content.decode()


def test_the_kiosk_serves_a_busy_hall_from_one_address_but_not_a_flood() -> None:
    # The public pages allow 5 an hour per address; the kiosk is one address for everybody.
    with override_settings(GOVDESK={**settings.GOVDESK, "PUBLIC_SUBMIT_RATE": "5/h", "QUEUE_TICKET_RATE": "8/h"}):
        statuses = [Client().post("/window/ticket/", {"service": "C"}).status_code for _ in range(9)]
    assert statuses == [200] * 8 + [429]
    assert QueueTicket.objects.count() == 8
