"""Order-list exports too large to build inside a request: built by the task worker, downloaded by their requester."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ExportStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Being prepared")
    DONE = "done", _("Ready")
    FAILED = "failed", _("Failed")


class ExportKind(models.TextChoices):
    ORDERS = "orders", _("Order list")
    APPLICATIONS = "applications", _("Application ledger")


class ExportJob(models.Model):
    """One requested list export (orders or applications). The file lives in the exports directory (never served as a
    static or media file) until the job expires; only its requester downloads it, and each step is in the audit
    trail."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("requested by"), on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(_("list"), max_length=12, choices=ExportKind.choices, default=ExportKind.ORDERS)
    filters = models.JSONField(_("filters"), default=dict, blank=True)
    unmask = models.BooleanField(_("full phone numbers"), default=False)
    unmask_reason = models.CharField(_("reason for full phone numbers"), max_length=200, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=ExportStatus.choices, default=ExportStatus.QUEUED)
    rows = models.PositiveIntegerField(_("rows"), default=0)
    expected_rows = models.PositiveIntegerField(_("expected rows"), default=0)
    file_name = models.CharField(max_length=100, blank=True)  # inside GOVDESK_EXPORT_DIR
    error = models.CharField(_("error"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("requested at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("order export")
        verbose_name_plural = _("order exports")
        indexes = [models.Index(fields=["requested_by", "-created_at"]), models.Index(fields=["created_at"])]
        # Bulk unmasking is its own right, granted per account by the security administrator: a role that may reveal
        # one number on an order page does not by that alone take hundreds in one file.
        permissions = [("export_unmasked", _("Can export the order list with full phone numbers"))]

    def __str__(self) -> str:
        return f"{self.pk} ({self.status})"

    @property
    def is_pending(self) -> bool:
        return self.status in (ExportStatus.QUEUED, ExportStatus.RUNNING)
