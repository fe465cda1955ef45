"""Accounts and roles. The three administrator roles are kept apart (等保2.0 三权分立)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group, Permission
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from govdesk.audit.services import audit_append
from govdesk.common import clock
from govdesk.common.errors import ValidationFailed

from .models import Role, Unit, User

# Django model permissions of the administrator roles: configuration, accounts, and reading the audit trail.
ADMIN_ROLE_PERMISSIONS: dict[str, list[tuple[str, str | None]]] = {
    Role.SYSADMIN: [
        ("catalog", None),
        ("govcalendar", None),
        ("org", "unit"),
        ("dispatch", "dispatchsettings"),
        ("supervision", "supervisionsettings"),
        ("assessment", "assessmentruleset"),
        ("assessment", "assessmentruleitem"),
        ("assessment", "assessmentdeduction"),
    ],
    Role.SECADMIN: [("org", "user"), ("auth", "group")],
    Role.AUDITOR: [("audit", "auditevent")],
}
STAFF_ROLES = frozenset(ADMIN_ROLE_PERMISSIONS)


def role_groups_sync() -> None:
    """Create one group per role and give the administrator roles exactly their model permissions."""
    for role in Role:
        group, _created = Group.objects.get_or_create(name=role.value)
        spec = ADMIN_ROLE_PERMISSIONS.get(role)
        if spec is None:
            continue
        perms = Permission.objects.none()
        for app_label, model in spec:
            q = Permission.objects.filter(content_type__app_label=app_label)
            if model:
                q = q.filter(content_type__model=model)
            perms = perms | q
        group.permissions.set(perms.distinct())


@transaction.atomic
def user_create(
    *,
    username: str,
    password: str,
    roles: list[str],
    unit: Unit | None = None,
    display_name: str = "",
    acting_user: Any = None,
) -> User:
    """Create an account with roles. Administrator roles get admin-site access; nobody becomes a superuser."""
    unknown = [r for r in roles if r not in Role.values]
    if unknown:
        raise ValidationFailed(_("Unknown roles: %(r)s.") % {"r": ", ".join(unknown)})
    if {Role.SYSADMIN, Role.SECADMIN, Role.AUDITOR}.intersection(roles) and len(roles) > 1:
        raise ValidationFailed(_("An administrator role cannot be combined with any other role."))
    if User.objects.filter(username=username).exists():
        raise ValidationFailed(_("The username %(u)s is taken.") % {"u": username}, fields={"username": [_("Taken.")]})
    user = User(username=username, unit=unit, display_name=display_name, is_staff=bool(STAFF_ROLES.intersection(roles)))
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationFailed(exc.messages[0], fields={"password": list(exc.messages)}) from None
    user.set_password(password)
    user.password_changed_at = clock.now()
    user.save()
    role_groups_sync()
    user.groups.set(Group.objects.filter(name__in=roles))
    audit_append(
        action="account.create", actor=acting_user, object_type="user", object_id=username, note=",".join(sorted(roles))
    )
    return user
