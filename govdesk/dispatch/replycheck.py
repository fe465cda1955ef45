"""The reply check in the workflow: score a unit's reply when it is submitted, store it, show it, flag weak ones.

- `reply_check_record(order_pk)` runs in the task worker (`dispatch.tasks.reply_check_task`, queued after commit
  when `subscribers.py` hears an order's "reply" event) and stores a ReplyAssessment. It never raises (except the
  transient database errors the task re-raises for a retry): a failure is logged and the platform carries on without
  an assessment.
- `reply_check_score(...)` scores a draft without storing it (the API's `/replies/check/`).
- Selectors: the latest assessment of an order, the weak replies of orders still waiting for their return visit.
- `reply_check_mark_reviewed(...)`: a supervisor has looked at a weak reply (audited).

The relevance model is a small artifact shipped in `data/` (built by `manage.py replycheck_build` from the real
replies there). If it is missing or damaged the check logs an error and falls back to equal word weights, so
completeness is still checked and relevance is cruder.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from govdesk.audit.services import audit_append
from govdesk.cases.models import CaseKind
from govdesk.common import clock
from govdesk.common.errors import InvalidTransition, NotFound, PermissionDenied, ValidationFailed
from govdesk.common.validators import clean_text, has_control_characters
from govdesk.org.models import CENTRE_ROLES, UNIT_ROLES, Role
from govdesk.workorders import selectors as workorder_selectors
from govdesk.workorders.models import WorkOrder
from govdesk.workorders.permissions import actor_unit_ids
from govdesk.workorders.states import Status

from .core import replycheck as core
from .models import DispatchSettings, ReplyAssessment

logger = logging.getLogger(__name__)

DATA_DIR = Path(__file__).resolve().parent / "data"
DATA_CSV = DATA_DIR / "messages_replies.csv.gz"
MODEL_PATH = DATA_DIR / "replycheck_model.json.gz"

CENTRE_ROLE_CODES = tuple(r.value for r in CENTRE_ROLES)
UNIT_ROLE_CODES = tuple(r.value for r in UNIT_ROLES)
# Who may score a draft: those who write replies and the centre staff who read them.
CHECK_ROLES = (Role.HANDLER, Role.UNIT_ADMIN, *CENTRE_ROLE_CODES)
WEAK_LIST_ROLES = (Role.SUPERVISOR, Role.DISPATCHER, Role.OPERATOR)
REVIEW_ROLES = (Role.SUPERVISOR,)
REQUEST_MAX_LENGTH = 8000

# One sentence per reason code (core.REASONS), English msgids; the zh_Hans catalogue holds the Chinese.
REASON_MESSAGES: dict[str, Any] = {
    "empty": gettext_lazy("The reply is empty."),
    "no_chinese": gettext_lazy("The reply contains no Chinese text."),
    "too_short": gettext_lazy("The reply is too short to tell the citizen what happened."),
    "low_relevance": gettext_lazy("The reply does not address the citizen's request."),
    "partial_relevance": gettext_lazy("The reply only partly refers to what the citizen raised."),
    "missing_verified": gettext_lazy("It does not say what was verified."),
    "missing_action": gettext_lazy("It does not say what was done."),
    "missing_result": gettext_lazy("It does not state the result."),
    "missing_contact": gettext_lazy("It leaves no contact."),
    "below_threshold": gettext_lazy("Its score %(score)s is below the threshold %(threshold)s."),
}
ELEMENT_LABELS: dict[str, Any] = {
    "verified": gettext_lazy("What was verified"),
    "action": gettext_lazy("What was done"),
    "result": gettext_lazy("The result"),
    "contact": gettext_lazy("A contact"),
}


# --- the model ------------------------------------------------------------------------------------------------------

_model_lock = threading.Lock()
_model: core.RelevanceModel | None = None


def reply_check_model() -> core.RelevanceModel:
    """The shipped relevance model, loaded once per process; the fallback (logged) when it cannot be read."""
    global _model
    if _model is not None:
        return _model
    with _model_lock:
        if _model is None:
            path = Path(getattr(settings, "GOVDESK", {}).get("REPLYCHECK_MODEL_PATH", MODEL_PATH))
            try:
                _model = core.model_load(path)
            except (OSError, ValueError, KeyError, TypeError) as exc:
                logger.error("reply check: cannot load %s (%s); using equal word weights", path.name, exc)
                _model = core.untrained_model()
        return _model


def reply_check_model_forget() -> None:
    """Reload the artifact on next use (after `replycheck_build`, or in tests)."""
    global _model
    with _model_lock:
        _model = None


# --- scoring --------------------------------------------------------------------------------------------------------


def reply_check_threshold() -> float:
    return float(DispatchSettings.current().weak_reply_threshold)


def explanation_sentences(result: core.ReplyScore) -> list[str]:
    """The reasons as sentences in the active language, a verdict first."""
    if result.is_weak:
        sentences = [_("Weak reply: have it reviewed before the return visit.")]
    elif result.reasons:
        sentences = [_("The reply is acceptable, but could be more complete.")]
    else:
        sentences = [_("The reply states what was verified, what was done, the result and a contact.")]
    params = {"score": f"{result.score:.2f}", "threshold": f"{result.threshold:.2f}"}
    for code in result.reasons:
        message = REASON_MESSAGES.get(code)
        if message is not None:
            sentences.append(str(message) % params if "%(" in str(message) else str(message))
    return sentences


def _clean_input(field: str, value: Any, max_length: int, *, required: bool) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValidationFailed(_("Must be text."), fields={field: [_("Must be text.")]})
    value = clean_text(value)
    if required and not value:
        message = _("This field is required.")
        raise ValidationFailed(message, fields={field: [message]})
    if len(value) > max_length:
        message = _("At most %(n)d characters (now %(len)d).") % {"n": max_length, "len": len(value)}
        raise ValidationFailed(message, fields={field: [message]})
    if has_control_characters(value, allow_newlines=True):
        message = _("This text contains invisible control characters; please remove them.")
        raise ValidationFailed(message, fields={field: [message]})
    return value


def reply_check_score(
    *, actor: Any, request: Any, reply: Any, consultation: bool = False
) -> tuple[core.ReplyScore, list[str]]:
    """Score a draft reply against the request text without storing anything (for handlers, before they submit).

    Empty, over-long (> 4,000 characters, the reply's own limit) or control-character text is a 400; other odd text
    (emoji only, no Chinese) is scored, and scores low.
    """
    if not getattr(actor, "is_authenticated", False) or not actor.has_role(*CHECK_ROLES):
        raise PermissionDenied(_("Your role may not use the reply check."))
    request_text = _clean_input("request", request, REQUEST_MAX_LENGTH, required=False)
    reply_text = _clean_input("reply", reply, core.MAX_LENGTH, required=True)
    result = core.reply_score(
        reply_check_model(),
        request=request_text,
        reply=reply_text,
        threshold=reply_check_threshold(),
        consultation=consultation,
    )
    return result, explanation_sentences(result)


def _is_consultation(order: WorkOrder) -> bool:
    return getattr(order.request_type, "code", "") == "consultation"


def reply_check_record(order_pk: int, *, reraise: tuple[type[BaseException], ...] = ()) -> ReplyAssessment | None:
    """Score the order's current reply and store the assessment; the same reply text is not scored twice.

    Runs after the reply is committed (in the task worker). Idempotent: the check for an existing assessment of the
    same text is repeated under the order's row lock, so a retried or duplicated task stores one assessment. Never
    raises, except the exception types in `reraise`: any other failure is logged and yields None.
    """
    try:
        order = WorkOrder.objects.select_related("request_type").filter(pk=order_pk).first()
        if order is None or not order.reply:
            return None
        digest = hashlib.sha256(order.reply.encode()).hexdigest()
        latest = reply_assessment_latest(order)
        if latest is not None and latest.reply_text_sha256 == digest:
            return latest
        result = core.reply_score(
            reply_check_model(),
            request=core.request_text(order.title, order.content, order.address),
            reply=order.reply,
            threshold=reply_check_threshold(),
            consultation=_is_consultation(order),
        )
        # Stored in the platform's working language (zh-hans), whatever the language of the request that replied.
        with translation.override(settings.LANGUAGE_CODE):
            explanation = explanation_sentences(result)
        elements: dict[str, Any] = dict(result.elements)
        elements["evidence"] = result.evidence
        elements["reasons"] = result.reasons
        elements["model_version"] = reply_check_model().version
        with transaction.atomic():
            current = WorkOrder.objects.select_for_update().filter(pk=order_pk).values_list("reply", flat=True).first()
            if current is None or hashlib.sha256(current.encode()).hexdigest() != digest:
                return None  # vanished, or replied again meanwhile: that reply has its own task
            latest = reply_assessment_latest(order)
            if latest is not None and latest.reply_text_sha256 == digest:
                return latest
            return ReplyAssessment.objects.create(
                case_id=order.pk,
                created_at=clock.now(),
                reply_text_sha256=digest,
                score=result.score,
                relevance=result.relevance,
                completeness=result.completeness,
                elements=elements,
                explanation=explanation,
                is_weak=result.is_weak,
            )
    except reraise:
        raise
    except Exception:
        logger.exception("reply check failed for order pk=%s; the reply stands without an assessment", order_pk)
        return None


# --- selectors ------------------------------------------------------------------------------------------------------


def reply_assessment_latest(order: WorkOrder) -> ReplyAssessment | None:
    return ReplyAssessment.objects.filter(case_id=order.pk).order_by("-created_at", "-pk").first()


def reply_check_visible(user: Any, order: WorkOrder) -> bool:
    """Centre staff (operator, dispatcher, supervisor) and the replying (primary) unit see the assessment."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.has_role(*CENTRE_ROLE_CODES):
        return True
    return bool(user.has_role(*UNIT_ROLE_CODES) and order.primary_unit_id in actor_unit_ids(user))


def reply_check_for_display(user: Any, order: WorkOrder) -> ReplyAssessment | None:
    """The assessment of the order's current reply, if this user may see it."""
    if not order.reply or not reply_check_visible(user, order):
        return None
    return reply_assessment_latest(order)


def _latest_ids() -> Subquery:
    return Subquery(
        ReplyAssessment.objects.filter(case_id=OuterRef("case_id")).order_by("-created_at", "-pk").values("pk")[:1]
    )


def reply_assessments_for_orders(user: Any, orders: list[WorkOrder]) -> dict[int, ReplyAssessment]:
    """The latest assessment per order (one query), for the orders whose assessment this user may see."""
    shown = [o.pk for o in orders if o.reply and reply_check_visible(user, o)]
    if not shown:
        return {}
    rows = ReplyAssessment.objects.filter(case_id__in=shown).filter(pk=_latest_ids())
    return {a.case_id: a for a in rows}


def reply_assessments_weak(*, user: Any, include_reviewed: bool = False) -> QuerySet[ReplyAssessment]:
    """Weak replies of orders still waiting for their return visit (status replied), oldest reply first.

    Only each order's latest assessment counts (a reply redone after 重办 replaces the earlier one).
    """
    if not getattr(user, "is_authenticated", False) or not user.has_role(*WEAK_LIST_ROLES):
        return ReplyAssessment.objects.none()
    waiting = workorder_selectors.workorder_list(user=user).filter(status=Status.REPLIED).values("pk")
    qs = (
        ReplyAssessment.objects.filter(is_weak=True, case_id__in=waiting)
        .filter(pk=_latest_ids())
        .select_related("case", "case__primary_unit", "reviewed_by")
    )
    if not include_reviewed:
        qs = qs.filter(reviewed_at__isnull=True)
    return qs.order_by("created_at", "pk")


# --- services -------------------------------------------------------------------------------------------------------


@transaction.atomic
def reply_check_mark_reviewed(
    *, assessment_id: int, actor: Any, note: str = "", ip_address: str | None = None
) -> ReplyAssessment:
    """A supervisor has reviewed a flagged reply (before the return visit): who and when, audited."""
    if not getattr(actor, "is_authenticated", False) or not actor.has_role(*REVIEW_ROLES):
        raise PermissionDenied(_("Only supervisors mark reply checks as reviewed."))
    note = _clean_input("note", note, 2000, required=False).strip()
    assessment = ReplyAssessment.objects.select_for_update().filter(pk=assessment_id).first()
    if assessment is None:
        raise NotFound(_("No reply check with id %(id)s.") % {"id": assessment_id})
    if assessment.reviewed_at is not None:
        raise InvalidTransition(_("This reply check has already been reviewed."))
    assessment.reviewed_by = actor
    assessment.reviewed_at = clock.now()
    assessment.save(update_fields=["reviewed_by", "reviewed_at"])
    number = WorkOrder.objects.filter(pk=assessment.case_id).values_list("number", flat=True).first() or ""
    audit_append(
        action="reply_check.reviewed",
        actor=actor,
        object_type=CaseKind.WORKORDER,
        object_id=number,
        note=(f"score={assessment.score:.2f} " + note).strip(),
        ip_address=ip_address,
    )
    return assessment
