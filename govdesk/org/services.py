"""Accounts, roles and special permissions: every change to any of them goes through here, is checked, and is
written to the audit trail. The three administrator roles are kept apart (等保2.0 三权分立).

The admin site, the management commands and the model-layer guard (`receivers.py`) all end up here; nothing in the
product sets `is_superuser`, and the database refuses it (CheckConstraint `org_user_not_superuser`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import Group, Permission
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from govdesk.audit.services import audit_append
from govdesk.common import clock
from govdesk.common.errors import ValidationFailed

from .models import Role, Unit, User
from .signals import account_credentials_changed

# Django model permissions of the administrator roles: configuration, accounts, and reading the audit trail.
# (app_label, model) grants every permission of the model (every model of the app when model is None);
# (app_label, model, actions) only those actions ("view", "add", "change", "delete").
PermissionSpec = tuple[str, str | None] | tuple[str, str | None, tuple[str, ...]]
ADMIN_ROLE_PERMISSIONS: dict[str, list[PermissionSpec]] = {
    Role.SYSADMIN: [
        ("catalog", None),
        ("matters", None),
        # The package catalogue (一件事): its definitions and uploads, not the package applications (cases).
        ("packages", "package"),
        ("packages", "packageversion"),
        ("packages", "packageupload"),
        # Construction project types and their flows (stages as packages), not the projects (cases).
        ("projects", "projecttype"),
        ("projects", "flowstage"),
        ("govcalendar", None),
        ("org", "unit"),
        ("dispatch", "dispatchsettings"),
        ("supervision", "supervisionsettings"),
        ("assessment", "assessmentruleset"),
        ("assessment", "assessmentruleitem"),
        ("assessment", "assessmentdeduction"),
        # Open311 API keys of the district's apps: integration configuration, audited by open311.services.
        ("open311", "apikey"),
        # The annual work review's templates (govdesk.review.admin: placeholders checked, changes audited).
        ("review", "reviewtemplate"),
        ("review", "reviewparagraph"),
        # The ledgers' definitions (govdesk.ledgers.admin: changes audited); the rows and their versions only to
        # read (they change through the ledgers' services, versioned and audited).
        ("ledgers", "indicator"),
        ("ledgers", "programme"),
        *(
            ("ledgers", model, ("view",))
            for model in (
                "majorproject",
                "majorprojectprogress",
                "indicatorvalue",
                "selfbuilthouse",
                "contractcleanup",
                "toiletrenovation",
                "roadwork",
                "park",
                "programmedisbursement",
                "ledgerrowversion",
            )
        ),
    ],
    # Accounts; the role groups only to read (their permissions are defined here, in code); the login lockouts to
    # see them and lift them (the admin's unlock action is audited).
    Role.SECADMIN: [
        ("org", "user", ("view", "add", "change")),
        ("auth", "group", ("view",)),
        ("axes", "accessattempt", ("view", "delete")),
        ("security", None),  # API tokens (revoke) and two-factor logins (reset): govdesk.security.admin
    ],
    Role.AUDITOR: [("audit", "auditevent")],
}
ADMIN_ROLES = frozenset({Role.SYSADMIN, Role.SECADMIN, Role.AUDITOR})
STAFF_ROLES = frozenset(ADMIN_ROLE_PERMISSIONS)

# The only permissions an account may hold outside its roles, "app_label.codename" → what it allows. Every other
# permission comes with a role group; the admin offers nothing else and user_permissions_set refuses anything else.
GRANTABLE_PERMISSIONS: dict[str, Any] = {
    "reports.export_unmasked": gettext_lazy("may export full phone numbers"),
}


def role_groups_sync() -> None:
    """Create one group per role and give the administrator roles exactly their model permissions."""
    for role in Role:
        group, _created = Group.objects.get_or_create(name=role.value)
        spec = ADMIN_ROLE_PERMISSIONS.get(role)
        if spec is None:
            continue
        perms = Permission.objects.none()
        for entry in spec:
            app_label, model = entry[0], entry[1]
            q = Permission.objects.filter(content_type__app_label=app_label)
            if model:
                q = q.filter(content_type__model=model)
            if len(entry) == 3:
                q = q.filter(codename__in=[f"{action}_{model}" for action in entry[2]])
            perms = perms | q
        group.permissions.set(perms.distinct())


# --- checks ----------------------------------------------------------------------------------------------------------


def roles_check(roles: Iterable[str]) -> list[str]:
    """The roles as a sorted list, or ValidationFailed: unknown roles, or an administrator role with any other."""
    wanted = sorted({str(r) for r in roles})
    unknown = [r for r in wanted if r not in Role.values]
    if unknown:
        message = _("Unknown roles: %(r)s.") % {"r": ", ".join(unknown)}
        raise ValidationFailed(message, fields={"roles": [message]})
    if ADMIN_ROLES.intersection(wanted) and len(wanted) > 1:
        message = _("An administrator role cannot be combined with any other role.")
        raise ValidationFailed(message, fields={"roles": [message]})
    return wanted


def staff_for(roles: Iterable[str]) -> bool:
    """Only the three administrators work in the admin site."""
    return bool(ADMIN_ROLES.intersection(roles))


def grantable_permissions_available() -> dict[str, Permission]:
    """The whitelisted permissions that exist in this database (one may come with a migration not yet applied)."""
    found: dict[str, Permission] = {}
    for code in GRANTABLE_PERMISSIONS:
        app_label, codename = code.split(".", 1)
        perm = Permission.objects.filter(content_type__app_label=app_label, codename=codename).first()
        if perm is not None:
            found[code] = perm
    return found


def permissions_check(codes: Iterable[str]) -> dict[str, Permission]:
    """The permission rows for `codes`, or ValidationFailed for anything outside GRANTABLE_PERMISSIONS."""
    wanted = sorted(set(codes))
    available = grantable_permissions_available()
    refused = [c for c in wanted if c not in available]
    if refused:
        message = _("These permissions cannot be granted to an account: %(p)s.") % {"p": ", ".join(refused)}
        raise ValidationFailed(message, fields={"permissions": [message]})
    return {c: available[c] for c in wanted}


def password_check(password: str, user: User | None = None) -> None:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationFailed(exc.messages[0], fields={"password": list(exc.messages)}) from None


def user_roles_current(user: User) -> list[str]:
    """Read from the database, not the cached `roles` property, so a before/after is what was stored."""
    return sorted(set(user.groups.values_list("name", flat=True)))


def user_permissions_current(user: User) -> list[str]:
    rows = user.user_permissions.values_list("content_type__app_label", "codename")
    return sorted(f"{app_label}.{codename}" for app_label, codename in rows)


# --- helpers ---------------------------------------------------------------------------------------------------------


def _audit(
    action: str,
    user: User | str,
    *,
    acting_user: Any,
    note: str = "",
    ip_address: str | None = None,
    success: bool = True,
) -> None:
    username = user if isinstance(user, str) else user.get_username()
    audit_append(
        action=action,
        actor=acting_user,
        object_type="user",
        object_id=username[:64],
        note=note,
        success=success,
        ip_address=ip_address,
    )


def _credentials_changed(user: User, reason: str, acting_user: Any) -> None:
    """Inside the caller's transaction: receivers (API tokens) revoke what the old credentials granted."""
    account_credentials_changed.send(sender=User, user=user, reason=reason, acting_user=acting_user)


def _list(values: Iterable[str]) -> str:
    return ",".join(values) or "-"


# --- accounts --------------------------------------------------------------------------------------------------------


@transaction.atomic
def user_create(
    *,
    username: str,
    password: str,
    roles: list[str],
    unit: Unit | None = None,
    display_name: str = "",
    phone: str = "",
    permissions: Iterable[str] = (),
    is_active: bool = True,
    acting_user: Any = None,
    ip_address: str | None = None,
) -> User:
    """Create an account with roles. Administrator roles get admin-site access; nobody becomes a superuser."""
    wanted_roles = roles_check(roles)
    wanted_permissions = permissions_check(permissions)
    if User.objects.filter(username=username).exists():
        raise ValidationFailed(_("The username %(u)s is taken.") % {"u": username}, fields={"username": [_("Taken.")]})
    user = User(
        username=username,
        unit=unit,
        display_name=display_name,
        phone=phone,
        is_active=is_active,
        is_staff=staff_for(wanted_roles),
        is_superuser=False,
    )
    password_check(password, user)
    user.set_password(password)
    user.password_changed_at = clock.now()
    user.save()
    user.groups.set(_role_groups(wanted_roles))
    _audit("account.create", user, acting_user=acting_user, note=f"roles={_list(wanted_roles)}", ip_address=ip_address)
    if wanted_permissions:
        user.user_permissions.set(wanted_permissions.values())
        _audit(
            "account.permissions_change",
            user,
            acting_user=acting_user,
            note=f"granted={_list(wanted_permissions)}; revoked=-",
            ip_address=ip_address,
        )
    user.__dict__.pop("roles", None)
    return user


def _role_groups(roles: list[str]) -> list[Group]:
    return [Group.objects.get_or_create(name=role)[0] for role in roles]


USER_UPDATABLE_FIELDS = ("username", "display_name", "unit", "phone")


@transaction.atomic
def user_update(*, user: User, acting_user: Any = None, ip_address: str | None = None, **changes: Any) -> list[str]:
    """Change the account's own data (not roles, permissions, activity or password); the names of what changed."""
    stray = set(changes) - set(USER_UPDATABLE_FIELDS)
    if stray:
        raise ValidationFailed(_("These fields cannot be changed here: %(f)s.") % {"f": ", ".join(sorted(stray))})
    stored = User.objects.select_for_update().get(pk=user.pk)
    changed = [name for name, value in changes.items() if getattr(stored, name) != value]
    if "username" in changed and User.objects.filter(username=changes["username"]).exclude(pk=user.pk).exists():
        message = _("The username %(u)s is taken.") % {"u": changes["username"]}
        raise ValidationFailed(message, fields={"username": [_("Taken.")]})
    if not changed:
        return []
    old_username = stored.get_username()
    for name in changed:
        setattr(user, name, changes[name])
    user.save(update_fields=changed)
    # Which fields, and a new username; never the values of personal data (the phone number).
    note = "changed=" + ",".join(changed)
    if "username" in changed:
        note += f"; username {old_username} → {user.get_username()}"
    _audit("account.update", user, acting_user=acting_user, note=note, ip_address=ip_address)
    return changed


@transaction.atomic
def user_roles_set(*, user: User, roles: Iterable[str], acting_user: Any = None, ip_address: str | None = None) -> bool:
    """Replace the account's roles; False when nothing changed. Admin-site access follows the roles."""
    wanted = roles_check(roles)
    User.objects.select_for_update().filter(pk=user.pk).first()
    before = user_roles_current(user)
    if before == wanted:
        return False
    user.groups.set(_role_groups(wanted))
    staff = staff_for(wanted)
    if user.is_staff != staff:
        user.is_staff = staff
        user.save(update_fields=["is_staff"])
    user.__dict__.pop("roles", None)
    _audit(
        "account.roles_change",
        user,
        acting_user=acting_user,
        note=f"{_list(before)} → {_list(wanted)}",
        ip_address=ip_address,
    )
    _credentials_changed(user, "roles_changed", acting_user)
    return True


@transaction.atomic
def user_permissions_set(
    *, user: User, permissions: Iterable[str], acting_user: Any = None, ip_address: str | None = None
) -> bool:
    """Replace the account's special permissions (GRANTABLE_PERMISSIONS only); False when nothing changed.

    A permission outside the whitelist that an account still holds from before is revoked by any change here.
    """
    wanted = permissions_check(permissions)
    before = user_permissions_current(user)
    if before == sorted(wanted):
        return False
    user.user_permissions.set(wanted.values())
    granted = sorted(set(wanted) - set(before))
    revoked = sorted(set(before) - set(wanted))
    _audit(
        "account.permissions_change",
        user,
        acting_user=acting_user,
        note=f"granted={_list(granted)}; revoked={_list(revoked)}",
        ip_address=ip_address,
    )
    # Django caches a user's permissions on the instance.
    for cache in ("_perm_cache", "_user_perm_cache", "_group_perm_cache"):
        user.__dict__.pop(cache, None)
    if revoked:
        _credentials_changed(user, "permissions_revoked", acting_user)
    return True


@transaction.atomic
def user_set_active(*, user: User, active: bool, acting_user: Any = None, ip_address: str | None = None) -> bool:
    """Activate or deactivate an account (accounts are never deleted: the records keep who did what)."""
    stored = User.objects.select_for_update().get(pk=user.pk)
    if stored.is_active == active:
        user.is_active = active
        return False
    user.is_active = active
    user.save(update_fields=["is_active"])
    _audit("account.activate" if active else "account.deactivate", user, acting_user=acting_user, ip_address=ip_address)
    if not active:
        _credentials_changed(user, "deactivated", acting_user)
    return True


@transaction.atomic
def user_password_set(*, user: User, password: str, acting_user: Any = None, ip_address: str | None = None) -> None:
    """Set a new password (checked against the password rules). By another account it is a reset."""
    password_check(password, user)
    user.set_password(password)
    user.password_changed_at = clock.now()
    user.save(update_fields=["password", "password_changed_at"])
    by_self = acting_user is not None and getattr(acting_user, "pk", None) == user.pk
    _audit(
        "account.password_set" if by_self else "account.password_reset",
        user,
        acting_user=acting_user,
        ip_address=ip_address,
    )
    _credentials_changed(user, "password_changed", acting_user)


# --- logins: lockout and unlock --------------------------------------------------------------------------------------


@transaction.atomic
def login_lockout_record(*, username: str, ip_address: str | None) -> None:
    """Five failed logins for one account from one address: recorded, and what the account's credentials granted
    (API tokens) is revoked, since someone may be guessing its password."""
    _audit(
        "account.lockout",
        username,
        acting_user=None,
        note=f"address={ip_address or '-'}",
        ip_address=ip_address,
        success=False,
    )
    user = User.objects.filter(username=username).first()
    if user is not None:
        _credentials_changed(user, "locked_out", None)


@transaction.atomic
def login_unlock(
    *, username: str, address: str | None = None, acting_user: Any = None, ip_address: str | None = None
) -> int:
    """Lift the login lockout of `username` (from every address, or from `address` only); the records removed."""
    from axes.models import AccessAttempt

    attempts = AccessAttempt.objects.filter(username=username)
    if address:
        attempts = attempts.filter(ip_address=address)
    count, _detail = attempts.delete()
    _audit(
        "account.unlock",
        username,
        acting_user=acting_user,
        note=f"address={address or 'all'}; records={count}",
        ip_address=ip_address,
    )
    return count


# --- logins: the audit trail of account events -----------------------------------------------------------------------


def auth_event_record(
    *,
    action: str,
    username: str,
    user: Any = None,
    success: bool = True,
    ip_address: str | None = None,
    note: str = "",
) -> None:
    """A login, logout or failed login. The username tried is kept (it may not exist); a password never is."""
    audit_append(
        action=action,
        actor=user,
        object_type="user",
        object_id=username[:64],
        note=note,
        success=success,
        ip_address=ip_address,
    )
