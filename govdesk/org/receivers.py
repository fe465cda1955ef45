"""The account layer's own receivers: the guard on role groups, and the audit trail of logins (等保2.0 8.1.4.3).

Connected in OrgConfig.ready(). Each does one check or calls one service.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import m2m_changed
from django.http import HttpRequest

from . import services
from .lockout import client_address, lockout_reason
from .models import User


def request_address(request: HttpRequest | None) -> str | None:
    """The client address as axes counts it (REMOTE_ADDR unless a proxy is configured for it)."""
    if request is None:
        return None
    return getattr(request, "axes_ip_address", None) or client_address(request)


def _request_path(request: HttpRequest | None) -> str:
    return getattr(request, "path", "") or "-"


# --- the model-layer guard: no path, not even a shell, combines an administrator role with another role ----------


def guard_role_groups(
    sender: Any, instance: Any, action: str, reverse: bool, model: Any, pk_set: set[int] | None, **kwargs: Any
) -> None:
    if action not in ("pre_add", "post_add", "post_remove", "post_clear"):
        return
    users = [instance] if not reverse else list(User.objects.filter(pk__in=pk_set or ()))
    if reverse and action == "post_clear":
        return  # a role group emptied: nobody gained a role, and staff flags follow on the next change
    for user in users:
        names = set(user.groups.values_list("name", flat=True))
        if action == "pre_add":
            added = (
                [instance.name]
                if reverse
                else list(Group.objects.filter(pk__in=pk_set or ()).values_list("name", flat=True))
            )
            # Raises ValidationFailed: the add never happens, and the caller's transaction rolls back.
            services.roles_check(names | set(added))
            continue
        # After the change: admin-site access follows the roles, whoever changed them.
        staff = services.staff_for(names)
        if user.is_staff != staff:
            User.objects.filter(pk=user.pk).update(is_staff=staff)
            user.is_staff = staff
        user.__dict__.pop("roles", None)


def guard_user_permissions(
    sender: Any, instance: Any, action: str, reverse: bool, model: Any, pk_set: set[int] | None, **kwargs: Any
) -> None:
    """Outside its roles an account holds only the whitelisted special permissions (services.GRANTABLE_PERMISSIONS)."""
    if action != "pre_add":
        return
    from django.contrib.auth.models import Permission

    permissions = [instance] if reverse else list(Permission.objects.filter(pk__in=pk_set or ()))
    codes = [f"{p.content_type.app_label}.{p.codename}" for p in permissions]
    services.permissions_check(codes)  # raises ValidationFailed: the add never happens


# --- logins, logouts, failures --------------------------------------------------------------------------------------


def record_login(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    services.auth_event_record(
        action="auth.login",
        username=user.get_username(),
        user=user,
        ip_address=request_address(request),
        note=f"path={_request_path(request)}",
    )


def record_logout(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if user is None:  # a session that had already ended
        return
    services.auth_event_record(
        action="auth.logout",
        username=user.get_username(),
        user=user,
        ip_address=request_address(request),
        note=f"path={_request_path(request)}",
    )


def record_login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    """The username tried and the address; `credentials` holds the password (Django masks it), never read here."""
    username = str(credentials.get("username") or "")
    note = f"path={_request_path(request)}"
    refused = lockout_reason(request)
    if refused:
        note += f"; refused={refused}"  # not even checked: the account or the address was locked
    services.auth_event_record(
        action="auth.login_failed", username=username, success=False, ip_address=request_address(request), note=note
    )


def record_lockout(sender: Any, request: HttpRequest | None = None, username: str | None = None, **kwargs: Any) -> None:
    """axes' user_locked_out: sent when a failure reaches the limit, and again for each attempt refused during the
    lock. Only the first is a new lockout (the refused ones are in the trail as failed logins)."""
    if request is None or lockout_reason(request):
        return
    services.login_lockout_record(
        username=str(username or ""), ip_address=kwargs.get("ip_address") or request_address(request)
    )


def connect() -> None:
    from axes.signals import user_locked_out

    m2m_changed.connect(guard_role_groups, sender=User.groups.through, dispatch_uid="org.guard_role_groups")
    m2m_changed.connect(
        guard_user_permissions, sender=User.user_permissions.through, dispatch_uid="org.guard_user_permissions"
    )
    user_logged_in.connect(record_login, dispatch_uid="org.record_login")
    user_logged_out.connect(record_logout, dispatch_uid="org.record_logout")
    user_login_failed.connect(record_login_failed, dispatch_uid="org.record_login_failed")
    user_locked_out.connect(record_lockout, dispatch_uid="org.record_lockout")
