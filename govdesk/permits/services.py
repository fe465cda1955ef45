"""Every write to the permit registry: issue, verify (告知承诺 checked), revoke. Each in the caller's transaction (or
its own), audited; a permit is never deleted and its number, kind, unit, holder and issue date never change
(models.py guards that for any other writer too).
"""

from __future__ import annotations

import re
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from govdesk.applications.permissions import acting_unit_ids
from govdesk.audit.services import audit_append
from govdesk.calendar.core import deadline_add_working_days
from govdesk.calendar.selectors import calendar_get
from govdesk.common import clock
from govdesk.common.errors import InvalidTransition, PermissionDenied, ValidationFailed
from govdesk.common.services import counter_next
from govdesk.org.models import Role

from .hooks import permit_terms_default
from .models import Permit, PermitStatus

NUMBER_PREFIX = "LS"  # 许可/license: keeps the platform's numbers apart from the units' own document numbers
NUMBER_MAX_LENGTH = 64
REASON_MAX_LENGTH = 2000
# A unit's own document number (文号) as people write it: letters, digits, CJK, brackets and a few separators; no
# control characters or markup, so it prints safely on every page and document that shows it.
_DOCUMENT_NUMBER = re.compile(r"^[\w\u3000-\u303f\u4e00-\u9fff\uff08\uff09\uff3b\uff3d()\[\]〔〕【】\-—/.·、 ]+$")
UNIT_ROLE_CODES = {Role.HANDLER.value, Role.UNIT_ADMIN.value}

AUDIT_ISSUE = "permit.issue"
AUDIT_VERIFY = "permit.verify"
AUDIT_REVOKE = "permit.revoke"


def permit_number_clean(value: Any, *, field: str = "result_number") -> str:
    """A document number the issuing unit gives (blank: the platform numbers it). 400 with a message otherwise."""
    if value is None:
        return ""
    if not isinstance(value, str):
        message = _("The document number must be text.")
        raise ValidationFailed(message, fields={field: [message]})
    number = value.strip()
    if len(number) > NUMBER_MAX_LENGTH:
        message = _("The document number may have at most %(n)d characters.") % {"n": NUMBER_MAX_LENGTH}
        raise ValidationFailed(message, fields={field: [message]})
    if number and not _DOCUMENT_NUMBER.match(number):
        message = _("The document number may contain letters, digits, Chinese characters, brackets and dashes only.")
        raise ValidationFailed(message, fields={field: [message]})
    return number


def _number_taken(number: str, field: str) -> ValidationFailed:
    message = _("The document number %(n)s is already in the permit registry: give another number.") % {"n": number}
    return ValidationFailed(message, fields={field: [message]}, code="number_taken")


def _platform_number() -> str:
    year = timezone.localtime(clock.now()).year
    while True:
        number = f"{NUMBER_PREFIX}{year}{counter_next(key=f'permit:{year}'):06d}"
        # A unit may once have given a number of the platform's shape by hand: skip it rather than fail the approval.
        if not Permit.objects.filter(number=number).exists():
            return number


def _user(actor: Any) -> Any:
    return actor if actor is not None and getattr(actor, "is_authenticated", False) else None


@transaction.atomic
def permit_issue(
    *,
    case: Any,
    matter: Any,
    unit: Any,
    holder_name: str,
    kind: str,
    actor: Any,
    project_id: int | None = None,
    number: str = "",
    on_commitment: bool = False,
    verify_days: int = 0,
) -> Permit:
    """Enter the permit an approval issues into the registry. `number`: the unit's own document number (文号),
    refused (400, nothing stored) when the registry already holds it; blank: the platform's next number."""
    number = permit_number_clean(number)
    kind = (kind or "").strip()[:100] or permit_terms_default(case).kind or ""
    holder_name = (holder_name or "").strip()[:200]
    if number and Permit.objects.filter(number=number).exists():
        raise _number_taken(number, "result_number")
    now = clock.now()
    verify_due_at = None
    if on_commitment:
        verify_due_at = deadline_add_working_days(now, max(int(verify_days), 0), calendar_get()).due_at
    permit = Permit(
        number=number or _platform_number(),
        kind=kind,
        case=case,
        matter=matter,
        unit=unit,
        holder_name=holder_name,
        project_id=project_id,
        issued_at=now,
        issued_by=_user(actor),
        on_commitment=on_commitment,
        verify_due_at=verify_due_at,
    )
    try:
        # A savepoint: two approvals giving the same number at once: the second hears the same 400, not a 500.
        with transaction.atomic():
            permit.save(force_insert=True)
    except IntegrityError:
        raise _number_taken(permit.number, "result_number") from None
    audit_append(
        action=AUDIT_ISSUE,
        actor=_user(actor),
        object_type="permit",
        object_id=permit.number,
        to_state=permit.status,
        note=f"{case.number} {kind}"[:500],
    )
    return permit


def permit_can_act(user: Any, permit: Permit) -> bool:
    """The issuing unit's handlers and administrators (an administrator also for the units below theirs)."""
    if not getattr(user, "is_authenticated", False) or not user.has_role(*UNIT_ROLE_CODES):
        return False
    return permit.unit_id in acting_unit_ids(user)


def _locked(permit: Permit, actor: Any) -> Permit:
    if not permit_can_act(actor, permit):
        raise PermissionDenied(_("Only the issuing unit's staff may act on this permit."))
    return Permit.objects.select_for_update().get(pk=permit.pk)


@transaction.atomic
def permit_verify(*, permit: Permit, actor: Any, note: str = "") -> Permit:
    """核查: the unit has checked the facts a permit approved on commitment (告知承诺) rests on."""
    locked = _locked(permit, actor)
    if not locked.on_commitment:
        raise InvalidTransition(_("Only a permit approved on commitment is verified."))
    if locked.status != PermitStatus.VALID:
        raise InvalidTransition(_("A revoked permit cannot be verified."))
    if locked.verified_at is not None:
        raise InvalidTransition(_("This permit has already been verified."))
    locked.verified_at, locked.verified_by = clock.now(), _user(actor)
    locked.save(update_fields=["verified_at", "verified_by"])
    audit_append(
        action=AUDIT_VERIFY,
        actor=_user(actor),
        object_type="permit",
        object_id=locked.number,
        from_state="on_commitment",
        to_state="verified",
        note=str(note or "")[:500],
    )
    return locked


@transaction.atomic
def permit_revoke(*, permit: Permit, actor: Any, reason: Any) -> Permit:
    """撤销 (行政许可法 第69条): with the reasons; the permit stays in the registry, shown as revoked."""
    text = reason.strip() if isinstance(reason, str) else ""
    if not text:
        message = _("Give the reasons for the revocation.")
        raise ValidationFailed(message, fields={"reason": [message]})
    if len(text) > REASON_MAX_LENGTH:
        message = _("The reasons may have at most %(n)d characters.") % {"n": REASON_MAX_LENGTH}
        raise ValidationFailed(message, fields={"reason": [message]})
    locked = _locked(permit, actor)
    if locked.status == PermitStatus.REVOKED:
        raise InvalidTransition(_("This permit has already been revoked."))
    locked.status = PermitStatus.REVOKED
    locked.revoked_at, locked.revoked_by, locked.revoke_reason = clock.now(), _user(actor), text
    locked.save(update_fields=["status", "revoked_at", "revoked_by", "revoke_reason"])
    audit_append(
        action=AUDIT_REVOKE,
        actor=_user(actor),
        object_type="permit",
        object_id=locked.number,
        from_state=PermitStatus.VALID,
        to_state=PermitStatus.REVOKED,
        note=text[:500],
    )
    return locked
