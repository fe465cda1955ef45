"""Reads for the service hall's window, the call display, the citizen's own applications and public tracking."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, QuerySet
from django.utils import timezone

from govdesk.common import clock

from .models import Application, QueueTicket, TicketService, TicketStatus

DISPLAY_ROWS = 8
TRACK_NUMBER_MAX = 32


def _today() -> Any:
    return timezone.localdate(clock.now())


def ticket_current(*, actor: Any) -> QueueTicket | None:
    """The ticket this clerk called and has not finished yet (today)."""
    return (
        QueueTicket.objects.filter(day=_today(), status=TicketStatus.CALLED, called_by=actor)
        .order_by("-called_at", "-id")
        .first()
    )


def ticket_waiting_counts() -> list[dict[str, Any]]:
    """People waiting today per queue, every queue listed (0 where nobody waits)."""
    counts = dict(
        QueueTicket.objects.filter(day=_today(), status=TicketStatus.WAITING)
        .values_list("service")
        .annotate(n=Count("id"))
        .values_list("service", "n")
    )
    return [
        {"service": value, "label": str(label), "waiting": counts.get(value, 0)}
        for value, label in TicketService.choices
    ]


def ticket_display() -> list[QueueTicket]:
    """The numbers called today, the latest call (or recall) first: what the hall's screen shows."""
    return list(
        QueueTicket.objects.filter(day=_today(), status=TicketStatus.CALLED).order_by("-called_at", "-id")[
            :DISPLAY_ROWS
        ]
    )


def ticket_ahead(ticket: QueueTicket) -> int:
    """How many of the same queue are still waiting before this ticket."""
    return QueueTicket.objects.filter(
        day=ticket.day, service=ticket.service, status=TicketStatus.WAITING, sequence__lt=ticket.sequence
    ).count()


def applications_of_citizen(*, user: Any) -> QuerySet[Application]:
    return (
        Application.objects.filter(applicant=user)
        .select_related("matter_version", "primary_unit")
        .order_by("-created_at", "-id")
    )


def application_public_track(*, number: str, id_last4: str) -> Application | None:
    """Public tracking: the number and the last 4 characters of the applicant's ID number must both match; anything
    else is None, so a wrong number and a wrong ID tail cannot be told apart."""
    number, tail = (number or "").strip(), (id_last4 or "").strip().upper()
    if not number or len(number) > TRACK_NUMBER_MAX or len(tail) != 4:
        return None
    application = Application.objects.filter(number=number).select_related("matter_version", "primary_unit").first()
    if application is None or not application.applicant_id_number:
        return None
    if application.applicant_id_number.upper()[-4:] != tail:
        return None
    return application
