"""Who may see an application, act on it, and see its personal data. Denials are 403 (404 for citizens), never 409.

The service hall's window clerks work on every application; the matter's implementing unit (the application's
primary unit, or a unit below it for its unit administrator) on its own; a citizen on the applications of their
account; supervisors and leaders read every application and act on none.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.utils.translation import gettext as _

from govdesk.common.errors import PermissionDenied
from govdesk.org.models import Role

from .models import Application
from .states import Action, Scope, Transition, roles_for

UNIT_ROLE_CODES = {Role.HANDLER.value, Role.UNIT_ADMIN.value}
HALL_ROLE_CODES = {Role.WINDOW_CLERK.value}
READ_ALL_ROLE_CODES = {Role.SUPERVISOR.value, Role.LEADER.value}
STAFF_ROLE_CODES = UNIT_ROLE_CODES | HALL_ROLE_CODES | READ_ALL_ROLE_CODES


def acting_unit_ids(user: Any) -> set[int]:
    """Units whose applications this user handles: their own; a unit administrator also the units below it."""
    unit = getattr(user, "unit", None)
    if unit is None:
        return set()
    if user.has_role(Role.UNIT_ADMIN):
        return unit.descendant_ids()
    return {unit.pk}


def application_visibility_q(user: Any) -> Q:
    """A filter for the applications `user` may see."""
    if not getattr(user, "is_authenticated", False):
        return Q(pk__in=[])
    if user.has_role(*HALL_ROLE_CODES, *READ_ALL_ROLE_CODES):
        return Q()
    q = Q(pk__in=[])
    if user.has_role(*UNIT_ROLE_CODES):
        units = acting_unit_ids(user)
        if units:
            q |= Q(primary_unit_id__in=sorted(units))
    if user.has_role(Role.CITIZEN):
        q |= Q(applicant=user)
    return q


def _in_unit(user: Any, application: Application) -> bool:
    return user.has_role(*UNIT_ROLE_CODES) and application.primary_unit_id in acting_unit_ids(user)


def _is_applicant(user: Any, application: Application) -> bool:
    return bool(user.has_role(Role.CITIZEN) and application.applicant_id == user.pk)


def application_can_view(user: Any, application: Application) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    if user.has_role(*HALL_ROLE_CODES, *READ_ALL_ROLE_CODES):
        return True
    return _in_unit(user, application) or _is_applicant(user, application)


def application_refusal_is_not_found(user: Any) -> bool:
    """A citizen asking for an application that is not theirs hears "not found", as for a number nobody uses:
    numbers are sequential, and a 403 would tell them which exist."""
    return bool(user.has_role(Role.CITIZEN)) and not user.has_role(*STAFF_ROLE_CODES)


def application_check_role(user: Any, action: Action) -> None:
    """403 unless the user holds a role that may take this action in some state."""
    if not user.has_role(*roles_for(action)):
        raise PermissionDenied(_("Your role does not allow this action."))


def _in_scope(user: Any, application: Application, scope: Scope) -> bool:
    if scope is Scope.HALL:
        return bool(user.has_role(*HALL_ROLE_CODES))
    if scope is Scope.UNIT:
        return _in_unit(user, application)
    return _is_applicant(user, application)


def application_check_actor(user: Any, application: Application, row: Transition) -> None:
    """403 unless the user's role may take this action in this state, on this application."""
    if not user.roles & row.roles:
        raise PermissionDenied(_("Your role does not allow this action in the application's current state."))
    if not any(_in_scope(user, application, scope) for scope in row.scopes):
        if Scope.UNIT in row.scopes:
            raise PermissionDenied(_("This application is for a matter of another unit."))
        raise PermissionDenied(_("You cannot act on this application."))


def application_can_reveal(user: Any, application: Application) -> bool:
    """Unmasked phone and ID numbers: the window (which checks identities) and the deciding unit (always audited)."""
    if not application_can_view(user, application):
        return False
    return bool(user.has_role(*HALL_ROLE_CODES)) or _in_unit(user, application)
