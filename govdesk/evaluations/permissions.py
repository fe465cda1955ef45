"""Who may rate a case, who may act on a rectification, and who sees which ratings.

Nothing here knows a case type: the citizen of a case is its `created_by` when that account holds the citizen role,
and a unit's cases are those with its active primary assignment. Denials are PermissionDenied (403), checked before
the rectification's status, so a stranger never learns its state.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext as _

from govdesk.cases.models import Case, CaseUnit
from govdesk.cases.services import case_citizen_id
from govdesk.common.errors import PermissionDenied
from govdesk.org.models import Role

from .states import ACTION_ACTOR, Actor, RectificationAction

UNIT_ROLES = (Role.HANDLER, Role.UNIT_ADMIN)
# See every rating and rectification (read): supervisors act on them; leaders and dispatchers only look.
VIEW_ALL_ROLES = (Role.SUPERVISOR, Role.LEADER, Role.DISPATCHER)
# Record a rating the citizen gives at the counter pad or on the phone.
PAD_ROLES = (Role.WINDOW_CLERK, Role.OPERATOR)
RATES_ROLES = (Role.SUPERVISOR, Role.LEADER)


def _authenticated(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False))


def is_supervisor(user: Any) -> bool:
    return _authenticated(user) and user.has_role(Role.SUPERVISOR)


def can_view_all(user: Any) -> bool:
    return _authenticated(user) and user.has_role(*VIEW_ALL_ROLES)


def can_record_on_pad(user: Any) -> bool:
    return _authenticated(user) and user.has_role(*PAD_ROLES)


def is_citizen_of(user: Any, case: Case) -> bool:
    """The citizen whose case it is (`case_citizen_id`: an application's applicant, else the account that created
    it), if that account is a citizen's."""
    if not (_authenticated(user) and user.has_role(Role.CITIZEN)):
        return False
    citizen_id = case_citizen_id(case)
    return citizen_id is not None and citizen_id == user.pk


def acting_unit_ids(user: Any) -> set[int]:
    """Units whose rectifications this user acts for: their own; a unit administrator also the units below it."""
    if not _authenticated(user) or not user.has_role(*UNIT_ROLES):
        return set()
    unit = getattr(user, "unit", None)
    if unit is None:
        return set()
    if user.has_role(Role.UNIT_ADMIN):
        return unit.descendant_ids()
    return {unit.pk}


def _primary_unit_q(units: set[int], prefix: str) -> Q:
    return Q(
        Exists(CaseUnit.objects.filter(case_id=OuterRef(prefix), unit_id__in=units, is_active=True, role="primary"))
    )


def is_unit_member_for(user: Any, case_id: int) -> bool:
    units = acting_unit_ids(user)
    return (
        bool(units)
        and CaseUnit.objects.filter(case_id=case_id, unit_id__in=units, is_active=True, role="primary").exists()
    )


def rectification_visibility_q(user: Any) -> Q:
    """Rectifications a user may see: all for supervisors, leaders, dispatchers; the unit's own; the citizen's."""
    if not _authenticated(user):
        return Q(pk__in=[])
    if can_view_all(user):
        return Q()
    q = Q(pk__in=[])
    units = acting_unit_ids(user)
    if units:
        q |= _primary_unit_q(units, "pk")
    if user.has_role(Role.CITIZEN):
        q |= Q(created_by=user)
    return q


def evaluation_visibility_q(user: Any) -> Q:
    """Ratings a user may see: all for supervisors, leaders, dispatchers; a unit's own (rated while it was
    responsible); a citizen's own cases' ratings; what a clerk or operator recorded."""
    if not _authenticated(user):
        return Q(pk__in=[])
    if can_view_all(user):
        return Q()
    q = Q(pk__in=[])
    units = acting_unit_ids(user)
    if units:
        q |= Q(unit_id__in=units)
    if user.has_role(Role.CITIZEN):
        q |= Q(case__created_by=user)
    if can_record_on_pad(user):
        q |= Q(rated_by=user)
    return q


def evaluation_can_list(user: Any) -> bool:
    return _authenticated(user) and user.has_role(*VIEW_ALL_ROLES, *UNIT_ROLES, *PAD_ROLES, Role.CITIZEN)


def rectification_check_actor(user: Any, rectification: Case, action: RectificationAction) -> None:
    """403 unless the user may take `action` on this rectification (whatever its status: checked after)."""
    actor = ACTION_ACTOR[action]
    if actor is Actor.SUPERVISOR:
        if not is_supervisor(user):
            raise PermissionDenied(_("Only supervisors may do this."))
        return
    if actor is Actor.UNIT:
        if not _authenticated(user) or not user.has_role(*UNIT_ROLES):
            raise PermissionDenied(_("Only the responsible unit answers or appeals a rectification."))
        if not is_unit_member_for(user, rectification.pk):
            raise PermissionDenied(_("This rectification is not for your unit."))
        return
    raise PermissionDenied(_("Rate a rectification through the evaluation form."))
