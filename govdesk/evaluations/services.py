"""Every write of 好差评: rating a finished case (any case type), and the rectification (整改) of a bad rating.

Each service runs in one transaction that locks the case row, checks the actor (403), the input (400), the case's
state (409), writes, and records the timeline and audit events through `case_event_record`. A rejected request
writes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from govdesk.calendar.core import deadline_add_working_days
from govdesk.calendar.selectors import calendar_get
from govdesk.cases.models import Case, CaseEvent, CaseKind
from govdesk.cases.services import case_citizen_id, case_event_record, case_units_assign
from govdesk.common import clock
from govdesk.common.errors import InvalidTransition, NotFound, PermissionDenied, ValidationFailed
from govdesk.common.inputs import text_input
from govdesk.common.services import counter_next
from govdesk.org.models import Role, Unit, UnitKind

from .models import (
    BAD_LEVEL_MAX,
    COMMENT_MAX_LENGTH,
    Evaluation,
    EvaluationChannel,
    Level,
    Rectification,
    Verification,
)
from .permissions import can_record_on_pad, is_citizen_of, rectification_check_actor
from .states import (
    OPEN_STATUSES,
    RectificationAction,
    RectificationStatus,
    RectificationTransition,
    transition_for,
)

TEXT_MAX_LENGTH = 2000
LINK_SALT = "govdesk.evaluations.rating-link"
LINK_MAX_AGE = timedelta(days=30)
DEFAULT_LIMIT_WORKING_DAYS = 5
NUMBER_PREFIX = "ZG"  # 整改; keeps rectification numbers apart from the other case types' date-and-sequence numbers
# Terminal statuses that end a case without serving the citizen: nothing to rate. A case type that ends this way
# under another name adds it here (by name: this app imports no case type).
NOT_RATEABLE_STATUSES = frozenset({"cancelled", "merged"})
# A duplicate closed together with its master is rated through the master.
NOT_RATEABLE_CLOSING_ACTIONS = frozenset({"close-with-master"})

# Timeline actions (CaseEvent.action) this app writes.
EVENT_EVALUATE = "evaluate"
EVENT_RECTIFICATION_OPEN = "rectification-open"
EVENT_RECTIFICATION_ANSWER = "rectification-answer"
EVENT_OPEN = "open"


# --- input -----------------------------------------------------------------------------------------------------------


def _text(value: Any, field_name: str, *, required: bool, max_length: int = TEXT_MAX_LENGTH) -> str:
    return text_input(value, field_name, required=required, max_length=max_length)


def _level(value: Any) -> int:
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or value not in Level.values:
        message = _("Choose a level from 1 (very dissatisfied) to 5 (very satisfied).")
        raise ValidationFailed(message, fields={"level": [message]})
    return value


def _flag(value: Any, field_name: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "1", "yes"):
        return True
    if isinstance(value, str) and value.strip().lower() in ("false", "0", "no"):
        return False
    message = _("Must be true or false.")
    raise ValidationFailed(message, fields={field_name: [message]})


def rectification_limit_days() -> int:
    """The rectification limit in working days (setting GOVDESK["RECTIFICATION_LIMIT_WORKING_DAYS"], default 5)."""
    value = settings.GOVDESK.get("RECTIFICATION_LIMIT_WORKING_DAYS", DEFAULT_LIMIT_WORKING_DAYS)
    try:
        days = int(str(value))
    except (TypeError, ValueError):
        days = DEFAULT_LIMIT_WORKING_DAYS
    return days if days >= 1 else DEFAULT_LIMIT_WORKING_DAYS


# --- the rating link -------------------------------------------------------------------------------------------------


def evaluation_link_token(case: Case) -> str:
    """A signed token naming the case: whoever holds it may rate that case (and its rectification) for 30 days."""
    return signing.dumps({"case": case.number}, salt=LINK_SALT)


def evaluation_link_make(case: Case) -> str:
    """The rating link's path (`/rate/<token>/`), to send to the citizen (text message, notice, QR code)."""
    return reverse("evaluations:link", args=[evaluation_link_token(case)])


def evaluation_link_case_number(token: str) -> str:
    """The case number a rating link names; 400 if the link was altered or has expired."""
    try:
        payload = signing.loads(token, salt=LINK_SALT, max_age=LINK_MAX_AGE)
    except signing.SignatureExpired:
        raise ValidationFailed(_("This rating link has expired."), code="link_expired") from None
    except signing.BadSignature:
        raise ValidationFailed(_("This rating link is not valid."), code="link_invalid") from None
    number = payload.get("case") if isinstance(payload, dict) else None
    if not isinstance(number, str) or not number:
        raise ValidationFailed(_("This rating link is not valid."), code="link_invalid")
    return number


# --- rating ----------------------------------------------------------------------------------------------------------


def case_is_finished(case: Case) -> bool:
    """Whether a case of any type has ended in a way the citizen can rate: closed (not open, with a closing time),
    not cancelled or merged, and not closed together with a master case."""
    if case.is_open or case.closed_at is None or case.status in NOT_RATEABLE_STATUSES:
        return False
    closing = (
        CaseEvent.objects.filter(case_id=case.pk, to_status=case.status)
        .exclude(from_status=case.status)
        .order_by("-occurred_at", "-pk")
        .values_list("action", flat=True)
        .first()
    )
    return closing not in NOT_RATEABLE_CLOSING_ACTIONS


def _case_number(case: Case | str) -> str:
    return case if isinstance(case, str) else case.number


def _not_found(number: str) -> NotFound:
    return NotFound(_("No case with number %(n)s.") % {"n": number})


def _check_rater(case: Case, channel: str, actor: Any, link_number: str | None) -> None:
    """403/404 unless this caller may rate this case through this channel."""
    if channel in (EvaluationChannel.WEB, EvaluationChannel.API):
        if not is_citizen_of(actor, case):
            # A citizen learns nothing about others' case numbers (sequential, so they would tell volumes).
            raise _not_found(case.number)
        return
    if channel == EvaluationChannel.PAD:
        return  # the role was checked before the lookup
    assert channel == EvaluationChannel.LINK
    if link_number == case.number:
        return
    if case.kind == CaseKind.RECTIFICATION:
        rated = Rectification.objects.filter(pk=case.pk).values_list("evaluation__case__number", flat=True).first()
        if rated == link_number:
            return
    raise PermissionDenied(_("This rating link is for another case."))


def _rectification_rate_row(case: Case) -> RectificationTransition:
    row = transition_for(case.status, RectificationAction.RATE)
    if row is None:
        raise InvalidTransition(_("The rectification can be rated once the unit has answered."))
    if (
        "was_answered" in row.guards
        and not Rectification.objects.filter(pk=case.pk, answered_at__isnull=False).exists()
    ):
        raise InvalidTransition(_("This rectification was closed without an answer; there is nothing to rate."))
    return row


@transaction.atomic
def evaluation_create(
    *,
    case: Case | str,
    level: Any,
    comment: Any = "",
    channel: str,
    actor: Any = None,
    link_token: str | None = None,
    ip_address: str | None = None,
) -> Evaluation:
    """好差评: rate a finished case (1–5) with an optional comment, once per channel.

    Channels: `web` and `api` by the citizen whose case it is, `link` by whoever holds the case's signed rating link,
    `pad` by a window clerk or operator recording the citizen's rating at the counter or on the phone. A rating of 1
    or 2 opens a rectification for the case's responsible unit (not for a rectification's own rating).
    """
    if channel == EvaluationChannel.SMS:
        message = _("Rating by text message is not available yet.")
        raise ValidationFailed(message, fields={"channel": [message]})
    if channel not in EvaluationChannel.values:
        message = _("Unknown channel.")
        raise ValidationFailed(message, fields={"channel": [message]})
    link_number: str | None = None
    if channel in (EvaluationChannel.WEB, EvaluationChannel.API):
        if not getattr(actor, "is_authenticated", False) or not actor.has_role(Role.CITIZEN):
            raise PermissionDenied(_("Only the citizen whose case it is rates it here."))
    elif channel == EvaluationChannel.PAD:
        if not can_record_on_pad(actor):
            raise PermissionDenied(_("Only window clerks and operators record ratings on the counter pad."))
    else:
        link_number = evaluation_link_case_number(link_token or "")
    level = _level(level)
    comment = _text(comment, "comment", required=False, max_length=COMMENT_MAX_LENGTH)
    number = _case_number(case)
    locked = Case.objects.select_for_update(of=("self",)).filter(number=number).select_related("primary_unit").first()
    # A unit's report (填报) to the district office and a knowledge article's revision are internal work, not a
    # service anyone rates.
    if locked is None or locked.kind in (CaseKind.REPORT, CaseKind.KNOWLEDGE):
        raise _not_found(number)
    _check_rater(locked, channel, actor, link_number)
    rate_row: RectificationTransition | None = None
    if locked.kind == CaseKind.RECTIFICATION:
        rate_row = _rectification_rate_row(locked)
    elif not case_is_finished(locked):
        raise InvalidTransition(_("This case is not finished yet; it can be rated once it is closed."))
    if Evaluation.objects.filter(case=locked, channel=channel).exists():
        raise InvalidTransition(
            _("This case has already been rated through this channel (%(channel)s).")
            % {"channel": EvaluationChannel(channel).label}
        )
    now = clock.now()
    opens_rectification = level <= BAD_LEVEL_MAX and locked.kind != CaseKind.RECTIFICATION
    user = actor if getattr(actor, "is_authenticated", False) else None
    try:
        with transaction.atomic():
            evaluation = Evaluation.objects.create(
                case=locked,
                level=level,
                comment=comment,
                channel=channel,
                rated_by=user,
                unit=locked.primary_unit,
                created_at=now,
                verification=Verification.PENDING if opens_rectification else Verification.NONE,
            )
    except IntegrityError:
        # Another request rated the same case through the same channel a moment ago.
        raise InvalidTransition(_("This case has already been rated through this channel.")) from None
    from_status = locked.status
    if rate_row is not None and from_status != RectificationStatus.CLOSED:
        _status_write(locked, RectificationStatus.CLOSED, now)
    note = _("Rated “%(level)s” (%(channel)s).") % {
        "level": Level(level).label,
        "channel": EvaluationChannel(channel).label,
    }
    # The comment stays on the rating only: a public timeline note is published (the tracking page, Open311's
    # status notes), and a citizen's comment may name people.
    data: dict[str, Any] = {"evaluation": evaluation.pk, "level": level, "channel": channel}
    rectification = _rectification_open(evaluation, locked, user, now) if opens_rectification else None
    if rectification is not None:
        data["rectification"] = rectification.number
    case_event_record(
        case=locked,
        action=EVENT_EVALUATE,
        actor=user,
        from_status=from_status,
        to_status=locked.status,
        note=note,
        is_public=True,
        data=data,
        ip_address=ip_address,
    )
    return evaluation


def _fallback_unit() -> Unit | None:
    """A case closed without a unit (answered by the hotline centre directly): the centre rectifies."""
    return Unit.objects.filter(kind=UnitKind.HOTLINE_CENTRE, is_active=True).order_by("pk").first()


def _rectification_open(evaluation: Evaluation, rated: Case, actor: Any, now: Any) -> Rectification:
    day = timezone.localtime(now).strftime("%Y%m%d")
    number = f"{NUMBER_PREFIX}{day}{counter_next(key=f'rectification:{day}'):06d}"
    limit = rectification_limit_days()
    # The limit runs from the rating (not from the verification): the citizen waits from the moment they complained.
    due_at = deadline_add_working_days(evaluation.created_at, limit, calendar_get()).due_at
    unit = evaluation.unit or _fallback_unit()
    title = _("Rectification of %(number)s: %(title)s") % {"number": rated.number, "title": rated.title}
    rectification = Rectification(
        kind=CaseKind.RECTIFICATION,
        number=number,
        status=RectificationStatus.VERIFYING,
        title=title[:200],
        primary_unit=unit,
        # The citizen whose case was rated owns its rectification too (sees it, may rate it on the web).
        created_by_id=case_citizen_id(rated),
        created_at=now,
        updated_at=now,
        dispatched_at=now,
        due_at=due_at,
        is_open=True,
        evaluation=evaluation,
        limit_days=limit,
    )
    rectification.save(force_insert=True)
    if unit is not None:
        case_units_assign(case=rectification, primary=unit)
    level_label = Level(evaluation.level).label
    case_event_record(
        case=rectification,
        action=EVENT_OPEN,
        actor=actor,
        to_status=RectificationStatus.VERIFYING,
        note=_("Bad rating “%(level)s” of %(number)s; rectify by %(due)s.")
        % {"level": level_label, "number": rated.number, "due": timezone.localtime(due_at).strftime("%Y-%m-%d %H:%M")},
        is_public=True,
        data={"evaluation": evaluation.pk, "rated_case": rated.number, "limit_days": limit},
    )
    return rectification


# --- rectification actions -------------------------------------------------------------------------------------------


def _locked_rectification(number: str) -> Rectification:
    rectification = (
        Rectification.objects.select_for_update(of=("self", "case_ptr"))
        .select_related("evaluation", "evaluation__case")
        .filter(number=number)
        .first()
    )
    if rectification is None:
        raise NotFound(_("No rectification with number %(n)s.") % {"n": number})
    return rectification


def rectification_check(user: Any, number: str, action: RectificationAction) -> Rectification:
    """404 if there is no such rectification, 403 unless the user may take `action` on it: what the API and the pages
    check before reading the action's input. The service checks again, with the row locked."""
    rectification = Rectification.objects.filter(number=number).first()
    if rectification is None:
        raise NotFound(_("No rectification with number %(n)s.") % {"n": number})
    rectification_check_actor(user, rectification, action)
    return rectification


def _begin(number: str, actor: Any, action: RectificationAction) -> Rectification:
    """Lock the rectification and check that it exists (404) and the actor (403); the caller then reads its input
    (400) and calls _row (409)."""
    rectification = _locked_rectification(number)
    rectification_check_actor(actor, rectification, action)
    return rectification


def _row(rectification: Rectification, action: RectificationAction) -> RectificationTransition:
    row = transition_for(rectification.status, action)
    if row is None:
        raise InvalidTransition(
            _("“%(action)s” is not possible while the rectification is “%(status)s”.")
            % {"action": action.value, "status": rectification.get_status_display()}
        )
    if "not_appealed_before" in row.guards and rectification.appealed_at is not None:
        raise InvalidTransition(_("The unit has already appealed this rating once."))
    return row


def _status_write(case: Case, target: RectificationStatus, now: Any, fields: tuple[str, ...] = ()) -> None:
    case.status = target
    case.is_open = target in OPEN_STATUSES
    case.updated_at = now
    changed = {"status", "is_open", "updated_at", *fields}
    if not case.is_open:
        # Finished when it stops being open (answered or closed); a later closing keeps the first moment.
        if case.closed_at is None:
            case.closed_at = now
            changed.add("closed_at")
        case.is_due_soon = case.is_sign_overdue = case.is_overdue = False
        changed |= {"is_due_soon", "is_sign_overdue", "is_overdue"}
    case.save(update_fields=sorted(changed))


def _move(
    rectification: Rectification,
    row: RectificationTransition,
    target: RectificationStatus,
    *,
    actor: Any,
    note: str = "",
    is_public: bool = False,
    data: dict[str, Any] | None = None,
    fields: tuple[str, ...] = (),
) -> Rectification:
    assert target in row.targets, f"{row.action} from {row.source} cannot lead to {target}"
    from_status = rectification.status
    _status_write(rectification, target, clock.now(), fields)
    case_event_record(
        case=rectification,
        action=row.action.value,
        actor=actor,
        from_status=from_status,
        to_status=target,
        note=note,
        is_public=is_public,
        data=data,
    )
    return rectification


def _evaluation_mark(evaluation: Evaluation, verification: Verification) -> None:
    evaluation.verification = verification
    evaluation.save(update_fields=["verification"])


@transaction.atomic
def rectification_verify(*, number: str, actor: Any, justified: Any, note: Any = "") -> Rectification:
    """核实: the supervisor decides whether the bad rating is justified (the unit rectifies) or not (closed, and the
    rating leaves the rates). An unjustified verdict needs a note saying why."""
    rectification = _begin(number, actor, RectificationAction.VERIFY)
    justified = _flag(justified, "justified")
    note = _text(note, "note", required=not justified)
    row = _row(rectification, RectificationAction.VERIFY)
    now = clock.now()
    rectification.justified, rectification.verified_by, rectification.verified_at = justified, actor, now
    rectification.verification_note = note
    _evaluation_mark(rectification.evaluation, Verification.JUSTIFIED if justified else Verification.UNJUSTIFIED)
    target = RectificationStatus.RECTIFYING if justified else RectificationStatus.CLOSED
    return _move(
        rectification,
        row,
        target,
        actor=actor,
        note=note,
        is_public=True,
        data={"justified": justified},
        fields=("justified", "verified_by", "verified_at", "verification_note"),
    )


@transaction.atomic
def rectification_answer(*, number: str, actor: Any, answer: Any) -> Rectification:
    """整改答复: the unit says what it has done. The citizen is told on the rated case's public timeline."""
    rectification = _begin(number, actor, RectificationAction.ANSWER)
    answer = _text(answer, "answer", required=True)
    row = _row(rectification, RectificationAction.ANSWER)
    now = clock.now()
    rectification.answer, rectification.answered_by, rectification.answered_at = answer, actor, now
    late = rectification.due_at is not None and now > rectification.due_at
    _move(
        rectification,
        row,
        RectificationStatus.ANSWERED,
        actor=actor,
        note=answer,
        is_public=True,
        data={"late": late},
        fields=("answer", "answered_by", "answered_at"),
    )
    rated = rectification.evaluation.case
    case_event_record(
        case=rated,
        action=EVENT_RECTIFICATION_ANSWER,
        actor=actor,
        from_status=rated.status,
        to_status=rated.status,
        note=answer,
        is_public=True,
        data={"rectification": rectification.number, "late": late},
    )
    return rectification


@transaction.atomic
def rectification_appeal(*, number: str, actor: Any, reason: Any) -> Rectification:
    """申诉: the unit says the rating is unjustified (once, while it is verified or rectified)."""
    rectification = _begin(number, actor, RectificationAction.APPEAL)
    reason = _text(reason, "reason", required=True)
    row = _row(rectification, RectificationAction.APPEAL)
    rectification.appeal_reason, rectification.appealed_by, rectification.appealed_at = reason, actor, clock.now()
    rectification.appeal_from_status = rectification.status
    return _move(
        rectification,
        row,
        RectificationStatus.APPEALED,
        actor=actor,
        note=reason,
        data={"from": rectification.appeal_from_status},
        fields=("appeal_reason", "appealed_by", "appealed_at", "appeal_from_status"),
    )


@transaction.atomic
def rectification_decide_appeal(*, number: str, actor: Any, upheld: Any, note: Any = "") -> Rectification:
    """申诉复核: upheld → the rating is unjustified and the rectification closes; rejected → back where it was."""
    rectification = _begin(number, actor, RectificationAction.DECIDE_APPEAL)
    upheld = _flag(upheld, "upheld")
    note = _text(note, "note", required=False)
    row = _row(rectification, RectificationAction.DECIDE_APPEAL)
    rectification.appeal_upheld, rectification.appeal_decided_by = upheld, actor
    rectification.appeal_decided_at, rectification.appeal_note = clock.now(), note
    fields: tuple[str, ...] = ("appeal_upheld", "appeal_decided_by", "appeal_decided_at", "appeal_note")
    if upheld:
        target = RectificationStatus.CLOSED
        rectification.justified = False
        fields = (*fields, "justified")
        _evaluation_mark(rectification.evaluation, Verification.UNJUSTIFIED)
    else:
        target = RectificationStatus(rectification.appeal_from_status or RectificationStatus.VERIFYING)
    return _move(
        rectification,
        row,
        target,
        actor=actor,
        note=note,
        is_public=upheld,
        data={"upheld": upheld},
        fields=fields,
    )


@transaction.atomic
def rectification_close(*, number: str, actor: Any, note: Any = "") -> Rectification:
    """结案: the supervisor closes an answered rectification the citizen has not rated."""
    rectification = _begin(number, actor, RectificationAction.CLOSE)
    note = _text(note, "note", required=False)
    row = _row(rectification, RectificationAction.CLOSE)
    return _move(rectification, row, RectificationStatus.CLOSED, actor=actor, note=note)


ACTION_SERVICES: dict[RectificationAction, Callable[..., Rectification]] = {
    RectificationAction.VERIFY: rectification_verify,
    RectificationAction.ANSWER: rectification_answer,
    RectificationAction.APPEAL: rectification_appeal,
    RectificationAction.DECIDE_APPEAL: rectification_decide_appeal,
    RectificationAction.CLOSE: rectification_close,
}
