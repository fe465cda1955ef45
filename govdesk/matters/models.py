"""The matter catalogue (政务服务事项清单): what the hall handles, versioned so applications keep their rules."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class MatterType(models.TextChoices):
    LICENSING = "licensing", _("Administrative licensing")
    BENEFIT = "benefit", _("Administrative benefit")
    CONFIRMATION = "confirmation", _("Administrative confirmation")
    ADJUDICATION = "adjudication", _("Administrative adjudication")
    REWARD = "reward", _("Administrative reward")
    OTHER_POWER = "other_power", _("Other administrative power")
    PUBLIC_SERVICE = "public_service", _("Public service")


class MaterialForm(models.TextChoices):
    ORIGINAL = "original", _("Original")
    COPY = "copy", _("Copy")
    ORIGINAL_AND_COPY = "original_and_copy", _("Original and copy")


FIELD_TYPES = ("text", "textarea", "number", "date", "choice", "bool", "phone", "id_number")

FREE_OF_CHARGE = "不收费"


class Matter(models.Model):
    """A catalogue entry. Its rules live in versions; name/unit are copies of the current one, for search."""

    # GB/T 39554.1-style implementation code, e.g. "11440300MB2C1234X4440001000".
    code = models.CharField(_("code"), max_length=64, unique=True)
    current_version = models.ForeignKey(
        "MatterVersion",
        verbose_name=_("current version"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    is_active = models.BooleanField(_("active"), default=True)
    name = models.CharField(_("name"), max_length=200, db_index=True)
    # "营业执照" -> "yyzz": hall staff and citizens type initials on phones.
    pinyin_initials = models.CharField(_("pinyin initials"), max_length=200, blank=True, db_index=True)
    unit = models.ForeignKey(
        "org.Unit",
        verbose_name=_("unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="matters",
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("matter")
        verbose_name_plural = _("matters")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class MatterVersion(models.Model):
    """One immutable set of rules for a matter. Editing makes a new version; the old one stays for its applications."""

    matter = models.ForeignKey(Matter, verbose_name=_("matter"), on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField(_("version"))
    name = models.CharField(_("name"), max_length=200)
    type = models.CharField(_("type"), max_length=20, choices=MatterType.choices)
    unit = models.ForeignKey("org.Unit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    legal_basis = models.TextField(_("legal basis"), blank=True)
    conditions = models.TextField(_("conditions"), blank=True)
    legal_limit_days = models.PositiveIntegerField(_("legal time limit (working days)"), default=0)
    promised_limit_days = models.PositiveIntegerField(_("promised time limit (working days)"), default=0)
    instant = models.BooleanField(_("handled on the spot"), default=False)
    visits = models.PositiveSmallIntegerField(_("visits to the hall"), default=1)
    fee = models.CharField(_("fee"), max_length=200, default=FREE_OF_CHARGE)
    # [{"name","label","type","required","choices", optional "max_length","pattern","help"}]
    fields = models.JSONField(_("form fields"), default=list, blank=True)
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
        ordering = ["matter", "-version"]
        verbose_name = _("matter version")
        verbose_name_plural = _("matter versions")
        constraints = [models.UniqueConstraint(fields=["matter", "version"], name="matter_version_unique")]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"


class MatterMaterial(models.Model):
    """A document the applicant hands in (申请材料)."""

    version = models.ForeignKey(
        MatterVersion, verbose_name=_("version"), on_delete=models.CASCADE, related_name="materials"
    )
    code = models.CharField(_("code"), max_length=32)
    name = models.CharField(_("name"), max_length=200)
    form = models.CharField(_("form"), max_length=20, choices=MaterialForm.choices, default=MaterialForm.ORIGINAL)
    copies = models.PositiveSmallIntegerField(_("copies"), default=1)
    required = models.BooleanField(_("required"), default=True)
    source = models.CharField(_("source"), max_length=200, blank=True)
    sample = models.TextField(_("sample / notes"), blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["version", "order", "code"]
        verbose_name = _("material")
        verbose_name_plural = _("materials")
        constraints = [models.UniqueConstraint(fields=["version", "code"], name="matter_material_code_unique")]

    def __str__(self) -> str:
        return self.name


class CheckedUpload(models.Model):
    """A file the administrator uploaded in the admin and checked by a dry run (`govdesk.matters.uploads`).
    Confirming applies these stored bytes (found by the token the report page carries), never a file posted again,
    so what is written is exactly what the report showed would be."""

    token = models.CharField(max_length=64, unique=True)
    filename = models.CharField(_("file name"), max_length=200)
    size = models.PositiveIntegerField(_("size"))
    sha256 = models.CharField(max_length=64)
    content = models.BinaryField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded at"))
    applied_at = models.DateTimeField(_("applied at"), null=True, blank=True)

    class Meta:
        abstract = True
        ordering = ["-uploaded_at", "-id"]

    def __str__(self) -> str:
        return self.filename


class CatalogueUpload(CheckedUpload):
    """A checked upload of the matter catalogue."""

    class Meta(CheckedUpload.Meta):
        verbose_name = _("catalogue upload")
        verbose_name_plural = _("catalogue uploads")
