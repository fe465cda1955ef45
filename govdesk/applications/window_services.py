"""Writes of the service hall's window and of the online channel: queue tickets (取号/叫号), registering and deciding
at the counter in one step, applying and supplementing online, and a citizen claiming a window application.

The composite services run the existing application services (`services.py`) inside one transaction, so a refused
decision, a bad scan or a failing notice leaves nothing of the registration behind. Every ticket call is audited.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from govdesk.audit.services import audit_append
from govdesk.cases.attachments import CheckedFile
from govdesk.cases.services import case_event_record
from govdesk.common import clock
from govdesk.common.errors import InvalidTransition, NotFound, PermissionDenied, ValidationFailed
from govdesk.common.services import counter_next
from govdesk.org.models import Role

from . import services
from .models import Application, Channel, QueueTicket, TicketService, TicketStatus

WINDOW_MAX = 99


class Decision:
    ACCEPT = "accept"
    CORRECTION = "correction"
    REFUSE = "refuse"
    ALL = (ACCEPT, CORRECTION, REFUSE)


# --- queue tickets ----------------------------------------------------------------------------------------------------


def _check_clerk(actor: Any) -> None:
    if not actor.has_role(Role.WINDOW_CLERK):
        raise PermissionDenied(_("Only window clerks call tickets."))


def _check_window(window: Any) -> int:
    try:
        number = int(window)
    except (TypeError, ValueError):
        number = 0
    if not 1 <= number <= WINDOW_MAX:
        message = _("Enter your window number, from 1 to %(n)d.") % {"n": WINDOW_MAX}
        raise ValidationFailed(message, fields={"window": [message]})
    return number


def _ticket_audit(ticket: QueueTicket, action: str, actor: Any, from_state: str, ip_address: str | None) -> None:
    audit_append(
        action=f"ticket.{action}",
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        object_type="queue_ticket",
        object_id=f"{ticket.day:%Y%m%d}-{ticket.number}",
        from_state=from_state,
        to_state=ticket.status,
        note=f"window {ticket.window}" if ticket.window else "",
        ip_address=ip_address,
    )


@transaction.atomic
def ticket_take(*, service: str, ip_address: str | None = None) -> QueueTicket:
    """取号: the next number of today's queue; the counter's key holds the day, so numbering restarts daily."""
    if service not in TicketService.values:
        message = _("Choose a service.")
        raise ValidationFailed(message, fields={"service": [message]})
    now = clock.now()
    day = timezone.localdate(now)
    sequence = counter_next(key=f"queue-ticket:{day:%Y%m%d}:{service}")
    ticket = QueueTicket.objects.create(
        day=day, service=service, sequence=sequence, number=f"{service}{sequence:03d}", taken_at=now
    )
    _ticket_audit(ticket, "take", None, "", ip_address)
    return ticket


def _current_locked(actor: Any, day: Any) -> QueueTicket | None:
    return (
        QueueTicket.objects.select_for_update()
        .filter(day=day, status=TicketStatus.CALLED, called_by=actor)
        .order_by("-called_at", "-id")
        .first()
    )


@transaction.atomic
def ticket_call_next(
    *, actor: Any, window: Any, services_called: list[str] | None = None, ip_address: str | None = None
) -> QueueTicket | None:
    """叫号: the longest-waiting ticket of today (of the chosen queues) to this window; the clerk's ticket still at
    the counter is served by then. None when nobody waits."""
    _check_clerk(actor)
    window_number = _check_window(window)
    now = clock.now()
    day = timezone.localdate(now)
    current = _current_locked(actor, day)
    if current is not None:
        current.status, current.finished_at = TicketStatus.DONE, now
        current.save(update_fields=["status", "finished_at"])
        _ticket_audit(current, "done", actor, TicketStatus.CALLED, ip_address)
    waiting = QueueTicket.objects.filter(day=day, status=TicketStatus.WAITING)
    chosen = [s for s in (services_called or []) if s in TicketService.values]
    if chosen:
        waiting = waiting.filter(service__in=chosen)
    # Two clerks pressing at once must not get the same person: skip a ticket another transaction holds.
    skip = connection.features.has_select_for_update_skip_locked
    ticket = waiting.select_for_update(skip_locked=skip).order_by("taken_at", "id").first()
    if ticket is None:
        return None
    ticket.status, ticket.window, ticket.called_at, ticket.called_by = TicketStatus.CALLED, window_number, now, actor
    ticket.calls = 1
    ticket.save(update_fields=["status", "window", "called_at", "called_by", "calls"])
    _ticket_audit(ticket, "call", actor, TicketStatus.WAITING, ip_address)
    return ticket


def _own_called(actor: Any, ticket_id: Any) -> QueueTicket:
    _check_clerk(actor)
    try:
        pk = int(ticket_id)
    except (TypeError, ValueError):
        pk = 0
    ticket = QueueTicket.objects.select_for_update().filter(pk=pk, day=timezone.localdate(clock.now())).first()
    if ticket is None:
        raise NotFound(_("No such ticket today."))
    if ticket.status != TicketStatus.CALLED:
        raise InvalidTransition(_("Ticket %(n)s is not at a window now.") % {"n": ticket.number})
    if ticket.called_by_id != actor.pk:
        raise PermissionDenied(_("Ticket %(n)s was called by another window.") % {"n": ticket.number})
    return ticket


@transaction.atomic
def ticket_recall(*, actor: Any, ticket_id: Any, ip_address: str | None = None) -> QueueTicket:
    """重呼: the same number shown and announced again."""
    ticket = _own_called(actor, ticket_id)
    ticket.calls += 1
    ticket.called_at = clock.now()
    ticket.save(update_fields=["calls", "called_at"])
    _ticket_audit(ticket, "recall", actor, TicketStatus.CALLED, ip_address)
    return ticket


def _finish(actor: Any, ticket_id: Any, status: str, ip_address: str | None) -> QueueTicket:
    ticket = _own_called(actor, ticket_id)
    ticket.status, ticket.finished_at = status, clock.now()
    ticket.save(update_fields=["status", "finished_at"])
    _ticket_audit(
        ticket, "no-show" if status == TicketStatus.NO_SHOW else "done", actor, TicketStatus.CALLED, ip_address
    )
    return ticket


@transaction.atomic
def ticket_no_show(*, actor: Any, ticket_id: Any, ip_address: str | None = None) -> QueueTicket:
    """过号: called, did not come."""
    return _finish(actor, ticket_id, TicketStatus.NO_SHOW, ip_address)


@transaction.atomic
def ticket_done(*, actor: Any, ticket_id: Any, ip_address: str | None = None) -> QueueTicket:
    """办结: served."""
    return _finish(actor, ticket_id, TicketStatus.DONE, ip_address)


# --- at the counter ---------------------------------------------------------------------------------------------------


def _attach_all(application: Application, actor: Any, files: Mapping[str, CheckedFile]) -> None:
    for code, file in files.items():
        services.application_material_attach(application=application.number, actor=actor, code=code, file=file)


@transaction.atomic
def application_register_at_window(
    *,
    actor: Any,
    data: dict[str, Any],
    scans: Mapping[str, CheckedFile],
    decision: str,
    reason: str = "",
    ip_address: str | None = None,
) -> Application:
    """The counter in one step: register what the applicant brought (materials ticked as received, their scans),
    then accept (受理), ask for everything missing at once (一次性告知) or refuse (不予受理, with `reason`).

    One transaction: if the decision is not possible (accepting while a required material is missing: 409) or any
    input is bad (400), nothing is stored, the registration included."""
    if decision not in Decision.ALL:
        message = _("Choose accept, ask for missing materials, or refuse.")
        raise ValidationFailed(message, fields={"decision": [message]})
    if decision == Decision.REFUSE and not reason.strip():
        message = _("Give the reason for not accepting.")
        raise ValidationFailed(message, fields={"reason": [message]})
    application = services.application_submit(
        actor=actor, data={**data, "channel": Channel.WINDOW}, ip_address=ip_address
    )
    _attach_all(application, actor, scans)
    if decision == Decision.ACCEPT:
        services.application_accept(application=application.number, actor=actor)
    elif decision == Decision.CORRECTION:
        services.application_request_correction(application=application.number, actor=actor)
    else:
        services.application_refuse(application=application.number, actor=actor, reason=reason)
    return Application.objects.get(pk=application.pk)


# --- online -----------------------------------------------------------------------------------------------------------


@transaction.atomic
def application_submit_online(
    *, actor: Any, data: dict[str, Any], uploads: Mapping[str, CheckedFile], ip_address: str | None = None
) -> Application:
    """网上申报: the citizen's own application; each uploaded file is that material received."""
    payload = {**data, "channel": Channel.ONLINE, "materials": list(uploads)}
    application = services.application_submit(actor=actor, data=payload, ip_address=ip_address)
    _attach_all(application, actor, uploads)
    return Application.objects.get(pk=application.pk)


@transaction.atomic
def application_supplement_online(
    *, actor: Any, application: Application | str, uploads: Mapping[str, CheckedFile]
) -> Application:
    """补正 online: the files of materials the correction notice asked for; each becomes that material received."""
    if not uploads:
        message = _("Upload the file of at least one missing material.")
        raise ValidationFailed(message, fields={"materials": [message]})
    number = application if isinstance(application, str) else application.number
    # One service: it checks role, ownership and status before any file is stored, and replaces the file of a
    # material found defective (the old one stays in the case's history).
    result = services.application_supplement(application=number, actor=actor, materials=list(uploads), files=uploads)
    return Application.objects.get(pk=result.pk)


def application_claim(*, actor: Any, number: str, id_number: str, ip_address: str | None = None) -> Application:
    """A citizen adds an application registered for them at the window to their account, proving it with the full
    ID number given there. A wrong number and a wrong ID number get the same answer; every failed try is audited."""
    if not actor.has_role(Role.CITIZEN):
        raise PermissionDenied(_("Only citizens add applications to their account."))
    number, id_number = (number or "").strip()[:32], (id_number or "").strip().upper()[:18]
    with transaction.atomic():
        application = Application.objects.select_for_update(of=("self", "case_ptr")).filter(number=number).first()
        matches = (
            application is not None
            and bool(id_number)
            and application.applicant_id_number.upper() == id_number
            and application.applicant_id in (None, actor.pk)
        )
        if matches and application is not None:
            if application.applicant_id is None:
                application.applicant = actor
                application.save(update_fields=["applicant"])
                case_event_record(
                    case=application,
                    action="claim",
                    actor=actor,
                    from_status=application.status,
                    to_status=application.status,
                    ip_address=ip_address,
                )
            return application
    with transaction.atomic():
        audit_append(
            action="application.claim",
            actor=actor,
            object_type="application",
            object_id=number,
            success=False,
            ip_address=ip_address,
        )
    raise NotFound(_("No application of yours matches this number and ID number."))
