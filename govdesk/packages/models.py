"""一件事一次办: packaged services across departments.

The definition side mirrors the matter catalogue (a `Package` with immutable, numbered `PackageVersion`s; a package
application keeps the version it was submitted under): the matters it bundles (`PackageItem`, with dependencies and
the situations a matter is needed in), the merged form (each distinct field asked once and mapped onto every matter
that needs it) and the merged materials (a document several matters need is handed in once).

The case side: a `PackageApplication` is a parent case (kind "package") with one checklist of merged materials
(`PackageMaterialReceipt`) and, from its acceptance, one `PackagePart` per bundled matter, each of which becomes an
ordinary `applications.Application` as soon as nothing it depends on is pending; so every inbox, deadline, notice,
statistic and rating works for the parts unchanged. The package's status is derived from its parts' (states.py).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from govdesk.cases.models import Case
from govdesk.common.fields import BlindIndexField, EncryptedCharField, EncryptedJSONField
from govdesk.matters.models import CheckedUpload


class LifeEvent(models.TextChoices):
    """Life-event groups of 国办发〔2025〕24号's individual and enterprise life cycles."""

    BIRTH = "birth", _("Birth")
    EDUCATION = "education", _("Education")
    EMPLOYMENT = "employment", _("Employment")
    RESIDENCE = "residence", _("Residence and housing")
    MARRIAGE = "marriage", _("Marriage and family")
    HEALTH = "health", _("Health and medical care")
    SOCIAL_SECURITY = "social_security", _("Social security")
    DISABILITY = "disability", _("Disability services")
    VETERANS = "veterans", _("Veterans")
    TRANSPORT = "transport", _("Transport")
    RETIREMENT = "retirement", _("Retirement")
    DEATH = "death", _("Death and funeral")
    BUSINESS_OPENING = "business_opening", _("Opening a business")
    BUSINESS_OPERATION = "business_operation", _("Running a business")
    BUSINESS_CHANGE = "business_change", _("Business changes")
    CONSTRUCTION = "construction", _("Construction")
    BUSINESS_CLOSING = "business_closing", _("Closing a business")


class Package(models.Model):
    """A catalogue entry of packaged services. Its rules live in versions; name and lead unit are copies of the
    current one, for search."""

    code = models.CharField(_("code"), max_length=64, unique=True)
    current_version = models.ForeignKey(
        "PackageVersion",
        verbose_name=_("current version"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    is_active = models.BooleanField(_("active"), default=True)
    name = models.CharField(_("name"), max_length=200, db_index=True)
    pinyin_initials = models.CharField(_("pinyin initials"), max_length=200, blank=True, db_index=True)
    life_event = models.CharField(_("life event"), max_length=24, choices=LifeEvent.choices)
    lead_unit = models.ForeignKey(
        "org.Unit", verbose_name=_("lead unit"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("package")
        verbose_name_plural = _("packages")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class PackageVersion(models.Model):
    """One immutable set of rules for a package. Editing makes a new version; the old one stays for its applications.

    `fields` is the merged form: [{"name", "label", "type", "required", "choices", optional "max_length", "pattern",
    "help", "required_if": {"field": name, "equals": value}}], each distinct field once; which matters use a field is
    in the items' `field_map`.
    """

    package = models.ForeignKey(Package, verbose_name=_("package"), on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField(_("version"))
    name = models.CharField(_("name"), max_length=200)
    life_event = models.CharField(_("life event"), max_length=24, choices=LifeEvent.choices)
    lead_unit = models.ForeignKey("org.Unit", verbose_name=_("lead unit"), on_delete=models.PROTECT, related_name="+")
    description = models.TextField(_("description"), blank=True)
    # The promised total, in working days from acceptance to the last part's decision.
    promised_limit_days = models.PositiveIntegerField(_("promised total time limit (working days)"), default=0)
    fields = models.JSONField(_("merged form fields"), default=list, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    is_published = models.BooleanField(_("published"), default=False)

    class Meta:
        ordering = ["package", "-version"]
        verbose_name = _("package version")
        verbose_name_plural = _("package versions")
        constraints = [models.UniqueConstraint(fields=["package", "version"], name="package_version_unique")]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"


class PackageItem(models.Model):
    """One matter a package bundles, under the package version.

    `depends_on`: codes of the matters (of the same version) whose approval this one needs (the birth certificate
    before the household registration); the version's items never form a cycle. `condition`: {} when the matter is
    always needed, else {"field": name, "equals": value} on the merged form (a restaurant with an outdoor sign).
    `field_map`: {package field name: the matter's field name} for every field of the matter's form.
    """

    version = models.ForeignKey(
        PackageVersion, verbose_name=_("version"), on_delete=models.CASCADE, related_name="items"
    )
    matter = models.ForeignKey("matters.Matter", verbose_name=_("matter"), on_delete=models.PROTECT, related_name="+")
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    depends_on = models.JSONField(_("depends on (matter codes)"), default=list, blank=True)
    condition = models.JSONField(_("needed when"), default=dict, blank=True)
    field_map = models.JSONField(_("field mapping"), default=dict, blank=True)

    class Meta:
        ordering = ["version", "order", "id"]
        verbose_name = _("bundled matter")
        verbose_name_plural = _("bundled matters")
        constraints = [models.UniqueConstraint(fields=["version", "matter"], name="package_item_matter_once")]

    def __str__(self) -> str:
        return str(self.matter_id)


class PackageMaterial(models.Model):
    """A merged material: handed in once, attached to every part that needs it.

    `sources`: [{"matter": matter code, "material": that matter's material code}] — the matters' materials it stands
    for. Required when any matter requires it (in the situations that matter is needed in).
    """

    version = models.ForeignKey(
        PackageVersion, verbose_name=_("version"), on_delete=models.CASCADE, related_name="materials"
    )
    code = models.CharField(_("code"), max_length=32)
    name = models.CharField(_("name"), max_length=200)
    required = models.BooleanField(_("required"), default=True)
    sources = models.JSONField(_("stands for"), default=list)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["version", "order", "code"]
        verbose_name = _("merged material")
        verbose_name_plural = _("merged materials")
        constraints = [models.UniqueConstraint(fields=["version", "code"], name="package_material_code_unique")]

    def __str__(self) -> str:
        return self.name


class PackageUpload(CheckedUpload):
    """A checked upload of the package catalogue, as the matter catalogue's (`CatalogueUpload`)."""

    class Meta(CheckedUpload.Meta):
        verbose_name = _("package file upload")
        verbose_name_plural = _("package file uploads")


# --- package applications ------------------------------------------------------------------------------------------


class PackageApplication(Case):
    """A package applied for at the window or online: one form, one set of materials, one acceptance, one result."""

    package = models.ForeignKey(Package, verbose_name=_("package"), on_delete=models.PROTECT, related_name="+")
    package_version = models.ForeignKey(
        PackageVersion, verbose_name=_("package version"), on_delete=models.PROTECT, related_name="+"
    )
    channel = models.CharField(_("channel"), max_length=10)  # applications.models.Channel values
    applicant_name = models.CharField(_("applicant name"), max_length=100)
    applicant_phone = EncryptedCharField(_("applicant phone"), max_length=20, blank=True)
    applicant_id_number = EncryptedCharField(_("applicant ID number"), max_length=18, blank=True)
    applicant_phone_index = BlindIndexField(source="applicant_phone", kind="phone")
    applicant_id_number_index = BlindIndexField(source="applicant_id_number", kind="id_number")
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("applicant account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="own_packages",
    )
    form = EncryptedJSONField(_("application form"))
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(_("all parts decided at"), null=True, blank=True)
    # The promised total's deadline, kept at the decision, when `due_at` becomes the delivery's (as an application's
    # `decision_due_at`): decided in time iff decided_at ≤ it.
    decision_due_at = models.DateTimeField(_("decision deadline"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    delivery = models.CharField(_("delivery"), max_length=12, blank=True)  # applications.models.Delivery values

    class Meta:
        verbose_name = _("package application")
        verbose_name_plural = _("package applications")


class PackageMaterialReceipt(models.Model):
    """One merged material of the package's checklist: received or not, its scan, why it was sent back."""

    package_application = models.ForeignKey(PackageApplication, on_delete=models.CASCADE, related_name="materials")
    code = models.CharField(_("code"), max_length=32)
    name = models.CharField(_("name"), max_length=200)
    required = models.BooleanField(_("required"), default=True)
    received = models.BooleanField(_("received"), default=False)
    attachment = models.ForeignKey(
        "cases.Attachment", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    checked_at = models.DateTimeField(_("checked at"), null=True, blank=True)
    defect = models.CharField(_("defect"), max_length=200, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["order", "id"]
        verbose_name = _("package material")
        verbose_name_plural = _("package materials")
        constraints = [
            models.UniqueConstraint(fields=["package_application", "code"], name="package_receipt_material_once")
        ]

    def __str__(self) -> str:
        return self.name


class PartState(models.TextChoices):
    """A part before it is an application (waiting, cancelled); once it is one, its state is the application's."""

    WAITING = "waiting", _("Waiting for another part's result")
    STARTED = "started", _("Being handled as an application")
    CANCELLED = "cancelled", _("Not started: a part it needs was not approved")


class PackagePart(models.Model):
    """One bundled matter of an accepted package: the application it became, or why it has not (yet)."""

    package_application = models.ForeignKey(PackageApplication, on_delete=models.CASCADE, related_name="parts")
    item = models.ForeignKey(PackageItem, on_delete=models.PROTECT, related_name="+")
    matter = models.ForeignKey("matters.Matter", on_delete=models.PROTECT, related_name="+")
    application = models.OneToOneField(
        "applications.Application",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="package_part",
    )
    state = models.CharField(_("state"), max_length=10, choices=PartState.choices, default=PartState.WAITING)
    # Why a part was cancelled (the part it needed and that part's outcome), shown to the applicant.
    reason = models.TextField(_("reason"), blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["order", "id"]
        verbose_name = _("package part")
        verbose_name_plural = _("package parts")
        constraints = [
            models.UniqueConstraint(fields=["package_application", "matter"], name="package_part_matter_once")
        ]

    def __str__(self) -> str:
        return f"{self.package_application_id}/{self.matter_id}"


class PackageNoticeKind(models.TextChoices):
    ACCEPTANCE = "acceptance", _("Notice of acceptance")
    CORRECTION = "correction", _("Notice of materials to supply")
    REFUSAL = "refusal", _("Notice of non-acceptance")
    RESULT = "result", _("Notice of the results")


def package_notice_path(instance: PackageNotice, filename: str) -> str:
    return f"notices/{instance.issued_at:%Y/%m}/{filename}"


class PackageNotice(models.Model):
    """A sealed, numbered, dated notice of the package (one acceptance, one correction list, one result listing every
    part), written in its state change's transaction, as an application's."""

    package_application = models.ForeignKey(PackageApplication, on_delete=models.CASCADE, related_name="notices")
    kind = models.CharField(_("kind"), max_length=12, choices=PackageNoticeKind.choices)
    number = models.CharField(_("number"), max_length=40, unique=True)
    file = models.FileField(upload_to=package_notice_path, max_length=200)
    issued_at = models.DateTimeField(_("issued at"))
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["issued_at", "id"]
        verbose_name = _("package notice")
        verbose_name_plural = _("package notices")

    def __str__(self) -> str:
        return self.number
