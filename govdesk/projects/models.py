"""Engineering construction project approval (工程建设项目审批, 国办发〔2019〕11号).

The flow side is data an administrator edits and imports: a `ProjectType` (government-invested works, social-investment
works, small low-risk works, land sold with an approved design, …) has a total limit and numbered `FlowStage`s; a
stage is a package of matters (packages.Package: its matters, merged form, merged materials and lead unit are the
stage's) with the stage's own limit, the matters approved on commitment (告知承诺) and the matters that form its
joint acceptance (联合验收: inspected together, one result).

The case side: a `Project` registered with its national project code, owner, type, location, investment and land
goes through its `ProjectStage`s. A stage opens when the one before is done (or with it, where the flow says so); to
apply for it is to submit the stage's package application, which reuses the answers and documents earlier stages
received (`Project.form`, `ProjectDocument`). The stage is done when its package is decided with every part approved;
its clock runs in working days from acceptance and stands while a part is suspended for a special procedure.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from govdesk.common.fields import BlindIndexField, EncryptedCharField


class ProjectType(models.Model):
    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    # The promised total, in working days of the government's time (the applicant's time between stages and for
    # corrections is not counted).
    total_limit_days = models.PositiveIntegerField(_("total time limit (working days)"))
    is_active = models.BooleanField(_("active"), default=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["order", "code"]
        verbose_name = _("project type")
        verbose_name_plural = _("project types")

    def __str__(self) -> str:
        return self.name


class FlowStage(models.Model):
    """One stage of a project type's flow.

    `commitment_matters`: codes of the stage's matters approved on the applicant's commitment (告知承诺), verified
    later. `joint_matters`: codes of the matters inspected together as one joint acceptance; their approvals issue no
    permits of their own but one `joint_result_name` permit from the lead unit. `permit_kinds`: {matter code: the
    document its approval issues} (default: the matter's name).
    """

    project_type = models.ForeignKey(
        ProjectType, verbose_name=_("project type"), on_delete=models.CASCADE, related_name="stages"
    )
    no = models.PositiveSmallIntegerField(_("stage"))
    name = models.CharField(_("name"), max_length=100)
    package = models.ForeignKey(
        "packages.Package", verbose_name=_("package of matters"), on_delete=models.PROTECT, related_name="+"
    )
    limit_days = models.PositiveIntegerField(_("time limit (working days)"))
    # Opens together with the stage before it instead of after it (a utility connection beside construction).
    opens_with_previous = models.BooleanField(_("opens with the previous stage"), default=False)
    commitment_matters = models.JSONField(_("approved on commitment (matter codes)"), default=list, blank=True)
    joint_matters = models.JSONField(_("joint acceptance (matter codes)"), default=list, blank=True)
    joint_result_name = models.CharField(_("joint acceptance result"), max_length=100, blank=True)
    joint_limit_days = models.PositiveIntegerField(_("joint acceptance time limit (working days)"), default=0)
    permit_kinds = models.JSONField(_("documents issued (by matter code)"), default=dict, blank=True)

    class Meta:
        ordering = ["project_type", "no"]
        verbose_name = _("flow stage")
        verbose_name_plural = _("flow stages")
        constraints = [models.UniqueConstraint(fields=["project_type", "no"], name="flow_stage_no_unique")]

    def __str__(self) -> str:
        return f"{self.project_type_id}/{self.no} {self.name}"


class ProjectStatus(models.TextChoices):
    UNDER_WAY = "under_way", _("Under way")
    COMPLETED = "completed", _("Completed")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class Project(models.Model):
    # 项目代码 of the national investment project platform, e.g. "2026-141102-47-01-000123".
    code = models.CharField(_("project code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200, db_index=True)
    type = models.ForeignKey(ProjectType, verbose_name=_("type"), on_delete=models.PROTECT, related_name="projects")
    owner = models.CharField(_("owner (建设单位)"), max_length=200)
    owner_credit_code = models.CharField(_("unified social credit code"), max_length=18, blank=True)
    contact_name = models.CharField(_("contact"), max_length=100)
    contact_phone = EncryptedCharField(_("contact phone"), max_length=20, blank=True)
    contact_id_number = EncryptedCharField(_("contact ID number"), max_length=18, blank=True)
    contact_phone_index = BlindIndexField(source="contact_phone", kind="phone")
    # 万元
    investment = models.DecimalField(_("investment (10,000 yuan)"), max_digits=14, decimal_places=2)
    location = models.CharField(_("location"), max_length=200)
    land = models.CharField(_("land"), max_length=200, blank=True)
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("applicant account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="own_projects",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=ProjectStatus.choices, default=ProjectStatus.UNDER_WAY, db_index=True
    )
    registered_at = models.DateTimeField(_("registered at"), db_index=True)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    # The one form: every answer any stage received, by merged-form field name; a later stage's form starts from it.
    form = models.JSONField(_("project form"), default=dict, blank=True)
    # Working days of government time counted so far over all stages, and the total's deadline projected from them.
    elapsed_days = models.PositiveIntegerField(_("working days used"), default=0)
    due_at = models.DateTimeField(_("total deadline"), null=True, blank=True)
    at_risk = models.BooleanField(_("at risk"), default=False, db_index=True)

    class Meta:
        ordering = ["-registered_at", "-id"]
        verbose_name = _("construction project")
        verbose_name_plural = _("construction projects")
        indexes = [
            models.Index(fields=["type", "status"], name="project_type_status"),
            # The portfolio's order (at risk first, then the newest), read backwards instead of sorting every row.
            models.Index(fields=["at_risk", "registered_at", "id"], name="project_portfolio_order"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class StageStatus(models.TextChoices):
    LOCKED = "locked", _("Waiting for the stage before")
    OPEN = "open", _("Open for application")
    UNDER_WAY = "under_way", _("Under way")
    NOT_PASSED = "not_passed", _("Not passed: apply again")
    DONE = "done", _("Done")


class ProjectStage(models.Model):
    project = models.ForeignKey(Project, verbose_name=_("project"), on_delete=models.CASCADE, related_name="stages")
    flow_stage = models.ForeignKey(FlowStage, verbose_name=_("flow stage"), on_delete=models.PROTECT, related_name="+")
    no = models.PositiveSmallIntegerField(_("stage"))
    name = models.CharField(_("name"), max_length=100)
    limit_days = models.PositiveIntegerField(_("time limit (working days)"))
    status = models.CharField(
        _("status"), max_length=10, choices=StageStatus.choices, default=StageStatus.LOCKED, db_index=True
    )
    opened_at = models.DateTimeField(_("opened at"), null=True, blank=True)
    # The current attempt (a stage not passed is applied for again); every attempt is a `StageApplication`.
    package_application = models.ForeignKey(
        "packages.PackageApplication", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    started_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    due_at = models.DateTimeField(_("stage deadline"), null=True, blank=True, db_index=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    # Working days counted from acceptance to the decision, less the days a part stood suspended.
    elapsed_days = models.PositiveIntegerField(_("working days used"), null=True, blank=True)

    class Meta:
        ordering = ["project", "no"]
        verbose_name = _("project stage")
        verbose_name_plural = _("project stages")
        constraints = [models.UniqueConstraint(fields=["project", "no"], name="project_stage_no_unique")]

    def __str__(self) -> str:
        return f"{self.project_id}/{self.no}"


class StageApplication(models.Model):
    """Every package application submitted for a stage, in order (the current one is the stage's)."""

    stage = models.ForeignKey(ProjectStage, on_delete=models.CASCADE, related_name="applications")
    package_application = models.OneToOneField(
        "packages.PackageApplication", on_delete=models.PROTECT, related_name="project_stage_application"
    )
    attempt = models.PositiveSmallIntegerField(_("attempt"), default=1)

    class Meta:
        ordering = ["stage", "attempt"]
        verbose_name = _("stage application")
        verbose_name_plural = _("stage applications")

    def __str__(self) -> str:
        return f"{self.stage_id}#{self.attempt}"


class ProjectUnit(models.Model):
    """A unit taking part in a project: the lead unit of one of its stages, or the unit of an approval (a part
    application) of one of its stage applications. Which projects a unit's staff see is one index lookup here instead
    of a join over stages, stage applications, parts and applications; written by `participation.py` wherever a
    stage or a part comes to exist, and rebuilt from those joins when a stage's lead unit changes."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="units")
    # Indexed by the unique (unit, project) below.
    unit = models.ForeignKey("org.Unit", on_delete=models.CASCADE, related_name="+", db_index=False)

    class Meta:
        verbose_name = _("project unit")
        verbose_name_plural = _("project units")
        constraints = [models.UniqueConstraint(fields=["unit", "project"], name="project_unit_once")]

    def __str__(self) -> str:
        return f"{self.project_id}@{self.unit_id}"


class ProjectDocument(models.Model):
    """A document the project handed in once (by merged-material code), reused by every later stage that needs it."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="documents")
    code = models.CharField(_("code"), max_length=32)
    name = models.CharField(_("name"), max_length=200)
    attachment = models.ForeignKey(
        "cases.Attachment", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    stage_no = models.PositiveSmallIntegerField(_("received in stage"))
    received_at = models.DateTimeField(_("received at"))

    class Meta:
        ordering = ["project", "code"]
        verbose_name = _("project document")
        verbose_name_plural = _("project documents")
        constraints = [models.UniqueConstraint(fields=["project", "code"], name="project_document_code_once")]

    def __str__(self) -> str:
        return self.name


class JointAcceptanceStatus(models.TextChoices):
    INSPECTING = "inspecting", _("Units inspecting")
    PASSED = "passed", _("Passed")
    FAILED = "failed", _("Not passed")


class JointAcceptance(models.Model):
    """限时联合验收: the joint matters of a stage's attempt, inspected together within one limit; one result."""

    stage_application = models.OneToOneField(
        StageApplication, on_delete=models.CASCADE, related_name="joint_acceptance"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=JointAcceptanceStatus.choices, default=JointAcceptanceStatus.INSPECTING
    )
    inspect_on = models.DateField(_("joint inspection on"), null=True, blank=True)
    due_at = models.DateTimeField(_("deadline"), null=True, blank=True)
    # The one result is the permit issued on the stage's package application (permits.Permit.case) by the lead unit.
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        verbose_name = _("joint acceptance")
        verbose_name_plural = _("joint acceptances")

    def __str__(self) -> str:
        return str(self.stage_application_id)
