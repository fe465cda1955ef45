"""Writes shared by every case type. Callers hold the transaction and the case's row lock."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from govdesk.audit.services import audit_append
from govdesk.calendar.core import deadline_add_working_days
from govdesk.calendar.selectors import calendar_get
from govdesk.common import clock
from govdesk.common.errors import InvalidTransition, PermissionDenied
from govdesk.org.models import Role, Unit

from .attachments import CheckedFile
from .models import AssignmentRole, Attachment, Case, CaseEvent, CaseKind, CaseSuspension, CaseUnit
from .selectors import due_soon_limit

# Read models kept in step with the timeline (statistics): called with (case, event) inside case_event_record, in the
# caller's transaction, after the case's changes are saved. Registered by the owning app's ready().
CASE_EVENT_LISTENERS: list[Callable[[Case, CaseEvent], None]] = []
# Listeners that only bring a read model up to a case's current state (statistics): inside `case_events_coalesced`
# they hear each case once, at the end of the block, with its last event, however many events it had.
_COALESCING: set[Callable[[Case, CaseEvent], None]] = set()
_PENDING = threading.local()


def case_event_listener_add(listener: Callable[[Case, CaseEvent], None], *, coalesce: bool = False) -> None:
    if listener not in CASE_EVENT_LISTENERS:
        CASE_EVENT_LISTENERS.append(listener)
    if coalesce:
        _COALESCING.add(listener)


@contextmanager
def case_events_coalesced() -> Iterator[None]:
    """Within the block, listeners registered with `coalesce=True` hear each case once, when the block ends (in the
    order the cases first had an event, with each case's last event), in the caller's transaction. For actions that
    record several events on many cases at once (a package's fan-out registers and accepts each part): a read model
    refreshed from the case's current state needs it only once. Nested blocks join the outermost; if the block
    raises, nothing is heard (the transaction rolls back anyway)."""
    if getattr(_PENDING, "events", None) is not None:
        yield
        return
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("case_events_coalesced() must run inside a transaction")
    _PENDING.events = {}
    try:
        yield
        pending: dict[tuple[Callable[[Case, CaseEvent], None], int], tuple[Case, CaseEvent]] = _PENDING.events
    finally:
        _PENDING.events = None
    for (listener, _pk), (case, event) in pending.items():
        listener(case, event)


# Who a case serves, by case kind, for apps that act for "the citizen of any case" (ratings) without knowing case
# types: the resolver answers the citizen's account id or None. Registered by the case type's ready(); a kind with
# none is served by whoever created it.
CASE_CITIZEN_RESOLVERS: dict[str, Callable[[Case], int | None]] = {}


def case_citizen_resolver_add(kind: str, resolver: Callable[[Case], int | None]) -> None:
    CASE_CITIZEN_RESOLVERS[kind] = resolver


def case_citizen_id(case: Case) -> int | None:
    """The account of the citizen this case serves (an application's applicant, a work order's own submitter)."""
    resolver = CASE_CITIZEN_RESOLVERS.get(case.kind)
    if resolver is not None:
        return resolver(case)
    return case.created_by_id


# How supervision urges, escalates and lists a case kind beyond work orders and applications (a unit's report, a
# knowledge article's revision), so that supervision never imports the case type: registered by the kind's ready().
@dataclass(frozen=True)
class CaseKindSupervision:
    kind: str
    # Overdue or due-soon cases in these statuses are urged automatically; in `escalate_statuses` escalated.
    urge_statuses: tuple[str, ...]
    escalate_statuses: tuple[str, ...]
    # urge(case, actor, note): record the urge on the case's timeline (action "urge") in the caller's transaction;
    # raises an ApplicationError when the case may not be urged now. Supervisors' manual 催办 goes through it too.
    urge: Callable[[Case, Any, str], None]
    # The kind's name on the supervision pages (lazy-translated: 填报任务); empty: the CaseKind's label.
    label: Any = ""
    # url(case): the case's staff page, where the supervision pages link its number; None: no link.
    url: Callable[[Case], str] | None = None
    # The kind's status names ({status: lazy label}), since Case.status is a bare code shared by every kind.
    status_labels: Mapping[str, Any] = field(default_factory=dict)

    @property
    def unit_owes_statuses(self) -> tuple[str, ...]:
        """The statuses in which the case is the unit's to do: it is listed as overdue and may be urged in them."""
        return tuple(dict.fromkeys((*self.urge_statuses, *self.escalate_statuses)))

    def label_text(self) -> str:
        if self.label:
            return str(self.label)
        return str(CaseKind(self.kind).label) if self.kind in CaseKind.values else self.kind

    def status_text(self, status: str) -> str:
        return str(self.status_labels.get(status, status))


CASE_KIND_SUPERVISION: dict[str, CaseKindSupervision] = {}


def case_kind_supervision_add(
    kind: str,
    *,
    urge_statuses: Iterable[str],
    escalate_statuses: Iterable[str],
    urge: Callable[[Case, Any, str], None],
    label: Any = "",
    url: Callable[[Case], str] | None = None,
    status_labels: Mapping[str, Any] | None = None,
) -> None:
    """Have the supervision sweep urge and escalate cases of `kind`, and the supervision pages list them (with
    `label`, linking to `url(case)`) and urge them by hand (once per kind: ready() may run again)."""
    CASE_KIND_SUPERVISION[str(kind)] = CaseKindSupervision(
        kind=str(kind),
        urge_statuses=tuple(str(s) for s in urge_statuses),
        escalate_statuses=tuple(str(s) for s in escalate_statuses),
        urge=urge,
        label=label,
        url=url,
        status_labels={str(k): v for k, v in (status_labels or {}).items()},
    )


def case_kind_supervisions() -> list[CaseKindSupervision]:
    return list(CASE_KIND_SUPERVISION.values())


def case_kind_supervision_for(kind: str | None) -> CaseKindSupervision | None:
    return CASE_KIND_SUPERVISION.get(str(kind)) if kind else None


def case_urge_owed(
    *,
    model: type[Case],
    case: Case,
    actor: Any,
    note: str,
    owes_statuses: Iterable[str],
    not_found: Callable[[str], Exception],
    not_owed: Callable[[Any], str],
) -> None:
    """催办 a registered kind's case (the `urge` given to `case_kind_supervision_add`): supervisors only; the case is
    locked and gets an "urge" event on its timeline while its unit still owes it (else InvalidTransition with
    `not_owed(case)`), in the caller's transaction."""
    if not actor.has_role(Role.SUPERVISOR):
        raise PermissionDenied(_("Only supervisors may urge."))
    locked = model.objects.select_for_update(of=("self", "case_ptr")).filter(pk=case.pk).first()
    if locked is None:
        raise not_found(case.number)
    if locked.status not in set(owes_statuses):
        raise InvalidTransition(not_owed(locked))
    data = {"due_at": locked.due_at.isoformat()} if locked.due_at is not None else {}
    case_event_record(
        case=locked,
        action="urge",
        actor=actor,
        from_status=locked.status,
        to_status=locked.status,
        note=note,
        data=data,
    )


def case_event_record(
    *,
    case: Case,
    action: str,
    actor: Any,
    from_status: str = "",
    to_status: str = "",
    note: str = "",
    is_public: bool = False,
    data: dict[str, Any] | None = None,
    actor_unit: Unit | None = None,
    ip_address: str | None = None,
) -> CaseEvent:
    """Append to the case's timeline and to the audit trail, in the caller's transaction."""
    user = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    event = CaseEvent.objects.create(
        case=case,
        occurred_at=clock.now(),
        actor=user,
        actor_unit=actor_unit if actor_unit is not None else getattr(user, "unit", None),
        action=action,
        from_status=from_status,
        to_status=to_status,
        note=note,
        is_public=is_public,
        data=data or {},
    )
    audit_append(
        action=f"{case.kind}.{action}",
        actor=user,
        object_type=case.kind,
        object_id=case.number,
        from_state=from_status,
        to_state=to_status,
        note=note[:500],
        ip_address=ip_address,
    )
    pending = getattr(_PENDING, "events", None)
    for listener in CASE_EVENT_LISTENERS:
        if pending is not None and listener in _COALESCING:
            key = (listener, case.pk)
            pending.pop(key, None)  # re-inserted: a case is heard after every case whose last event came before
            pending[key] = (case, event)
        else:
            listener(case, event)
    return event


def case_units_assign(*, case: Case, primary: Unit, co_units: Sequence[Unit] = ()) -> None:
    """Make `primary` (主办) and `co_units` (协办) the case's responsible units, ending earlier assignments."""
    now = clock.now()
    CaseUnit.objects.filter(case=case, is_active=True).update(is_active=False)
    CaseUnit.objects.create(case=case, unit=primary, role=AssignmentRole.PRIMARY, assigned_at=now)
    CaseUnit.objects.bulk_create(
        CaseUnit(case=case, unit=unit, role=AssignmentRole.CO, assigned_at=now)
        for unit in dict.fromkeys(co_units)
        if unit.pk != primary.pk
    )
    case.primary_unit = primary


def case_attachments_add(*, case: Case, files: Iterable[CheckedFile], actor: Any) -> list[Attachment]:
    saved = []
    now = clock.now()
    user = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    for checked in files:
        digest = hashlib.sha256(checked.data).hexdigest()
        attachment = Attachment(
            case=case,
            original_name=checked.name,
            content_type=checked.content_type,
            size=len(checked.data),
            sha256=digest,
            uploaded_by=user,
            uploaded_at=now,
        )
        attachment.file.save(digest, ContentFile(checked.data), save=False)
        attachment.save()
        saved.append(attachment)
    return saved


def case_deadlines_sweep(*, now: datetime | None = None) -> dict[str, int]:
    """Refresh the overdue / due-soon flags of every open case. Idempotent; run by the periodic job.

    Due soon means less than one working day of working time is left (DOMAIN.md §2).
    """
    now = now or clock.now()
    soon_limit = due_soon_limit(now)
    open_cases = Case.objects.filter(is_open=True)
    with transaction.atomic():
        counts = {
            "overdue_set": open_cases.filter(is_overdue=False, due_at__lt=now).update(is_overdue=True),
            "overdue_cleared": open_cases.filter(Q(due_at__gte=now) | Q(due_at__isnull=True), is_overdue=True).update(
                is_overdue=False
            ),
            # No open case with a future deadline is flagged overdue any more (cleared just above): saying so lets
            # the database read the open, not overdue cases' deadline index.
            "due_soon_set": open_cases.filter(
                is_overdue=False, due_at__gte=now, due_at__lt=soon_limit, is_due_soon=False
            ).update(is_due_soon=True),
            "due_soon_cleared": open_cases.filter(
                Q(due_at__lt=now) | Q(due_at__gte=soon_limit) | Q(due_at__isnull=True), is_due_soon=True
            ).update(is_due_soon=False),
            "sign_overdue_set": open_cases.filter(
                signed_at__isnull=True, sign_due_at__lt=now, is_sign_overdue=False
            ).update(is_sign_overdue=True),
            "sign_overdue_cleared": open_cases.filter(
                Q(signed_at__isnull=False) | Q(sign_due_at__gte=now) | Q(sign_due_at__isnull=True), is_sign_overdue=True
            ).update(is_sign_overdue=False),
        }
        # A closed case keeps no flag (the condition of the partial index case_closed_flagged, word for word).
        Case.objects.filter(
            Q(is_open=False) & (Q(is_due_soon=True) | Q(is_sign_overdue=True) | Q(is_overdue=True))
        ).update(is_due_soon=False, is_sign_overdue=False, is_overdue=False)
    return counts


def _working_days_after(start: datetime, end: datetime) -> int:
    """Working days after the day of `start` up to and including the day of `end` (the start day is not counted,
    as in deadline_add_working_days): a clock stopped and restarted on the same day loses no day."""
    cal = calendar_get()
    first, last = start.astimezone(cal.tz).date(), end.astimezone(cal.tz).date()
    count, day = 0, first
    while day < last:
        day += timedelta(days=1)
        count += cal.is_workday(day)
    return count


def case_suspension_start(*, case: Case, kind: str, reason: str, actor: Any) -> CaseSuspension:
    """Stop the case's clock (听证, 检测, 专家评审 …): the deadline is set aside until `case_suspension_end`.
    The caller holds the case's row lock and saves `due_at`."""
    suspension = CaseSuspension.objects.create(
        case=case, kind=kind, reason=reason, started_at=clock.now(), started_by=actor, previous_due_at=case.due_at
    )
    case.due_at = None
    return suspension


def case_suspension_end(*, case: Case, actor: Any) -> CaseSuspension:
    """Restart the clock: the deadline moves by the working days the suspension lasted. The caller saves `due_at`."""
    suspension = CaseSuspension.objects.select_for_update().get(case=case, ended_at__isnull=True)
    now = clock.now()
    suspension.ended_at, suspension.ended_by = now, actor
    suspension.working_days = _working_days_after(suspension.started_at, now)
    if suspension.previous_due_at is not None:
        moved = deadline_add_working_days(suspension.previous_due_at, suspension.working_days, calendar_get())
        suspension.new_due_at = moved.due_at
    case.due_at = suspension.new_due_at
    suspension.save(update_fields=["ended_at", "ended_by", "working_days", "new_due_at"])
    return suspension
