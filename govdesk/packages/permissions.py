"""Who may see a package application and act on it. Denials are 403 (404 for citizens), never 409.

The service hall's window clerks accept and deliver every package; the package's lead unit (its primary unit, or a
unit below it for its unit administrator) follows all its parts and urges them; supervisors and leaders read every
package; the applicant their own. A part's own unit sees the part as any application, and the package's summary read
only.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.utils.translation import gettext as _

from govdesk.applications.permissions import (
    HALL_ROLE_CODES,
    READ_ALL_ROLE_CODES,
    STAFF_ROLE_CODES,
    UNIT_ROLE_CODES,
    acting_unit_ids,
)
from govdesk.common.errors import PermissionDenied
from govdesk.org.models import Role

from .models import PackageApplication
from .states import Action, Scope, Transition, roles_for


def package_visibility_q(user: Any) -> Q:
    """A filter of PackageApplication for the packages `user` may see (the summary, for a part's unit)."""
    if not getattr(user, "is_authenticated", False):
        return Q(pk__in=[])
    if user.has_role(*HALL_ROLE_CODES, *READ_ALL_ROLE_CODES):
        return Q()
    q = Q(pk__in=[])
    if user.has_role(*UNIT_ROLE_CODES):
        units = sorted(acting_unit_ids(user))
        if units:
            q |= Q(primary_unit_id__in=units) | Q(parts__application__primary_unit_id__in=units)
    if user.has_role(Role.CITIZEN):
        q |= Q(applicant=user)
    return q


def package_in_lead_unit(user: Any, package_application: PackageApplication) -> bool:
    return bool(user.has_role(*UNIT_ROLE_CODES)) and package_application.primary_unit_id in acting_unit_ids(user)


def package_is_applicant(user: Any, package_application: PackageApplication) -> bool:
    return bool(user.has_role(Role.CITIZEN) and package_application.applicant_id == user.pk)


def package_can_view(user: Any, package_application: PackageApplication) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    if user.has_role(*HALL_ROLE_CODES, *READ_ALL_ROLE_CODES):
        return True
    if package_in_lead_unit(user, package_application) or package_is_applicant(user, package_application):
        return True
    return PackageApplication.objects.filter(package_visibility_q(user), pk=package_application.pk).exists()


def package_can_see_all(user: Any, package_application: PackageApplication) -> bool:
    """The whole package (form answers, materials, every part): not only a part's unit's summary."""
    return bool(user.has_role(*HALL_ROLE_CODES, *READ_ALL_ROLE_CODES)) or (
        package_in_lead_unit(user, package_application) or package_is_applicant(user, package_application)
    )


def package_refusal_is_not_found(user: Any) -> bool:
    """A citizen asking for a package that is not theirs hears "not found", as for a number nobody uses."""
    return bool(user.has_role(Role.CITIZEN)) and not user.has_role(*STAFF_ROLE_CODES)


def package_check_role(user: Any, action: Action) -> None:
    if not user.has_role(*roles_for(action)):
        raise PermissionDenied(_("Your role does not allow this action."))


def _in_scope(user: Any, package_application: PackageApplication, scope: Scope) -> bool:
    if scope is Scope.HALL:
        return bool(user.has_role(*HALL_ROLE_CODES))
    return package_is_applicant(user, package_application)


def package_actor_allowed(user: Any, package_application: PackageApplication, row: Transition) -> bool:
    return bool(user.roles & row.roles) and any(_in_scope(user, package_application, s) for s in row.scopes)


def package_check_actor(user: Any, package_application: PackageApplication, row: Transition) -> None:
    """403 unless the user's role may take this action in this state, on this package."""
    if not package_actor_allowed(user, package_application, row):
        raise PermissionDenied(_("You cannot act on this package application."))


def package_can_urge(user: Any, package_application: PackageApplication) -> bool:
    """催办 of a part: the lead unit's members, who answer for the whole package."""
    return package_in_lead_unit(user, package_application)
