"""API tokens (stored only as a hash) and the two-factor view of an account for the security administrator."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from govdesk.org.models import User


class ApiToken(models.Model):
    """One `POST /api/v1/auth/token/` login. The key itself is shown once and never stored (only its SHA-256).

    Valid while not revoked, before `expires_at` (absolute lifetime) and within the idle lifetime of `last_used_at`.
    """

    key_hash = models.CharField(_("key hash"), max_length=64, unique=True)
    # The first characters of the key, so a person can tell their tokens apart without the secret.
    prefix = models.CharField(_("prefix"), max_length=8)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="api_tokens"
    )
    created_at = models.DateTimeField(_("created at"))
    last_used_at = models.DateTimeField(_("last used at"))
    expires_at = models.DateTimeField(_("expires at"))
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_reason = models.CharField(_("revocation reason"), max_length=32, blank=True)
    client_ip = models.GenericIPAddressField(_("client address"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        default_permissions = ("view", "change")
        indexes = [
            # Revoking every live token of an account (password change, lockout, deactivation).
            models.Index(fields=["user"], condition=models.Q(revoked_at__isnull=True), name="apitoken_live_by_user"),
        ]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user_id})"


class TwoFactorAccount(User):
    """An account as the security administrator sees it for two-factor login: enrolled or not, and the reset."""

    class Meta:
        proxy = True
        verbose_name = _("two-factor login")
        verbose_name_plural = _("two-factor logins")
        default_permissions = ("view", "change")
