"""What smart dispatch keeps: its settings, the suggestions it made, the dispatchers' corrections, reply checks and
the signatures that find duplicates. The learning itself lives in `core/` (no ORM)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class DispatchSettings(models.Model):
    """One row: switches an administrator edits in the admin."""

    auto_dispatch_enabled = models.BooleanField(_("dispatch automatically above the threshold"), default=False)
    auto_dispatch_threshold = models.DecimalField(
        _("auto-dispatch confidence threshold"), max_digits=4, decimal_places=3, default=0.95
    )
    duplicate_window_days = models.PositiveSmallIntegerField(_("duplicates: look back (days)"), default=30)
    weak_reply_threshold = models.DecimalField(
        _("reply check: flag replies scoring below"), max_digits=4, decimal_places=3, default=0.6
    )

    class Meta:
        verbose_name = _("smart dispatch settings")
        verbose_name_plural = _("smart dispatch settings")

    def __str__(self) -> str:
        return str(self._meta.verbose_name)

    @classmethod
    def current(cls) -> DispatchSettings:
        obj, _created = cls.objects.get_or_create(pk=1)
        return obj


class DispatchSuggestion(models.Model):
    """A suggestion shown for an order (category top 3 and unit), with the model version that made it."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="dispatch_suggestions")
    created_at = models.DateTimeField(_("time"))
    model_version = models.CharField(_("model version"), max_length=64)
    categories = models.JSONField(_("suggested categories"), default=list)
    category = models.ForeignKey(
        "catalog.Category",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("suggested category"),
    )
    confidence = models.FloatField(_("confidence"))
    unit = models.ForeignKey(
        "org.Unit", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("suggested unit")
    )
    auto_dispatched = models.BooleanField(_("dispatched automatically"), default=False)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("dispatch suggestion")
        verbose_name_plural = _("dispatch suggestions")

    def __str__(self) -> str:
        return f"{self.case_id} {self.model_version} {self.confidence:.2f}"


class DispatchCorrection(models.Model):
    """A dispatcher chose another category or unit than suggested: kept to measure and to retrain on."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="dispatch_corrections")
    created_at = models.DateTimeField(_("time"))
    corrected_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    suggested_category = models.ForeignKey(
        "catalog.Category", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    final_category = models.ForeignKey(
        "catalog.Category", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    suggested_unit = models.ForeignKey("org.Unit", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    final_unit = models.ForeignKey("org.Unit", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("dispatch correction")
        verbose_name_plural = _("dispatch corrections")

    def __str__(self) -> str:
        return f"{self.case_id} correction"


class ReplyAssessment(models.Model):
    """The reply check of a unit's reply: relevance to the request and completeness, explained."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="reply_assessments")
    created_at = models.DateTimeField(_("time"))
    reply_text_sha256 = models.CharField(max_length=64)
    score = models.FloatField(_("score"))
    relevance = models.FloatField(_("relevance"))
    completeness = models.FloatField(_("completeness"))
    # {"verified": true, "action": true, "result": false, "contact": true, ...}
    elements = models.JSONField(_("elements found"), default=dict)
    explanation = models.JSONField(_("explanation"), default=list)
    is_weak = models.BooleanField(_("weak reply"), default=False, db_index=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("reply check")
        verbose_name_plural = _("reply checks")

    def __str__(self) -> str:
        return f"{self.case_id} {self.score:.2f}"


class DuplicateSignature(models.Model):
    """Locality-sensitive hash bands of an open order's text: orders sharing a band value are candidate duplicates.

    Looked up by (band, value) with an index, so finding candidates never scans all open orders.
    """

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="duplicate_signatures")
    band = models.PositiveSmallIntegerField()
    value = models.BigIntegerField()
    created_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["band", "value"]), models.Index(fields=["case"])]

    def __str__(self) -> str:
        return f"{self.case_id}:{self.band}:{self.value}"
