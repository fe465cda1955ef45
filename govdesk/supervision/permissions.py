"""Who may see and act on supervision: supervisors act, dispatchers look, the case's primary unit answers.

Supervisors supervise work orders and applications, and urge and watch the case kinds registered with
`cases.services.case_kind_supervision_add` (units' reports, knowledge revisions: no 督办 on those); dispatchers, who
work on the hotline's orders and do not see applications, see the work orders' side only. A 督办 is answered by the
primary unit of its case of either kind.

Denials are PermissionDenied (403) and are checked before the 督办's status, so a stranger never learns its state.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext as _

from govdesk.cases.models import CaseKind, CaseUnit
from govdesk.cases.services import case_kind_supervisions
from govdesk.common.errors import NotFound, PermissionDenied
from govdesk.org.models import Role
from govdesk.workorders.permissions import actor_unit_ids

from .models import SupervisionCase
from .states import ACTION_ACTOR, Actor, CaseAction

# The worklist and every 督办 (read); dispatchers see what the supervisors see but act only on the orders themselves.
VIEW_ROLES = (Role.SUPERVISOR, Role.DISPATCHER)
UNIT_ROLES = (Role.HANDLER, Role.UNIT_ADMIN)


def _authenticated(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False))


def supervision_can_view_all(user: Any) -> bool:
    return _authenticated(user) and user.has_role(*VIEW_ROLES)


def supervision_is_supervisor(user: Any) -> bool:
    return _authenticated(user) and user.has_role(Role.SUPERVISOR)


def supervision_kinds(user: Any) -> list[str]:
    """The case kinds whose supervision the user sees in full (the worklist, every 督办 and escalation): supervisors
    also the kinds registered with `case_kind_supervision_add` (units' reports, knowledge revisions)."""
    if supervision_is_supervisor(user):
        return [CaseKind.WORKORDER.value, CaseKind.APPLICATION.value, *(r.kind for r in case_kind_supervisions())]
    if supervision_can_view_all(user):
        return [CaseKind.WORKORDER.value]
    return []


def supervision_check_supervisor(user: Any) -> None:
    if not supervision_is_supervisor(user):
        raise PermissionDenied(_("Only supervisors may do this."))


def primary_unit_q(user: Any, prefix: str = "case_id") -> Q:
    """Rows whose order's active primary unit is one the user acts for (a unit administrator: also units below)."""
    if not _authenticated(user) or not user.has_role(*UNIT_ROLES):
        return Q(pk__in=[])
    units = actor_unit_ids(user)
    if not units:
        return Q(pk__in=[])
    return Q(
        Exists(CaseUnit.objects.filter(case_id=OuterRef(prefix), unit_id__in=units, is_active=True, role="primary"))
    )


def supervision_case_visibility_q(user: Any) -> Q:
    """The 督办 a user may see: all for supervisors, the work orders' for dispatchers; the unit's own for the primary
    unit's staff."""
    if supervision_is_supervisor(user):
        return Q()
    kinds = supervision_kinds(user)
    if kinds:
        return Q(case__kind__in=kinds) | primary_unit_q(user)
    return primary_unit_q(user)


def supervision_case_can_view(user: Any, sc: SupervisionCase) -> bool:
    return SupervisionCase.objects.filter(supervision_case_visibility_q(user), pk=sc.pk).exists()


def supervision_is_primary_unit_member(user: Any, case_id: int) -> bool:
    if not _authenticated(user) or not user.has_role(*UNIT_ROLES):
        return False
    units = actor_unit_ids(user)
    return CaseUnit.objects.filter(case_id=case_id, unit_id__in=units, is_active=True, role="primary").exists()


def supervision_check_actor(user: Any, sc: SupervisionCase, action: CaseAction) -> None:
    """403 unless the user may take `action` on this 督办 (whatever its status: the status is checked after)."""
    actor = ACTION_ACTOR[action]
    if actor is Actor.SUPERVISOR:
        supervision_check_supervisor(user)
        return
    if not _authenticated(user) or not user.has_role(*UNIT_ROLES):
        raise PermissionDenied(_("Only the order's primary unit answers a supervision case."))
    if not supervision_is_primary_unit_member(user, sc.case_id):
        raise PermissionDenied(_("This order's supervision case is not for your unit."))


def supervision_check_case_actor(user: Any, case_id: int, action: CaseAction) -> None:
    """404 if there is no such 督办, 403 unless the user may take `action` on it: what the API and the pages check
    before reading the action's input, so that a stranger gets 403 whatever the body (and never learns what the
    body should hold). The service checks again, with the row locked."""
    sc = SupervisionCase.objects.filter(pk=case_id).select_related("case").first()
    if sc is None:
        raise NotFound(_("No supervision case %(id)s.") % {"id": case_id})
    supervision_check_actor(user, sc, action)
