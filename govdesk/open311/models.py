"""Open311 API keys and the submissions that came through them (the work order itself lives in workorders)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from govdesk.common.fields import EncryptedCharField, EncryptedJSONField


class ApiKey(models.Model):
    """A client allowed to POST service requests. Only the key's SHA-256 is stored; the key is shown once."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    # The first characters of the key, so an administrator can tell keys apart without seeing them.
    prefix = models.CharField(_("key prefix"), max_length=12)
    key_hash = models.CharField(_("key hash (SHA-256)"), max_length=64, unique=True, editable=False)
    owner_unit = models.ForeignKey(
        "org.Unit", verbose_name=_("owner unit"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    owner_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"))
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("Open311 API key")
        verbose_name_plural = _("Open311 API keys")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class Submission(models.Model):
    """One POST to requests: which key sent it, what the client told us that the work order has no field for, and,
    for a batch service, the token the client polls until the order exists."""

    api_key = models.ForeignKey(ApiKey, verbose_name=_("API key"), on_delete=models.PROTECT, related_name="+")
    order = models.OneToOneField(
        "workorders.WorkOrder",
        verbose_name=_("work order"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="open311_submission",
    )
    token = models.CharField(_("token"), max_length=64, unique=True, null=True, blank=True)
    account_id = models.CharField(_("account ID"), max_length=100, blank=True)
    device_id = models.CharField(_("device ID"), max_length=100, blank=True)
    # Contact data is encrypted at rest (common.fields); the services check the e-mail address before it is stored.
    email = EncryptedCharField(_("email"), max_length=254, blank=True)
    # A number the mainland phone rules do not recognise (an international client's): kept here, not on the order.
    phone = EncryptedCharField(_("other phone number"), max_length=30, blank=True)
    media_url = models.URLField(_("media URL"), max_length=500, blank=True)
    # A batch submission's checked intake until the order is registered; emptied then. It holds the citizen's phone
    # and name, so it is encrypted as a whole.
    pending_intake = EncryptedJSONField(_("pending intake"), default=dict, blank=True)
    error = models.CharField(_("error"), max_length=400, blank=True)
    received_at = models.DateTimeField(_("received at"))
    processed_at = models.DateTimeField(_("processed at"), null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("Open311 submission")
        verbose_name_plural = _("Open311 submissions")

    def __str__(self) -> str:
        return self.token or str(self.order_id or self.pk)
