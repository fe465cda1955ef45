"""Reactions to the account layer's announcements (govdesk.org.signals). Each calls one service."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from govdesk.org.signals import account_credentials_changed

from .services import api_tokens_revoke_for_user


@receiver(account_credentials_changed, dispatch_uid="security.revoke_api_tokens")
def revoke_api_tokens_on_credentials_change(
    sender: Any, user: Any, reason: str = "", acting_user: Any = None, **kwargs: Any
) -> None:
    """What the old password, role or active account granted must not outlive it (finding 5)."""
    api_tokens_revoke_for_user(user=user, reason=reason or "credentials_changed", acting_user=acting_user)
