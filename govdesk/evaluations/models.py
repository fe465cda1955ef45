"""好差评: citizens' ratings of finished cases of any type, and the rectification (整改) of every bad one.

An `Evaluation` points at the rated `cases.Case` row, never at a case type, so work orders, applications and any later
case type are rated alike (and a rectification, itself a case, is rated the same way).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from govdesk.cases.models import Case

from .states import RectificationStatus

COMMENT_MAX_LENGTH = 500
# Levels of 国办发〔2019〕51号; 1 and 2 are 差评.
BAD_LEVEL_MAX = 2
SATISFIED_LEVEL_MIN = 4


class Level(models.IntegerChoices):
    VERY_SATISFIED = 5, _("Very satisfied")
    SATISFIED = 4, _("Satisfied")
    BASICALLY_SATISFIED = 3, _("Basically satisfied")
    DISSATISFIED = 2, _("Dissatisfied")
    VERY_DISSATISFIED = 1, _("Very dissatisfied")


class EvaluationChannel(models.TextChoices):
    WEB = "web", _("Web (signed in)")
    LINK = "link", _("Rating link")
    PAD = "pad", _("Counter pad / phone")
    API = "api", _("API")
    # Reserved for rating by text message reply; not accepted yet.
    SMS = "sms", _("Text message")


class Verification(models.TextChoices):
    NONE = "", _("Not a bad rating")
    PENDING = "pending", _("To be verified")
    JUSTIFIED = "justified", _("Justified")
    UNJUSTIFIED = "unjustified", _("Unjustified")


class Evaluation(models.Model):
    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.PROTECT, related_name="evaluations")
    level = models.PositiveSmallIntegerField(_("level"), choices=Level.choices)
    comment = models.TextField(_("comment"), max_length=COMMENT_MAX_LENGTH, blank=True)
    channel = models.CharField(_("channel"), max_length=10, choices=EvaluationChannel.choices)
    # Who entered it: the citizen, or the clerk or operator at the counter pad; empty for a rating link.
    rated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("rated by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # The case's responsible unit when it was rated: the rates stay with that unit after a later re-dispatch.
    unit = models.ForeignKey(
        "org.Unit", verbose_name=_("unit"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("rated at"), db_index=True)
    # Only services write this; an unjustified rating is left out of every rate.
    verification = models.CharField(
        _("verification"), max_length=12, choices=Verification.choices, default=Verification.NONE, blank=True
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("evaluation")
        verbose_name_plural = _("evaluations")
        constraints = [
            models.UniqueConstraint(fields=["case", "channel"], name="evaluation_one_per_case_channel"),
            models.CheckConstraint(condition=Q(level__gte=1, level__lte=5), name="evaluation_level_1_to_5"),
        ]
        indexes = [models.Index(fields=["unit", "created_at"])]

    def __str__(self) -> str:
        return f"{self.case_id}:{self.channel}:{self.level}"

    @property
    def is_bad(self) -> bool:
        return self.level <= BAD_LEVEL_MAX


STATUS_CHOICES = [
    (RectificationStatus.VERIFYING.value, _("Being verified")),
    (RectificationStatus.RECTIFYING.value, _("Being rectified")),
    (RectificationStatus.APPEALED.value, _("Appealed")),
    (RectificationStatus.ANSWERED.value, _("Rectified")),
    (RectificationStatus.CLOSED.value, _("Closed")),
]
STATUS_LABELS = dict(STATUS_CHOICES)


class Rectification(Case):
    """整改: the responsible unit's rectification of one bad rating, a case of its own (kind `rectification`)."""

    evaluation = models.OneToOneField(
        Evaluation, verbose_name=_("bad rating"), on_delete=models.PROTECT, related_name="rectification"
    )
    limit_days = models.PositiveSmallIntegerField(_("limit (working days)"))
    justified = models.BooleanField(_("justified"), null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    verification_note = models.TextField(_("verification note"), blank=True)
    answer = models.TextField(_("rectification answer"), blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    appeal_reason = models.TextField(_("appeal reason"), blank=True)
    appealed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    appealed_at = models.DateTimeField(_("appealed at"), null=True, blank=True)
    # Where a rejected appeal goes back to.
    appeal_from_status = models.CharField(max_length=20, blank=True)
    appeal_upheld = models.BooleanField(_("appeal upheld"), null=True, blank=True)
    appeal_decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    appeal_decided_at = models.DateTimeField(_("appeal decided at"), null=True, blank=True)
    appeal_note = models.TextField(_("appeal decision note"), blank=True)

    class Meta:
        verbose_name = _("rectification")
        verbose_name_plural = _("rectifications")

    def get_status_display(self) -> str:
        return str(STATUS_LABELS.get(self.status, self.status))

    @property
    def answered_on_time(self) -> bool | None:
        if self.answered_at is None or self.due_at is None:
            return None
        return self.answered_at <= self.due_at
