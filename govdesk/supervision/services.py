"""Every write of supervision: the periodic sweep (催办 and escalation), 催办 and the 督办 lifecycle.

Supervision covers work orders and applications (办件) alike. Each 督办 action runs in one transaction that locks the
督办 row, checks the actor (403), then the table in states.py (409), writes, and records the case's timeline and audit
event with `case_event_record`. A work order's urge and 督办 go through its own actions (`workorder_urge`,
`workorder_supervise`); an application's states.py has no such actions (supervision is not part of its lifecycle), so
`application_urge` and the application branch of `supervision_case_open` check and record them here. Automatic urges
act as the system supervisor, so they count and show exactly like a person's.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.contrib.auth.models import Group
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from govdesk.applications.models import Application
from govdesk.applications.states import OPEN_STATUSES as APPLICATION_OPEN_STATUSES
from govdesk.applications.states import Status as ApplicationStatus
from govdesk.calendar.core import WorkingCalendar, deadline_add, deadline_add_working_days
from govdesk.calendar.selectors import calendar_get
from govdesk.cases.models import Case, CaseEvent, CaseKind
from govdesk.cases.services import (
    CaseKindSupervision,
    case_deadlines_sweep,
    case_event_record,
    case_kind_supervision_for,
    case_kind_supervisions,
)
from govdesk.common import clock
from govdesk.common.errors import ApplicationError, InvalidTransition, NotFound, PermissionDenied, ValidationFailed
from govdesk.common.inputs import text_input
from govdesk.org.models import Role, Unit, UnitKind, User
from govdesk.workorders.models import WorkOrder
from govdesk.workorders.services import workorder_supervise, workorder_urge
from govdesk.workorders.states import Status

from .models import (
    EntryKind,
    Escalation,
    EscalationStatus,
    SupervisionCase,
    SupervisionEntry,
    SupervisionSettings,
    SupervisionUrge,
    UrgeKind,
)
from .permissions import supervision_can_view_all, supervision_check_actor, supervision_check_supervisor
from .states import ACTIVE_STATUSES, CaseAction, CaseStatus, case_transition_for

logger = logging.getLogger(__name__)

SYSTEM_USERNAME = "system-supervision"
SYSTEM_DISPLAY_NAME = "自动督办"
TEXT_MAX_LENGTH = 2000
ANSWER_DAYS_MAX = 30
# Automatic urging reminds a unit that is working on the order; new and returned orders wait for the dispatcher.
URGE_STATUSES = (Status.DISPATCHED, Status.HANDLING)
# Escalation also covers orders stuck with the centre; replied and merged ones are past the unit's deadline work.
ESCALATE_STATUSES = (Status.NEW, Status.DISPATCHED, Status.HANDLING, Status.RETURNED)
# An application is urged while its implementing unit decides it: its deadline is then the decision's. A suspended one
# has no deadline (its clock stands); one waiting for delivery is the window's, so it is escalated, not urged.
APPLICATION_URGE_STATUSES = (ApplicationStatus.HANDLING,)  # urged overdue once per deadline, not re-urged
APPLICATION_ESCALATE_STATUSES = (ApplicationStatus.HANDLING, ApplicationStatus.APPROVED, ApplicationStatus.DENIED)
# Any open application may get a 督办: its implementing unit answers, whatever the step it waits at.
APPLICATION_SUPERVISE_STATUSES = tuple(sorted(APPLICATION_OPEN_STATUSES))

# Timeline actions (CaseEvent.action) this app writes; "supervise" (opening a 督办) and "urge" are the work order's
# actions, and this app writes them with the same names on an application's timeline.
EVENT_URGE = "urge"
EVENT_SUPERVISE = "supervise"
EVENT_ESCALATE = "escalate"
EVENT_ESCALATION_HANDLED = "escalation-handled"
EVENT_NOTE = "supervision-note"
EVENT_ANSWER = "supervision-answer"
EVENT_CLOSE = "supervision-close"
EVENT_REOPEN = "supervision-reopen"


# --- input -----------------------------------------------------------------------------------------------------------


def _text(value: Any, field_name: str, *, required: bool) -> str:
    return text_input(value, field_name, required=required, max_length=TEXT_MAX_LENGTH)


def _answer_days(value: Any) -> int:
    if value in (None, ""):
        return SupervisionSettings.current().answer_days
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= ANSWER_DAYS_MAX:
        message = _("Give the answer time as 1 to %(n)d working days.") % {"n": ANSWER_DAYS_MAX}
        raise ValidationFailed(message, fields={"answer_days": [message]})
    return value


def _answer_due(now: datetime, days: int) -> datetime:
    return deadline_add_working_days(now, days, calendar_get()).due_at


# --- the system account --------------------------------------------------------------------------------------------


def system_supervisor() -> User:
    """The account the periodic job acts as: a supervisor that cannot log in (no usable password, inactive)."""
    user = User.objects.filter(username=SYSTEM_USERNAME).first()
    if user is None:
        centre = Unit.objects.filter(kind=UnitKind.HOTLINE_CENTRE, is_active=True).order_by("pk").first()
        user = User(username=SYSTEM_USERNAME, display_name=SYSTEM_DISPLAY_NAME, unit=centre, is_active=False)
        user.set_unusable_password()
        user.save()
    group, _created = Group.objects.get_or_create(name=Role.SUPERVISOR.value)
    user.groups.add(group)
    return user


# --- cases of either kind; the application's 催办 and 督办 ---------------------------------------------------------


def _statuses_q(workorder: tuple[str, ...], application: tuple[str, ...], *, escalate: bool = False) -> Q:
    """Work orders in one set of statuses and applications in another (the two kinds share status names), and the
    kinds registered with `case_kind_supervision_add` (a unit's report) in their own urge or escalate statuses."""
    q = Q(kind=CaseKind.WORKORDER, status__in=list(workorder)) | Q(
        kind=CaseKind.APPLICATION, status__in=list(application)
    )
    for registered in case_kind_supervisions():
        statuses = registered.escalate_statuses if escalate else registered.urge_statuses
        q |= Q(kind=registered.kind, status__in=list(statuses))
    return q


def case_kind_of(number: str) -> str:
    """The kind of the supervised case with this number: a work order, an application or a kind registered with
    `case_kind_supervision_add` (404 for anything else)."""
    kind = Case.objects.filter(number=number).values_list("kind", flat=True).first()
    if kind is None or (
        kind not in (CaseKind.WORKORDER, CaseKind.APPLICATION) and case_kind_supervision_for(kind) is None
    ):
        raise NotFound(_("No case under supervision has the number %(n)s.") % {"n": number[:40]})
    return str(kind)


@transaction.atomic
def registered_case_urge(*, case: str, registered: CaseKindSupervision, actor: Any, note: str = "") -> Case:
    """催办 on a case of a registered kind (a unit's report, a knowledge revision): supervisors; the kind's own `urge`
    records the event on its timeline (and checks its status again, under its lock)."""
    supervision_check_supervisor(actor)
    note = _text(note, "note", required=False)
    found = Case.objects.select_for_update().filter(number=case, kind=registered.kind).first()
    if found is None:
        raise NotFound(_("No case under supervision has the number %(n)s.") % {"n": case[:40]})
    if not found.is_open or found.status not in registered.unit_owes_statuses:
        raise InvalidTransition(
            _("“%(action)s” is not possible while %(kind)s %(number)s is “%(status)s”.")
            % {
                "action": _("Urge"),
                "kind": registered.label_text(),
                "number": found.number,
                "status": registered.status_text(found.status),
            }
        )
    registered.urge(found, actor, note)
    return found


def _application_locked(number: str) -> Application:
    locked = Application.objects.select_for_update(of=("self", "case_ptr")).filter(number=number).first()
    if locked is None:
        raise NotFound(_("No application with number %(n)s.") % {"n": number[:40]})
    return locked


def _application_check_status(application: Application, allowed: tuple[str, ...], action: str) -> None:
    if application.status not in allowed:
        label = _("Urge") if action == EVENT_URGE else _("Supervise")
        raise InvalidTransition(
            _("“%(action)s” is not possible while the application is “%(status)s”.")
            % {"action": label, "status": application.get_status_display()}
        )


def _application_event(
    application: Application, action: str, actor: Any, note: str, ip_address: str | None = None
) -> None:
    # Internal, as on a work order: the applicant follows the decision's steps, not the supervisors' reminders.
    data = {"due_at": application.due_at.isoformat()} if application.due_at is not None else {}
    case_event_record(
        case=application,
        action=action,
        actor=actor,
        from_status=application.status,
        to_status=application.status,
        note=note,
        data=data,
        ip_address=ip_address,
    )


@transaction.atomic
def application_urge(
    *, application: Application | str, actor: Any, note: str = "", ip_address: str | None = None
) -> Application:
    """催办 on an application: remind its implementing unit while it decides (supervisors; 403, 404, then 409)."""
    supervision_check_supervisor(actor)
    note = _text(note, "note", required=False)
    locked = _application_locked(application if isinstance(application, str) else application.number)
    _application_check_status(locked, APPLICATION_URGE_STATUSES, EVENT_URGE)
    _application_event(locked, EVENT_URGE, actor, note, ip_address)
    return locked


def case_urge(*, case: str, actor: Any, note: str = "", ip_address: str | None = None) -> Case:
    """催办 on a case by its number: a work order through its own URGE action, an application here, a registered
    kind through its registration's `urge`."""
    if not supervision_can_view_all(actor):
        # Checked before the number is looked up, so a stranger learns nothing about which numbers exist.
        raise PermissionDenied(_("Only supervisors and dispatchers may urge."))
    kind = case_kind_of(case)
    if kind == CaseKind.APPLICATION:
        return application_urge(application=case, actor=actor, note=note, ip_address=ip_address)
    registered = case_kind_supervision_for(kind)
    if registered is not None:
        return registered_case_urge(case=case, registered=registered, actor=actor, note=note)
    return workorder_urge(order=case, actor=actor, note=note)


def _application_supervise(number: str, actor: Any, reason: str, ip_address: str | None) -> Application:
    """The "supervise" event of a 督办 opened on an application (the caller checked the actor and holds the
    transaction)."""
    locked = _application_locked(number)
    _application_check_status(locked, APPLICATION_SUPERVISE_STATUSES, EVENT_SUPERVISE)
    _application_event(locked, EVENT_SUPERVISE, actor, reason, ip_address)
    return locked


# --- the sweep -------------------------------------------------------------------------------------------------------


@dataclass
class SweepResult:
    urged_due_soon: list[str] = field(default_factory=list)
    urged_overdue: list[str] = field(default_factory=list)
    escalated: list[str] = field(default_factory=list)
    escalations_resolved: int = 0
    answers_overdue_set: int = 0
    answers_overdue_cleared: int = 0
    skipped: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {
            "urged_due_soon": len(self.urged_due_soon),
            "urged_overdue": len(self.urged_overdue),
            "escalated": len(self.escalated),
            "escalations_resolved": self.escalations_resolved,
            "answers_overdue_set": self.answers_overdue_set,
            "answers_overdue_cleared": self.answers_overdue_cleared,
            "skipped": len(self.skipped),
        }


def _local(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def reurge_due(last_urged_at: datetime, interval_days: int, cal: WorkingCalendar) -> datetime:
    """The next urge of an overdue order: the start of business of the N-th working day after the last urge's day."""
    day = deadline_add_working_days(last_urged_at, interval_days, cal).due_at.date()
    return datetime.combine(day, cal.periods[0][0], tzinfo=cal.tz)


def escalation_due(due_at: datetime, settings: SupervisionSettings, cal: WorkingCalendar) -> datetime:
    """When an order overdue since `due_at` goes to the supervisors: the delay counted in working time."""
    return deadline_add(due_at, float(settings.escalation_delay), settings.escalation_delay_unit, cal).due_at


def _urge_one(case_pk: int, kind: str, due_at: datetime, sequence: int, actor: User, now: datetime) -> bool:
    """One automatic urge, recorded with its slot; False if the slot was taken meanwhile or the case moved on."""
    if kind == UrgeKind.DUE_SOON:
        note = f"自动催办：距办结期限（{_local(due_at)}）不足一个工作日，请抓紧办理。"
    elif sequence == 0:
        note = f"自动催办：已超过办结期限（{_local(due_at)}），请尽快办结并答复。"
    else:
        note = f"自动催办：已超过办结期限（{_local(due_at)}），第 {sequence + 1} 次催办。"
    try:
        with transaction.atomic():
            # The slot first: a second sweep at the same moment fails here and urges nothing.
            SupervisionUrge.objects.create(case_id=case_pk, kind=kind, due_at=due_at, sequence=sequence, urged_at=now)
            case = Case.objects.only("number", "kind").get(pk=case_pk)
            registered = {r.kind: r for r in case_kind_supervisions()}.get(case.kind)
            if case.kind == CaseKind.APPLICATION:
                application_urge(application=case.number, actor=actor, note=note)
            elif registered is not None:
                registered.urge(case, actor, note)
            else:
                workorder_urge(order=case.number, actor=actor, note=note)
            event = CaseEvent.objects.filter(case_id=case_pk, action=EVENT_URGE).order_by("-pk").first()
            if event is not None:
                event.data = {**event.data, "auto": True, "kind": kind, "sequence": sequence}
                event.save(update_fields=["data"])
    except IntegrityError:
        return False
    except ApplicationError as exc:
        logger.info("supervision sweep: case %s not urged: %s", case_pk, exc.message)
        return False
    return True


def _escalate_one(order_pk: int, due_at: datetime, actor: User, settings: SupervisionSettings, now: datetime) -> bool:
    delay = f"{settings.escalation_delay} {settings.get_escalation_delay_unit_display()}"
    try:
        with transaction.atomic():
            order = Case.objects.select_for_update().get(pk=order_pk)
            if not order.is_open or order.due_at != due_at:
                return False
            Escalation.objects.create(case=order, due_at=due_at, escalated_at=now)
            case_event_record(
                case=order,
                action=EVENT_ESCALATE,
                actor=actor,
                from_status=order.status,
                to_status=order.status,
                note=f"升级督办：超过办结期限（{_local(due_at)}）已满 {delay}，转督办人员处理。",
                data={"due_at": due_at.isoformat(), "auto": True},
            )
    except IntegrityError:
        return False
    return True


def supervision_sweep(*, now: datetime | None = None) -> SweepResult:
    """催办 and escalation for every open work order and application, by the settings; idempotent (run every few
    minutes).

    Due-soon orders are urged once per deadline; overdue ones when they become overdue and then every N working
    days; orders overdue for longer than the escalation delay go to the supervisors' worklist once per deadline.
    """
    now = now or clock.now()
    case_deadlines_sweep(now=now)  # fresh flags: this sweep must not act on a flag a minute old
    settings = SupervisionSettings.current()
    cal = calendar_get()
    result = SweepResult()
    actor: User | None = None

    def system() -> User:
        nonlocal actor
        if actor is None:
            actor = system_supervisor()
        return actor

    # Work orders, applications and the kinds registered with case_kind_supervision_add (units' reports) alike; a
    # suspended application has no deadline, so it never comes up here.
    orders = Case.objects.filter(is_open=True, due_at__isnull=False)
    urge_q = _statuses_q(URGE_STATUSES, APPLICATION_URGE_STATUSES)
    escalate_q = _statuses_q(ESCALATE_STATUSES, APPLICATION_ESCALATE_STATUSES, escalate=True)
    if settings.auto_urge_enabled and settings.urge_due_soon:
        urged = SupervisionUrge.objects.filter(
            case_id=OuterRef("pk"), kind=UrgeKind.DUE_SOON, due_at=OuterRef("due_at")
        )
        for pk, number, due in (
            orders.filter(urge_q, is_due_soon=True)
            .exclude(Exists(urged))
            .order_by("due_at", "pk")
            .values_list("pk", "number", "due_at")
        ):
            assert due is not None  # filtered above
            if _urge_one(pk, UrgeKind.DUE_SOON, due, 0, system(), now):
                result.urged_due_soon.append(number)
    if settings.auto_urge_enabled:
        last = SupervisionUrge.objects.filter(
            case_id=OuterRef("pk"), kind=UrgeKind.OVERDUE, due_at=OuterRef("due_at")
        ).order_by("-sequence")
        candidates = (
            orders.filter(urge_q, is_overdue=True)
            # An application is urged once per deadline: its unit works to a statutory limit, and what follows an
            # unanswered urge is the escalation to the supervisors, not a daily reminder.
            .exclude(Q(kind=CaseKind.APPLICATION) & Q(Exists(last)))
            .annotate(last_seq=Subquery(last.values("sequence")[:1]), last_at=Subquery(last.values("urged_at")[:1]))
            .order_by("due_at", "pk")
            .values_list("pk", "number", "due_at", "last_seq", "last_at")
        )
        next_by_last: dict[datetime, datetime] = {}
        for pk, number, due, last_seq, last_at in candidates:
            assert due is not None
            if last_seq is None:
                sequence = 0
            else:
                if last_at not in next_by_last:
                    next_by_last[last_at] = reurge_due(last_at, settings.reurge_interval_days, cal)
                if now < next_by_last[last_at]:
                    continue
                sequence = last_seq + 1
            if _urge_one(pk, UrgeKind.OVERDUE, due, sequence, system(), now):
                result.urged_overdue.append(number)
            else:
                result.skipped.append(number)
    escalated = Escalation.objects.filter(case_id=OuterRef("pk"), due_at=OuterRef("due_at"))
    due_by_deadline: dict[datetime, datetime] = {}
    for pk, number, due in (
        orders.filter(escalate_q, is_overdue=True)
        .exclude(Exists(escalated))
        .order_by("due_at", "pk")
        .values_list("pk", "number", "due_at")
    ):
        assert due is not None
        if due not in due_by_deadline:
            due_by_deadline[due] = escalation_due(due, settings, cal)
        if now >= due_by_deadline[due] and _escalate_one(pk, due, system(), settings, now):
            result.escalated.append(number)
    # An escalation nobody handled is moot once its order is closed, no longer overdue, or has a new deadline.
    result.escalations_resolved = (
        Escalation.objects.filter(status=EscalationStatus.OPEN)
        .exclude(case__is_open=True, case__is_overdue=True, case__due_at=F("due_at"))
        .update(status=EscalationStatus.RESOLVED, handled_at=now)
    )
    result.answers_overdue_set = SupervisionCase.objects.filter(
        status=CaseStatus.OPEN, answer_due_at__lt=now, is_overdue=False
    ).update(is_overdue=True)
    result.answers_overdue_cleared = (
        SupervisionCase.objects.filter(is_overdue=True)
        .filter(~Q(status=CaseStatus.OPEN) | Q(answer_due_at__gte=now))
        .update(is_overdue=False)
    )
    return result


# --- escalations -----------------------------------------------------------------------------------------------------


@transaction.atomic
def supervision_escalation_handle(*, escalation_id: int, actor: Any, note: str = "") -> Escalation:
    """A supervisor has dealt with an escalation (or is about to, by opening a 督办); it leaves the worklist."""
    supervision_check_supervisor(actor)
    escalation = Escalation.objects.select_for_update().filter(pk=escalation_id).first()
    if escalation is None:
        raise NotFound(_("No such escalation."))
    note = _text(note, "note", required=False)
    if escalation.status != EscalationStatus.OPEN:
        raise InvalidTransition(_("This escalation has already been dealt with."))
    _escalation_close(escalation, actor, note)
    return escalation


def _escalation_close(escalation: Escalation, actor: Any, note: str) -> None:
    now = clock.now()
    escalation.status, escalation.handled_by, escalation.handled_at, escalation.note = (
        EscalationStatus.HANDLED,
        actor,
        now,
        note,
    )
    escalation.save(update_fields=["status", "handled_by", "handled_at", "note"])
    case = escalation.case
    case_event_record(
        case=case,
        action=EVENT_ESCALATION_HANDLED,
        actor=actor,
        from_status=case.status,
        to_status=case.status,
        note=note,
        data={"escalation": escalation.pk},
    )


# --- 督办 cases -------------------------------------------------------------------------------------------------------


def _entry(sc: SupervisionCase, kind: str, actor: Any, text: str) -> SupervisionEntry:
    return SupervisionEntry.objects.create(
        supervision_case=sc,
        kind=kind,
        author=actor,
        unit=getattr(actor, "unit", None),
        created_at=clock.now(),
        text=text,
    )


def _order_number(order: Case | str) -> str:
    return order if isinstance(order, str) else order.number


def _is_application(number: str) -> bool:
    return Case.objects.filter(number=number, kind=CaseKind.APPLICATION).exists()


@transaction.atomic
def supervision_case_open(
    *, order: Case | str, actor: Any, reason: str, answer_days: Any = None, ip_address: str | None = None
) -> SupervisionCase:
    """督办: open a supervision case on a work order or an application (`order` is either's number), with the reason
    and a deadline for the unit's answer.

    The order's SUPERVISE action (`workorder_supervise`) checks that the order may be supervised now and records
    the "supervise" event on its timeline; for an application `_application_supervise` does the same. The 督办 is
    written in the same transaction.
    """
    supervision_check_supervisor(actor)
    reason = _text(reason, "reason", required=True)
    days = _answer_days(answer_days)
    number = _order_number(order)
    registered = case_kind_supervision_for(Case.objects.filter(number=number).values_list("kind", flat=True).first())
    if registered is not None:
        # A registered kind's lifecycle has no 督办 step (its unit answers through the case itself): it is urged.
        raise InvalidTransition(
            _("A supervision case is opened on work orders and applications; urge this %(kind)s instead.")
            % {"kind": registered.label_text()}
        )
    wo: Case
    if _is_application(number):
        wo = _application_supervise(number, actor, reason, ip_address)
        already = _("This application already has an open supervision case.")
    else:
        wo = workorder_supervise(order=number, actor=actor, note=reason)
        already = _("This order already has an open supervision case.")
    if SupervisionCase.objects.filter(case_id=wo.pk, status__in=list(ACTIVE_STATUSES)).exists():
        raise InvalidTransition(already)
    now = clock.now()
    sc = SupervisionCase.objects.create(
        case_id=wo.pk,
        status=CaseStatus.OPEN,
        reason=reason,
        opened_by=actor,
        opened_at=now,
        answer_days=days,
        answer_due_at=_answer_due(now, days),
        updated_at=now,
    )
    _entry(sc, EntryKind.OPEN, actor, reason)
    event = CaseEvent.objects.filter(case_id=wo.pk, action=EVENT_SUPERVISE).order_by("-pk").first()
    if event is not None:
        event.data = {
            **event.data,
            "supervision_case": sc.pk,
            "answer_days": days,
            "answer_due_at": sc.answer_due_at.isoformat(),
        }
        event.save(update_fields=["data"])
    for escalation in Escalation.objects.select_for_update().filter(case_id=wo.pk, status=EscalationStatus.OPEN):
        _escalation_close(escalation, actor, _("Supervision case opened."))
    return sc


def supervision_supervise_action(*, order: WorkOrder | str, actor: Any, note: str) -> WorkOrder:
    """The order's SUPERVISE action: open a 督办, or add the note to the one already open."""
    number = _order_number(order)
    active = SupervisionCase.objects.filter(case__number=number, status__in=list(ACTIVE_STATUSES)).first()
    if active is None:
        sc = supervision_case_open(order=number, actor=actor, reason=note)
        return WorkOrder.objects.get(pk=sc.case_id)
    with transaction.atomic():
        wo = workorder_supervise(order=number, actor=actor, note=note)
        locked = SupervisionCase.objects.select_for_update().get(pk=active.pk)
        _entry(locked, EntryKind.NOTE, actor, note.strip())
        locked.updated_at = clock.now()
        locked.save(update_fields=["updated_at"])
    return wo


def _begin(case_id: int, actor: Any, action: CaseAction) -> SupervisionCase:
    """Lock the 督办 and check that it exists (404) and the actor (403). The caller then reads its input (400) and
    calls _check_status (409): a stranger learns neither what the input should be nor the 督办's state."""
    sc = SupervisionCase.objects.select_for_update().filter(pk=case_id).select_related("case").first()
    if sc is None:
        raise NotFound(_("No supervision case %(id)s.") % {"id": case_id})
    supervision_check_actor(actor, sc, action)
    return sc


def _check_status(sc: SupervisionCase, action: CaseAction) -> None:
    if case_transition_for(sc.status, action) is None:
        raise InvalidTransition(
            _("“%(action)s” is not possible while the supervision case is “%(status)s”.")
            % {"action": action.value, "status": sc.get_status_display()}
        )


def _record(sc: SupervisionCase, action: str, actor: Any, note: str, from_status: str, **data: Any) -> None:
    case = sc.case
    case_event_record(
        case=case,
        action=action,
        actor=actor,
        from_status=case.status,
        to_status=case.status,
        note=note,
        data={"supervision_case": sc.pk, "from": from_status, "to": sc.status, **data},
    )


@transaction.atomic
def supervision_case_note(*, case_id: int, actor: Any, note: str) -> SupervisionCase:
    """督办意见: a supervisor's note on an open or answered 督办."""
    sc = _begin(case_id, actor, CaseAction.NOTE)
    note = _text(note, "note", required=True)
    _check_status(sc, CaseAction.NOTE)
    sc.updated_at = clock.now()
    sc.save(update_fields=["updated_at"])
    _entry(sc, EntryKind.NOTE, actor, note)
    _record(sc, EVENT_NOTE, actor, note, sc.status)
    return sc


@transaction.atomic
def supervision_case_answer(*, case_id: int, actor: Any, answer: str) -> SupervisionCase:
    """督办答复: the order's primary unit answers; the supervisor then reviews it."""
    sc = _begin(case_id, actor, CaseAction.ANSWER)
    answer = _text(answer, "answer", required=True)
    _check_status(sc, CaseAction.ANSWER)
    now = clock.now()
    from_status = sc.status
    sc.status = CaseStatus.ANSWERED
    sc.answer, sc.answered_by, sc.answered_unit, sc.answered_at = answer, actor, actor.unit, now
    sc.is_overdue = False
    sc.updated_at = now
    sc.save(
        update_fields=["status", "answer", "answered_by", "answered_unit", "answered_at", "is_overdue", "updated_at"]
    )
    _entry(sc, EntryKind.ANSWER, actor, answer)
    _record(sc, EVENT_ANSWER, actor, answer, from_status, late=now > sc.answer_due_at)
    return sc


@transaction.atomic
def supervision_case_close(*, case_id: int, actor: Any, note: str = "") -> SupervisionCase:
    """办结督办: the supervisor accepts the answer (or withdraws an unanswered 督办, saying why)."""
    sc = _begin(case_id, actor, CaseAction.CLOSE)
    note = _text(note, "note", required=False)
    _check_status(sc, CaseAction.CLOSE)
    if sc.status == CaseStatus.OPEN and not note:
        message = _("Say why the supervision case is closed without an answer.")
        raise ValidationFailed(message, fields={"note": [message]})
    now = clock.now()
    from_status = sc.status
    sc.status, sc.closed_by, sc.closed_at, sc.is_overdue, sc.updated_at = CaseStatus.CLOSED, actor, now, False, now
    sc.save(update_fields=["status", "closed_by", "closed_at", "is_overdue", "updated_at"])
    _entry(sc, EntryKind.CLOSE, actor, note)
    _record(sc, EVENT_CLOSE, actor, note, from_status)
    return sc


@transaction.atomic
def supervision_case_reopen(*, case_id: int, actor: Any, reason: str, answer_days: Any = None) -> SupervisionCase:
    """重新督办: the answer is not good enough; the unit answers again by a new deadline."""
    sc = _begin(case_id, actor, CaseAction.REOPEN)
    reason = _text(reason, "reason", required=True)
    days = _answer_days(answer_days)
    _check_status(sc, CaseAction.REOPEN)
    now = clock.now()
    from_status = sc.status
    sc.status = CaseStatus.OPEN
    sc.answer_days, sc.answer_due_at = days, _answer_due(now, days)
    sc.reopen_count += 1
    sc.is_overdue = False
    sc.updated_at = now
    sc.save(update_fields=["status", "answer_days", "answer_due_at", "reopen_count", "is_overdue", "updated_at"])
    _entry(sc, EntryKind.REOPEN, actor, reason)
    _record(sc, EVENT_REOPEN, actor, reason, from_status, answer_due_at=sc.answer_due_at.isoformat())
    return sc


CASE_ACTION_SERVICES: dict[CaseAction, Callable[..., SupervisionCase]] = {
    CaseAction.NOTE: supervision_case_note,
    CaseAction.ANSWER: supervision_case_answer,
    CaseAction.CLOSE: supervision_case_close,
    CaseAction.REOPEN: supervision_case_reopen,
}
