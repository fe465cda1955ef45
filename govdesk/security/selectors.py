"""Reads: who must pass two-factor login, whether an account is enrolled, an API token by its key."""

from __future__ import annotations

import hashlib
from typing import Any

from django.conf import settings
from django_otp import user_has_device
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from govdesk.org.models import Role

from .models import ApiToken

# 等保2.0 8.1.4.1 d: the three administrators always log in with two factors, whatever the configuration says.
ADMINISTRATOR_ROLES = frozenset({Role.SYSADMIN.value, Role.SECADMIN.value, Role.AUDITOR.value})


def api_token_key_hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def api_token_get(*, key: str) -> ApiToken | None:
    """The token with this key, with its user and the user's unit (every write records the unit): one query."""
    return ApiToken.objects.select_related("user", "user__unit").filter(key_hash=api_token_key_hash(key)).first()


def twofactor_required_roles() -> frozenset[str]:
    """The administrator roles plus GOVDESK_2FA_ROLES (settings.GOVDESK["TWO_FACTOR_ROLES"])."""
    configured: Any = settings.GOVDESK.get("TWO_FACTOR_ROLES", ())
    return ADMINISTRATOR_ROLES | frozenset(configured)


def twofactor_required(user: Any) -> bool:
    """Whether the account's roles oblige it to log in with a second factor."""
    return bool(getattr(user, "is_authenticated", False) and user.roles & twofactor_required_roles())


def twofactor_enrolled(user: Any) -> bool:
    """Whether the account has a confirmed authenticator (TOTP) device."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def twofactor_needed(user: Any) -> bool:
    """A login needs the second factor when the role requires it or the person enrolled anyway."""
    return twofactor_required(user) or user_has_device(user, confirmed=True)


def recovery_codes_left(user: Any) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()
