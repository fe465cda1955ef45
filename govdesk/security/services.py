"""API tokens (issue, use, revoke) and two-factor login (enrol, verify, reset). Every change is audited."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _
from django_otp import match_token
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from govdesk.audit.services import audit_append
from govdesk.common import clock
from govdesk.common.errors import PermissionDenied, ValidationFailed
from govdesk.org.models import Role

from .models import ApiToken
from .selectors import api_token_key_hash

# last_used_at is written at most this often per token: one UPDATE a minute instead of one per request. The idle
# lifetime is therefore counted from a moment up to a minute before the last use (it never lasts longer).
TOKEN_TOUCH_INTERVAL = timedelta(minutes=1)
RECOVERY_CODE_COUNT = 10
RECOVERY_DEVICE_NAME = "recovery"


def _setting_int(name: str) -> int:
    value: Any = settings.GOVDESK[name]
    return int(value)


def api_token_idle_lifetime() -> timedelta:
    return timedelta(minutes=_setting_int("API_TOKEN_IDLE_MINUTES"))


def api_token_max_lifetime() -> timedelta:
    return timedelta(hours=_setting_int("API_TOKEN_MAX_HOURS"))


@transaction.atomic
def api_token_issue(*, user: Any, ip_address: str | None = None) -> tuple[ApiToken, str]:
    """A new token for one API login; returns the row and the key, which is never stored and cannot be shown again."""
    key = secrets.token_urlsafe(32)
    now = clock.now()
    token = ApiToken.objects.create(
        key_hash=api_token_key_hash(key),
        prefix=key[:8],
        user=user,
        created_at=now,
        last_used_at=now,
        expires_at=now + api_token_max_lifetime(),
        client_ip=ip_address,
    )
    audit_append(
        action="api_token.issue",
        actor=user,
        object_type="api_token",
        object_id=token.pk,
        note=f"prefix={token.prefix} expires_at={token.expires_at.isoformat()}",
        ip_address=ip_address,
    )
    return token, key


def api_token_refusal(token: ApiToken, *, now: datetime) -> str | None:
    """Why this token may not be used now (a message for the client), or None when it may."""
    if token.revoked_at is not None:
        return _("This token was revoked (logout, password change, lockout or deactivation); obtain a new one.")
    if not token.user.is_active:
        return _("User inactive or deleted.")
    if now >= token.expires_at:
        return _("This token has expired (it lives at most %(hours)d hours); obtain a new one.") % {
            "hours": _setting_int("API_TOKEN_MAX_HOURS")
        }
    if now >= token.last_used_at + api_token_idle_lifetime():
        return _("This token has expired after %(minutes)d minutes unused; obtain a new one.") % {
            "minutes": _setting_int("API_TOKEN_IDLE_MINUTES")
        }
    return None


def api_token_touch(token: ApiToken, *, now: datetime) -> None:
    """Record the use for the idle lifetime, at most once a minute per token (no write on most requests)."""
    if now - token.last_used_at < TOKEN_TOUCH_INTERVAL:
        return
    ApiToken.objects.filter(pk=token.pk, last_used_at__lt=now - TOKEN_TOUCH_INTERVAL).update(last_used_at=now)
    token.last_used_at = now


@transaction.atomic
def api_token_revoke(*, token: ApiToken, reason: str, acting_user: Any = None, ip_address: str | None = None) -> bool:
    """Revoke one token (logout); False when it was revoked already."""
    now = clock.now()
    changed = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
        revoked_at=now, revoked_reason=reason[:32]
    )
    if not changed:
        return False
    token.revoked_at, token.revoked_reason = now, reason[:32]
    audit_append(
        action="api_token.revoke",
        actor=acting_user,
        object_type="api_token",
        object_id=token.pk,
        note=f"prefix={token.prefix} reason={reason}",
        ip_address=ip_address,
    )
    return True


@transaction.atomic
def api_tokens_revoke_for_user(
    *, user: Any, reason: str, acting_user: Any = None, ip_address: str | None = None
) -> int:
    """Revoke every live token of an account (password change, lockout, deactivation, role change, reset)."""
    count = ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(
        revoked_at=clock.now(), revoked_reason=reason[:32]
    )
    if count:
        audit_append(
            action="api_token.revoke_all",
            actor=acting_user,
            object_type="user",
            object_id=user.get_username(),
            note=f"reason={reason} tokens={count}",
            ip_address=ip_address,
        )
    return count


# Two-factor login ---------------------------------------------------------------------------------------------------


@transaction.atomic
def totp_enrolment_start(*, user: Any) -> TOTPDevice:
    """The account's pending (unconfirmed) authenticator, created on first call: reloading the page keeps the secret
    the person may already have scanned."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)
    return device


def _normalise_code(code: str) -> str:
    # People type codes with spaces or dashes, as authenticator apps and printed recovery sheets show them.
    return "".join(ch for ch in str(code) if ch not in " -\t").lower()[:32]


def totp_enrolment_confirm(*, user: Any, device: TOTPDevice, code: str, ip_address: str | None = None) -> list[str]:
    """Confirm the pending authenticator with a code from it; returns the new recovery codes (shown once).

    The check runs outside the transaction so that a wrong code's audit event and the device's throttling state are
    kept; only the confirmation itself is all-or-nothing.
    """
    if device.user_id != user.pk or device.confirmed:
        raise ValidationFailed(_("This enrolment is no longer valid: start again."))
    if not device.verify_token(_normalise_code(code)):
        audit_append(
            action="twofactor.enrol",
            actor=user,
            object_type="user",
            object_id=user.get_username(),
            note="wrong code",
            success=False,
            ip_address=ip_address,
        )
        raise ValidationFailed(
            _("The code is not right: enter the 6 digits the app shows now."),
            fields={"otp": [_("The code is not right.")]},
        )
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = _recovery_codes_replace(user)
        audit_append(
            action="twofactor.enrol",
            actor=user,
            object_type="user",
            object_id=user.get_username(),
            note=f"totp device {device.pk}, {len(codes)} recovery codes",
            ip_address=ip_address,
        )
    return codes


def _recovery_codes_replace(user: Any) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE_NAME, confirmed=True)
    codes = [StaticToken.random_token() for _i in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


def twofactor_verify(*, user: Any, code: str, ip_address: str | None = None) -> Any:
    """The device that accepts `code` (a TOTP code or a one-time recovery code, which is used up), or None.

    Audited either way; the caller counts a failure as a failed login (lockout) and logs the person in on success.
    """
    normalised = _normalise_code(code)
    device = match_token(user, normalised) if normalised else None
    if device is None:
        audit_append(
            action="twofactor.verify",
            actor=user,
            object_type="user",
            object_id=user.get_username(),
            note="wrong code",
            success=False,
            ip_address=ip_address,
        )
        return None
    if isinstance(device, StaticDevice):
        left = StaticToken.objects.filter(device=device).count()
        audit_append(
            action="twofactor.recovery_code_used",
            actor=user,
            object_type="user",
            object_id=user.get_username(),
            note=f"{left} recovery codes left",
            ip_address=ip_address,
        )
    else:
        audit_append(
            action="twofactor.verify",
            actor=user,
            object_type="user",
            object_id=user.get_username(),
            note="totp",
            ip_address=ip_address,
        )
    return device


@transaction.atomic
def twofactor_reset(user: Any, acting_user: Any, *, ip_address: str | None = None) -> int:
    """Remove an account's authenticator and recovery codes (a lost phone); the person enrols again at next login.

    Only a security administrator, and not for their own account (another one must do it, so a stolen session
    cannot swap the second factor). The account's API tokens are revoked too. Returns how many devices went.
    """
    if acting_user is None or not acting_user.has_role(Role.SECADMIN):
        raise PermissionDenied(_("Only a security administrator can reset two-factor login."))
    if acting_user.pk == user.pk:
        raise ValidationFailed(_("Another security administrator must reset your own two-factor login."))
    devices = TOTPDevice.objects.filter(user=user).count() + StaticDevice.objects.filter(user=user).count()
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()  # its recovery codes go with it
    api_tokens_revoke_for_user(user=user, reason="twofactor_reset", acting_user=acting_user, ip_address=ip_address)
    audit_append(
        action="twofactor.reset",
        actor=acting_user,
        object_type="user",
        object_id=user.get_username(),
        note=f"{devices} devices removed",
        ip_address=ip_address,
    )
    return devices
