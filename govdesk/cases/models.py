"""What every case type shares: number, status, responsible units, deadlines, timeline, attachments, extensions.

A case type (work orders now; applications, packages and approvals later) is a subclass of `Case` (multi-table
inheritance), so supervision, statistics and the timeline work across all of them from one table.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class CaseKind(models.TextChoices):
    WORKORDER = "workorder", _("Work order")
    APPLICATION = "application", _("Application")
    # 好差评 整改: a bad rating's rectification by the responsible unit.
    RECTIFICATION = "rectification", _("Rectification")
    # 一件事一次办: a package application, the parent of one application per bundled matter.
    PACKAGE = "package", _("Package application")
    # 填报: a unit's periodic report into a district ledger (govdesk/reporting).
    REPORT = "report", _("Unit report")
    # 知识修订: a change of a hotline knowledge article, written by its unit, published by the centre
    # (govdesk/knowledge).
    KNOWLEDGE = "knowledge", _("Knowledge article revision")


class Case(models.Model):
    kind = models.CharField(_("kind"), max_length=20, choices=CaseKind.choices, editable=False)
    number = models.CharField(_("number"), max_length=32, unique=True, editable=False)
    # Only the case type's services write this, checked against its states.py table.
    status = models.CharField(_("status"), max_length=32, db_index=True, editable=False)
    title = models.CharField(_("title"), max_length=200)
    primary_unit = models.ForeignKey(
        "org.Unit", verbose_name=_("primary unit"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), db_index=True)
    updated_at = models.DateTimeField(_("updated at"))
    dispatched_at = models.DateTimeField(_("dispatched at"), null=True, blank=True)
    signed_at = models.DateTimeField(_("signed at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    sign_due_at = models.DateTimeField(_("sign-for deadline"), null=True, blank=True)
    due_at = models.DateTimeField(_("completion deadline"), null=True, blank=True, db_index=True)
    # Maintained by the periodic deadline sweep (cases_sweep_deadlines), so lists can filter on them cheaply.
    is_due_soon = models.BooleanField(_("due soon"), default=False)
    is_overdue = models.BooleanField(_("overdue"), default=False, db_index=True)
    is_sign_overdue = models.BooleanField(_("sign-for overdue"), default=False)
    is_open = models.BooleanField(_("open"), default=True, db_index=True)

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        indexes = [
            models.Index(fields=["primary_unit", "status"]),
            models.Index(fields=["kind", "created_at"]),
            # The deadline sweep's candidates, every minute: open cases by deadline, and the few flagged ones. Small
            # partial indexes, so the sweep reads the open or flagged cases and never walks every deadline (at a
            # million orders nearly every deadline is in the past).
            models.Index(fields=["due_at"], condition=Q(is_open=True, is_overdue=False), name="case_open_due"),
            models.Index(
                fields=["id"],
                condition=Q(is_open=False) & (Q(is_due_soon=True) | Q(is_sign_overdue=True) | Q(is_overdue=True)),
                name="case_closed_flagged",
            ),
            models.Index(
                fields=["sign_due_at"], condition=Q(is_open=True, signed_at__isnull=True), name="case_open_unsigned"
            ),
            models.Index(fields=["due_at"], condition=Q(is_due_soon=True), name="case_flag_due_soon"),
            models.Index(fields=["due_at"], condition=Q(is_overdue=True), name="case_flag_overdue"),
            models.Index(fields=["sign_due_at"], condition=Q(is_sign_overdue=True), name="case_flag_sign_overdue"),
        ]

    def __str__(self) -> str:
        return self.number


class AssignmentRole(models.TextChoices):
    PRIMARY = "primary", _("Primary unit")
    CO = "co", _("Co-unit")


class CaseUnit(models.Model):
    """A unit's responsibility for a case (主办 or 协办). Inactive rows are the history of earlier dispatches."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="assignments")
    unit = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="case_assignments")
    role = models.CharField(_("role"), max_length=10, choices=AssignmentRole.choices)
    assigned_at = models.DateTimeField(_("assigned at"))
    signed_at = models.DateTimeField(_("signed at"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        constraints = [
            models.UniqueConstraint(
                fields=["case", "unit"], condition=Q(is_active=True), name="caseunit_one_active_per_unit"
            ),
            models.UniqueConstraint(
                fields=["case"], condition=Q(is_active=True, role="primary"), name="caseunit_one_active_primary"
            ),
        ]
        indexes = [models.Index(fields=["unit", "is_active"])]

    def __str__(self) -> str:
        return f"{self.case_id}:{self.unit_id}:{self.role}"


class CaseEvent(models.Model):
    """The case's timeline: what happened, who did it, and whether the citizen may see it."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    occurred_at = models.DateTimeField(_("time"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_unit = models.ForeignKey("org.Unit", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    action = models.CharField(_("action"), max_length=32)
    from_status = models.CharField(_("from"), max_length=32, blank=True)
    to_status = models.CharField(_("to"), max_length=32, blank=True)
    note = models.TextField(_("note"), blank=True)
    is_public = models.BooleanField(_("public"), default=False)
    data = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        ordering = ["occurred_at", "id"]
        verbose_name = _("timeline event")
        verbose_name_plural = _("timeline events")
        indexes = [models.Index(fields=["case", "occurred_at"])]

    def __str__(self) -> str:
        return f"{self.action} {self.occurred_at:%Y-%m-%d %H:%M}"


def attachment_path(instance: Attachment, filename: str) -> str:
    # The stored name is the content hash: no user-supplied names on disk.
    return f"attachments/{instance.sha256[:2]}/{instance.sha256}"


class Attachment(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_path, max_length=200)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("type"), max_length=50)
    size = models.PositiveIntegerField(_("size"))
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded at"))

    class Meta:
        ordering = ["uploaded_at", "id"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.original_name


class ExtensionStatus(models.TextChoices):
    PENDING = "pending", _("Pending review")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class ExtensionRequest(models.Model):
    """延期: asked before the deadline with a reason, reviewed by the centre."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="extensions")
    unit = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="+")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(_("requested at"))
    working_days = models.PositiveSmallIntegerField(_("extra working days"))
    reason = models.TextField(_("reason"))
    status = models.CharField(
        _("status"), max_length=10, choices=ExtensionStatus.choices, default=ExtensionStatus.PENDING
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    review_note = models.TextField(_("review note"), blank=True)
    previous_due_at = models.DateTimeField(null=True, blank=True)
    new_due_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["requested_at"]
        verbose_name = _("extension request")
        verbose_name_plural = _("extension requests")
        constraints = [
            models.UniqueConstraint(
                fields=["case"], condition=Q(status="pending"), name="extension_one_pending_per_case"
            )
        ]

    def __str__(self) -> str:
        return f"+{self.working_days} {self.status}"


class SuspensionKind(models.TextChoices):
    """Special procedures whose time is not counted in the limit (行政许可法 第45条)."""

    HEARING = "hearing", _("Hearing")
    TESTING = "testing", _("Testing / inspection")
    EXPERT_REVIEW = "expert_review", _("Expert review")
    OTHER = "other", _("Other")


class CaseSuspension(models.Model):
    """A stopped clock (中止/特殊环节): kept as a record with its reason, start, end and working days, shown on the
    case. While one is open the case's deadline does not run; ending it moves the deadline by its working days."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="suspensions")
    kind = models.CharField(_("kind"), max_length=20, choices=SuspensionKind.choices, default=SuspensionKind.OTHER)
    reason = models.TextField(_("reason"))
    started_at = models.DateTimeField(_("started at"))
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    # Filled when it ends: the working days the deadline was moved by.
    working_days = models.PositiveSmallIntegerField(_("working days"), default=0)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The case's deadline is cleared while the clock stands (so the deadline sweep never flags a suspended case
    # overdue) and set again, later by `working_days`, when it resumes.
    previous_due_at = models.DateTimeField(_("deadline before"), null=True, blank=True)
    new_due_at = models.DateTimeField(_("deadline after"), null=True, blank=True)

    class Meta:
        ordering = ["started_at", "id"]
        verbose_name = _("suspension")
        verbose_name_plural = _("suspensions")
        constraints = [
            models.UniqueConstraint(fields=["case"], condition=Q(ended_at__isnull=True), name="suspension_one_open")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.started_at:%Y-%m-%d}"
