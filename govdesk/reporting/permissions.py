"""Who may see and act on reports. The office (区政府办公室/督查室: supervisors) issues tasks, reads every report and
returns or accepts it; leaders read every report and act on none; a unit's handlers and administrators fill and
submit their own unit's reports, and another unit's report is "not found" to them (numbers are sequential)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.utils.translation import gettext as _

from govdesk.common.errors import PermissionDenied
from govdesk.org.models import Role

from .models import Report

OFFICE_ROLES = (Role.SUPERVISOR.value,)
READ_ALL_ROLES = (Role.SUPERVISOR.value, Role.LEADER.value)
UNIT_ROLES = (Role.HANDLER.value, Role.UNIT_ADMIN.value)
PAGE_ROLES = (*READ_ALL_ROLES, *UNIT_ROLES)


def _authenticated(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False))


def report_is_office(user: Any) -> bool:
    return _authenticated(user) and bool(user.has_role(*OFFICE_ROLES))


def report_reads_all(user: Any) -> bool:
    return _authenticated(user) and bool(user.has_role(*READ_ALL_ROLES))


def report_unit_id(user: Any) -> int | None:
    """The unit whose reports this user fills: their own unit, for its handlers and administrators."""
    if not _authenticated(user) or not user.has_role(*UNIT_ROLES):
        return None
    return getattr(user, "unit_id", None)


def report_visibility_q(user: Any) -> Q:
    if report_reads_all(user):
        return Q()
    unit_id = report_unit_id(user)
    if unit_id is None:
        return Q(pk__in=[])
    return Q(unit_id=unit_id)


def report_visible(user: Any, report: Report) -> bool:
    if report_reads_all(user):
        return True
    unit_id = report_unit_id(user)
    return unit_id is not None and report.unit_id == unit_id


def report_can_fill(user: Any, report: Report) -> bool:
    unit_id = report_unit_id(user)
    return unit_id is not None and report.unit_id == unit_id


def report_check_office(user: Any) -> None:
    if not report_is_office(user):
        raise PermissionDenied(_("Only the office (supervisors) may do this."))


def report_check_unit(user: Any, report: Report) -> None:
    if not report_can_fill(user, report):
        raise PermissionDenied(_("Only the reporting unit's handlers and administrators may fill in its report."))
