"""Supervision (督办): its settings, what the sweep urged and escalated, and the 督办 cases with their entries.

Nothing here is stored on the work order itself: the order keeps its `urge_count` (written by `workorder_urge`), and
everything else supervision knows lives in these tables, keyed by the order's case row.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .states import ACTIVE_STATUSES, CaseStatus


class DelayUnit(models.TextChoices):
    WORKING_HOURS = "working_hours", _("working hours")
    WORKING_DAYS = "working_days", _("working days")


class SupervisionSettings(models.Model):
    """One row: how the periodic job urges and escalates, and the default answer time of a 督办."""

    auto_urge_enabled = models.BooleanField(_("urge automatically"), default=True)
    urge_due_soon = models.BooleanField(_("urge orders when they become due soon"), default=True)
    reurge_interval_days = models.PositiveSmallIntegerField(
        _("urge overdue orders again every (working days)"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(30)],
    )
    escalation_delay = models.PositiveSmallIntegerField(
        _("escalate to the supervisors after being overdue for"),
        default=2,
        validators=[MinValueValidator(1), MaxValueValidator(240)],
    )
    escalation_delay_unit = models.CharField(
        _("unit of the escalation delay"), max_length=20, choices=DelayUnit.choices, default=DelayUnit.WORKING_DAYS
    )
    answer_days = models.PositiveSmallIntegerField(
        _("default answer time of a supervision case (working days)"),
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(30)],
    )

    class Meta:
        verbose_name = _("supervision settings")
        verbose_name_plural = _("supervision settings")

    def __str__(self) -> str:
        return str(self._meta.verbose_name)

    @classmethod
    def current(cls) -> SupervisionSettings:
        obj, _created = cls.objects.get_or_create(pk=1)
        return obj


class UrgeKind(models.TextChoices):
    DUE_SOON = "due_soon", _("Due soon")
    OVERDUE = "overdue", _("Overdue")


class SupervisionUrge(models.Model):
    """One automatic 催办. An episode is (order, kind, deadline): a new deadline (extension, 重办) starts a new one.

    The unique constraint makes the sweep idempotent even if two sweeps ever ran at once.
    """

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="supervision_urges")
    kind = models.CharField(_("kind"), max_length=10, choices=UrgeKind.choices)
    due_at = models.DateTimeField(_("deadline urged about"))
    sequence = models.PositiveIntegerField(_("urge number in the episode"), default=0)
    urged_at = models.DateTimeField(_("urged at"))

    class Meta:
        ordering = ["urged_at", "id"]
        verbose_name = _("automatic urge")
        verbose_name_plural = _("automatic urges")
        constraints = [
            models.UniqueConstraint(fields=["case", "kind", "due_at", "sequence"], name="supervisionurge_once_per_slot")
        ]

    def __str__(self) -> str:
        return f"{self.case_id}:{self.kind}:{self.sequence}"


class EscalationStatus(models.TextChoices):
    OPEN = "open", _("Waiting for a supervisor")
    HANDLED = "handled", _("Handled")
    RESOLVED = "resolved", _("No longer overdue")


class Escalation(models.Model):
    """An order overdue for longer than the escalation delay, put on the supervisors' worklist (once per deadline)."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="supervision_escalations")
    due_at = models.DateTimeField(_("deadline"))
    escalated_at = models.DateTimeField(_("escalated at"))
    status = models.CharField(
        _("status"), max_length=10, choices=EscalationStatus.choices, default=EscalationStatus.OPEN
    )
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    handled_at = models.DateTimeField(_("handled at"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["escalated_at", "id"]
        verbose_name = _("escalation")
        verbose_name_plural = _("escalations")
        constraints = [models.UniqueConstraint(fields=["case", "due_at"], name="escalation_once_per_deadline")]
        indexes = [models.Index(fields=["status", "escalated_at"])]

    def __str__(self) -> str:
        return f"{self.case_id}:{self.status}"


CASE_STATUS_CHOICES = [
    (CaseStatus.OPEN.value, _("Waiting for the answer")),
    (CaseStatus.ANSWERED.value, _("Answered, to review")),
    (CaseStatus.CLOSED.value, _("Closed")),
]


class SupervisionCase(models.Model):
    """督办: a supervisor's case on one work order, answered by the order's primary unit by a deadline."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="supervision_cases")
    # Only supervision.services writes this, checked against states.py.
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=CASE_STATUS_CHOICES,
        default=CaseStatus.OPEN,
        editable=False,
    )
    reason = models.TextField(_("reason"))
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    opened_at = models.DateTimeField(_("opened at"))
    answer_days = models.PositiveSmallIntegerField(_("answer time (working days)"))
    answer_due_at = models.DateTimeField(_("answer deadline"))
    # Maintained by the sweep and by the services, so lists can filter cheaply; pages also compare with the clock.
    is_overdue = models.BooleanField(_("answer overdue"), default=False)
    answer = models.TextField(_("answer"), blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    answered_unit = models.ForeignKey("org.Unit", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    reopen_count = models.PositiveSmallIntegerField(_("reopened"), default=0)
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        ordering = ["-opened_at", "-id"]
        verbose_name = _("supervision case")
        verbose_name_plural = _("supervision cases")
        constraints = [
            models.UniqueConstraint(
                fields=["case"],
                condition=Q(status__in=sorted(s.value for s in ACTIVE_STATUSES)),
                name="supervisioncase_one_active_per_order",
            )
        ]
        indexes = [models.Index(fields=["status", "answer_due_at"])]

    def __str__(self) -> str:
        return f"督办 {self.pk} ({self.status})"


class EntryKind(models.TextChoices):
    OPEN = "open", _("Opened")
    NOTE = "note", _("Supervisor's note")
    ANSWER = "answer", _("Unit's answer")
    CLOSE = "close", _("Closed")
    REOPEN = "reopen", _("Reopened")


class SupervisionEntry(models.Model):
    """The 督办's own history: the reason, every note, every answer (kept after a reopen), the closing note."""

    supervision_case = models.ForeignKey(SupervisionCase, on_delete=models.CASCADE, related_name="entries")
    kind = models.CharField(_("kind"), max_length=10, choices=EntryKind.choices)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey("org.Unit", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("time"))
    text = models.TextField(_("text"), blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("supervision entry")
        verbose_name_plural = _("supervision entries")

    def __str__(self) -> str:
        return f"{self.kind} {self.created_at:%Y-%m-%d %H:%M}"
