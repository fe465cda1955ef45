"""Reporting (填报): the office issues a task for one ledger and period to some units; each unit's report for it is a
case (`CaseKind.REPORT`, numbers TB…), so it has the case's deadline in working days, timeline, audit and urging.

The rows a unit enters are kept raw, as entered (strings from the grid form or the xlsx template), so nothing typed is
lost while it is wrong; the ledger gets them only when the office accepts, cleaned by the ledger's own rules."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from govdesk.cases.models import Case

from .states import Status


class StatusChoices(models.TextChoices):
    # "report" context: the short words mean other things elsewhere in the platform ("Accepted" is 受理 there).
    ASSIGNED = Status.ASSIGNED.value, pgettext_lazy("report", "To be filled")
    DRAFT = Status.DRAFT.value, pgettext_lazy("report", "Being filled")
    SUBMITTED = Status.SUBMITTED.value, pgettext_lazy("report", "Awaiting review")
    RETURNED = Status.RETURNED.value, pgettext_lazy("report", "Returned")
    ACCEPTED = Status.ACCEPTED.value, pgettext_lazy("report", "Accepted")


class ReportingTask(models.Model):
    """A reporting task (填报任务): one ledger kind and period, for the units it was issued to."""

    kind = models.CharField(_("ledger"), max_length=32)
    year = models.PositiveSmallIntegerField(_("year"))
    # None for an annual ledger.
    month = models.PositiveSmallIntegerField(_("month"), null=True, blank=True)
    title = models.CharField(_("title"), max_length=200)
    deadline_days = models.PositiveSmallIntegerField(_("working days to report"))
    due_at = models.DateTimeField(_("deadline"))
    issued_at = models.DateTimeField(_("issued at"))
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("issued by"), on_delete=models.PROTECT, related_name="+"
    )
    note = models.TextField(_("note"), blank=True)
    units: models.ManyToManyField[Any, Any] = models.ManyToManyField(
        "org.Unit",
        verbose_name=_("units"),
        through="Report",
        through_fields=("task", "unit"),
        related_name="reporting_tasks",
    )

    class Meta:
        ordering = ["-issued_at", "-id"]
        verbose_name = _("reporting task")
        verbose_name_plural = _("reporting tasks")
        indexes = [models.Index(fields=["kind", "year", "month"])]

    def __str__(self) -> str:
        return self.title


class Report(Case):
    """One unit's report for a task. `unit` is the case's primary unit (kept equal), named here so that the task's
    units are a many-to-many through the reports."""

    task = models.ForeignKey(ReportingTask, verbose_name=_("task"), on_delete=models.PROTECT, related_name="reports")
    unit = models.ForeignKey("org.Unit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    # The unit's current rows, raw as entered: a list of {column field: value}.
    rows = models.JSONField(_("rows"), default=list, blank=True)
    # The unit's notes on large changes: {row number (1-based, as text): note}.
    notes = models.JSONField(_("notes"), default=dict, blank=True)
    # The number of submitted versions (ReportVersion); 0 until the first submission.
    version = models.PositiveIntegerField(_("version"), default=0)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)

    class Meta:
        verbose_name = _("unit report")
        verbose_name_plural = _("unit reports")
        constraints = [models.UniqueConstraint(fields=["task", "unit"], name="report_once_per_task_and_unit")]

    def get_status_display(self) -> str:
        return str(dict(StatusChoices.choices).get(self.status, self.status))


class Decision(models.TextChoices):
    RETURNED = "returned", pgettext_lazy("report", "Returned")
    ACCEPTED = "accepted", pgettext_lazy("report", "Accepted")


class ReportVersion(models.Model):
    """Every submission, kept as submitted, with the office's decision on it."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField(_("version"))
    rows = models.JSONField(_("rows"), default=list)
    notes = models.JSONField(_("notes"), default=dict, blank=True)
    submitted_at = models.DateTimeField(_("submitted at"))
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("submitted by"), on_delete=models.PROTECT, related_name="+"
    )
    decision = models.CharField(_("decision"), max_length=10, choices=Decision.choices, blank=True)
    decision_note = models.TextField(_("decision note"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        ordering = ["report", "version"]
        verbose_name = _("report version")
        verbose_name_plural = _("report versions")
        constraints = [
            models.UniqueConstraint(fields=["report", "version"], name="report_version_once"),
            models.CheckConstraint(
                condition=Q(decision="") | Q(decided_at__isnull=False), name="report_version_decided_at"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.report_id} v{self.version}"
