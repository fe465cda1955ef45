"""Who may see a work order, act on it, and see its personal data. Denials are 403, never 409."""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext as _

from govdesk.cases.models import CaseUnit
from govdesk.common.errors import PermissionDenied
from govdesk.org.models import CENTRE_ROLES, Role

from .models import WorkOrder
from .states import TRANSITIONS, Action, Scope, Transition

UNIT_ROLE_CODES = {Role.HANDLER.value, Role.UNIT_ADMIN.value}
CENTRE_ROLE_CODES = {r.value for r in CENTRE_ROLES}
# Roles that see every order read-only (district leaders, for the statistics' drill-downs): never an action (they hold
# no role in states.TRANSITIONS) and never an unmasked phone or ID number (workorder_can_reveal).
READ_ALL_ROLE_CODES = {Role.LEADER.value}


def actor_unit_ids(user: Any) -> set[int]:
    """Units whose orders this user acts for: their own; a unit administrator also the units below it."""
    unit = getattr(user, "unit", None)
    if unit is None:
        return set()
    if user.has_role(Role.UNIT_ADMIN):
        return unit.descendant_ids()
    return {unit.pk}


def assigned_to_units(unit_ids: set[int] | list[int]) -> Exists:
    """An EXISTS over active assignments: filters without joining, so lists need no DISTINCT over wide rows."""
    return Exists(CaseUnit.objects.filter(case_id=OuterRef("pk"), unit_id__in=unit_ids, is_active=True))


def workorder_visibility_q(user: Any) -> Q:
    """A filter for the orders `user` may see. Centre staff see all; units their own; citizens theirs."""
    if not getattr(user, "is_authenticated", False):
        return Q(pk__in=[])
    if user.has_role(*CENTRE_ROLE_CODES, *READ_ALL_ROLE_CODES):
        return Q()
    q = Q(pk__in=[])
    if user.has_role(*UNIT_ROLE_CODES):
        units = actor_unit_ids(user)
        if units:
            q |= Q(assigned_to_units(units))
    if user.has_role(Role.CITIZEN):
        q |= Q(citizen_user=user)
    return q


def workorder_can_view(user: Any, order: WorkOrder) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    if user.has_role(*CENTRE_ROLE_CODES, *READ_ALL_ROLE_CODES):
        return True
    if user.has_role(Role.CITIZEN) and order.citizen_user_id == user.pk:
        return True
    if user.has_role(*UNIT_ROLE_CODES):
        units = actor_unit_ids(user)
        return order.assignments.filter(unit_id__in=units, is_active=True).exists()
    return False


def workorder_refusal_is_not_found(user: Any) -> bool:
    """Whether an order this user may not see is answered "not found" rather than "forbidden".

    For citizens (and no one on the staff): order numbers are sequential, and a 403 for others' orders beside a 404
    for unused numbers would tell a citizen which numbers exist, and so how many orders a day the district takes.
    Staff keep the 403: they know orders exist and need to tell "not mine" from "mistyped".
    """
    return bool(user.has_role(Role.CITIZEN)) and not user.has_role(
        *CENTRE_ROLE_CODES, *READ_ALL_ROLE_CODES, *UNIT_ROLE_CODES
    )


def _in_scope(user: Any, order: WorkOrder, scope: Scope) -> bool:
    units = actor_unit_ids(user)
    if not units:
        return False
    if scope is Scope.PRIMARY_UNIT:
        return order.assignments.filter(unit_id__in=units, is_active=True, role="primary").exists()
    if scope is Scope.ASSIGNED_UNIT:
        return order.assignments.filter(unit_id__in=units, is_active=True).exists()
    return False


def roles_for_action(action: Action) -> frozenset[str]:
    roles: set[str] = set()
    for (_status, act), row in TRANSITIONS.items():
        if act is action:
            roles |= row.roles
    return frozenset(roles)


def workorder_check_role(user: Any, action: Action) -> None:
    """403 unless the user holds a role that may take this action in some state."""
    if not user.has_role(*roles_for_action(action)):
        raise PermissionDenied(_("Your role does not allow this action."))


def workorder_check_transition_actor(user: Any, order: WorkOrder, row: Transition) -> None:
    """403 unless the user's role may take this action in this state, on this order."""
    held = user.roles & row.roles
    if not held:
        raise PermissionDenied(_("Your role does not allow this action in the order's current state."))
    if held & CENTRE_ROLE_CODES:
        return
    if row.scope in (Scope.PRIMARY_UNIT, Scope.ASSIGNED_UNIT) and _in_scope(user, order, row.scope):
        return
    raise PermissionDenied(_("This order is not assigned to your unit."))


def workorder_can_reveal(user: Any, order: WorkOrder, field: str) -> bool:
    """Unmasked phone and ID numbers: only for roles that need them to do their work (always audited)."""
    if not workorder_can_view(user, order):
        return False
    if user.has_role(Role.OPERATOR, Role.DISPATCHER):
        return True
    if field == "citizen_phone" and not order.confidential:
        if user.has_role(Role.SUPERVISOR):
            return True
        return user.has_role(*UNIT_ROLE_CODES) and _in_scope(user, order, Scope.ASSIGNED_UNIT)
    return False
