"""The permit registry (证照/批文登记): "平台之外无审批" in code.

Every approval the platform records issues a `Permit` in the same transaction: a platform number, the kind of
document, the issuing unit, the holder, the case it decided and, for a construction project's approvals, the project.
A number the registry does not hold was not issued by the platform; the public verification page says so.

The registry is append-only: a permit is never deleted and its number, kind, unit, holder and issue date never change.
What can happen to it later is recorded beside it, audited: a permit approved on the applicant's commitment (告知承诺)
is verified by its unit before `verify_due_at`, or revoked (撤销) with reasons.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

# What the registry says about a permit once issued: never rewritten (the case, matter and project it belongs to too).
ISSUED_FIELDS = (
    "number",
    "kind",
    "case_id",
    "matter_id",
    "unit_id",
    "holder_name",
    "project_id",
    "issued_at",
    "issued_by_id",
)


class PermitStatus(models.TextChoices):
    VALID = "valid", _("Valid")
    REVOKED = "revoked", _("Revoked")


class AppendOnlyError(Exception):
    """A write that would delete a permit or rewrite what it says (a programming error, never a user's input)."""


class PermitQuerySet(models.QuerySet["Permit"]):
    def delete(self) -> Any:
        raise AppendOnlyError("the permit registry is append-only: permits are never deleted")

    def update(self, **kwargs: Any) -> int:
        rewritten = {name for name in kwargs if name in ISSUED_FIELDS or f"{name}_id" in ISSUED_FIELDS}
        if rewritten:
            raise AppendOnlyError(f"the permit registry is append-only: {sorted(rewritten)} never change")
        return super().update(**kwargs)


class Permit(models.Model):
    # The platform's number ("LS" + year + sequence) unless the issuing unit gave its own document number (文号) at the
    # approval; unique either way, so a number reused is refused and nothing is stored.
    number = models.CharField(_("number"), max_length=64, unique=True)
    kind = models.CharField(_("kind"), max_length=100)
    # The application it decided; for a joint acceptance's one result, the stage's package application.
    case = models.ForeignKey("cases.Case", verbose_name=_("case"), on_delete=models.PROTECT, related_name="permits")
    matter = models.ForeignKey(
        "matters.Matter", verbose_name=_("matter"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    unit = models.ForeignKey("org.Unit", verbose_name=_("issuing unit"), on_delete=models.PROTECT, related_name="+")
    holder_name = models.CharField(_("holder"), max_length=200)
    project = models.ForeignKey(
        "projects.Project",
        verbose_name=_("project"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="permits",
    )
    issued_at = models.DateTimeField(_("issued at"), db_index=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(_("status"), max_length=10, choices=PermitStatus.choices, default=PermitStatus.VALID)
    # 告知承诺: approved on the applicant's written commitment; the unit checks the facts by this date.
    on_commitment = models.BooleanField(_("approved on commitment"), default=False)
    verify_due_at = models.DateTimeField(_("verify by"), null=True, blank=True)
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoke_reason = models.TextField(_("reasons for revocation"), blank=True)

    objects = PermitQuerySet.as_manager()

    class Meta:
        ordering = ["-issued_at", "-id"]
        verbose_name = _("permit")
        verbose_name_plural = _("permits")
        indexes = [models.Index(fields=["project", "issued_at"], name="permit_project_issued")]

    def __str__(self) -> str:
        return self.number

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Append-only: an existing permit's issued fields are compared with the stored row (one query: saves after
        # issue are rare: a verification, a revocation), and a revoked permit never becomes valid again.
        if self.pk is not None:
            stored = Permit.objects.filter(pk=self.pk).values(*ISSUED_FIELDS, "status").first()
            if stored is not None:
                changed = [name for name in ISSUED_FIELDS if stored[name] != getattr(self, name)]
                if changed:
                    raise AppendOnlyError(f"the permit registry is append-only: {changed} never change")
                if stored["status"] == PermitStatus.REVOKED and self.status != PermitStatus.REVOKED:
                    raise AppendOnlyError("a revoked permit stays revoked")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise AppendOnlyError("the permit registry is append-only: permits are never deleted")
