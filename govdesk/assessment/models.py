"""Unit assessment (考核): rule sets an administrator edits, and the monthly score snapshots computed from them.

A rule set weights the items of `items.ITEMS` (the work-order rates of `stats.rates.RATES`, the applications' on-time
decision rate, the 好差评 satisfaction and rectification rates; each scored linearly or between a floor and a target),
subtracts optional deductions, and leaves units with fewer orders and applications than its minimum volume
unranked. Each month's scores are stored as one `AssessmentResult` per unit, replaced as a whole when the month is
recomputed. See docs/statistics.md, "单位考核".
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .items import ITEM_CHOICES

RATE_BOUND = [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("1"))]


class ScoringMethod(models.TextChoices):
    LINEAR = "linear", _("Rate × 100, linearly")
    RANGE = "range", _("0 at the floor rate, full marks at the target rate")


class DeductionKind(models.TextChoices):
    RATE = "rate", _("Points per percentage point of a rate")
    OVERDUE_OPEN = "overdue_open", _("Points per overdue order still open at month end")
    RETURN_REJECTED = "return_rejected", _("Points per unjustified return (rejected by the dispatcher)")
    APPLICATION_OVERDUE_OPEN = (
        "application_overdue",
        _("Points per application still undecided past its deadline at month end"),
    )
    BAD_RATING_JUSTIFIED = "bad_rating_justified", _("Points per bad rating of the month found justified")


class AssessmentRuleSet(models.Model):
    """One version of the assessment rules. One rule set is active at a time (a partial unique constraint)."""

    name = models.CharField(_("name"), max_length=100)
    active = models.BooleanField(_("active"), default=False)
    effective_from = models.DateField(
        _("effective from month"), help_text=_("The first month (its first day) these rules apply to.")
    )
    min_orders = models.PositiveIntegerField(
        _("minimum orders"),
        default=10,
        help_text=_("A unit with fewer work orders and applications received in the month (together) is not ranked."),
    )
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    description = models.TextField(_("description"), blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("assessment rule set")
        verbose_name_plural = _("assessment rule sets")
        ordering = ["-effective_from", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["active"], condition=Q(active=True), name="assessment_one_active_ruleset"),
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"

    def clean(self) -> None:
        if self.effective_from is not None and self.effective_from.day != 1:
            self.effective_from = self.effective_from.replace(day=1)


class AssessmentRuleItem(models.Model):
    """A weighted item (`items.ITEMS`): its points are weight × the rate (linear) or weight × its position between
    floor and target."""

    rule_set = models.ForeignKey(AssessmentRuleSet, on_delete=models.CASCADE, related_name="items")
    rate_key = models.CharField(_("rate"), max_length=32, choices=ITEM_CHOICES)
    weight = models.DecimalField(
        _("weight"), max_digits=6, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )
    method = models.CharField(_("scoring method"), max_length=10, choices=ScoringMethod.choices)
    floor = models.DecimalField(
        _("floor rate"), max_digits=5, decimal_places=4, null=True, blank=True, validators=RATE_BOUND
    )
    target = models.DecimalField(
        _("target rate"), max_digits=5, decimal_places=4, null=True, blank=True, validators=RATE_BOUND
    )

    class Meta:
        verbose_name = _("weighted rate")
        verbose_name_plural = _("weighted rates")
        ordering = ["rule_set", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["rule_set", "rate_key"], name="assessment_item_rate_once"),
            models.CheckConstraint(
                condition=Q(method="linear")
                | Q(floor__isnull=False, target__isnull=False, floor__lt=models.F("target")),
                name="assessment_item_range_bounds",
                violation_error_message=_(
                    "The floor/target method needs both a floor and a target rate, the floor below the target."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rate_key} × {self.weight}"


class AssessmentDeduction(models.Model):
    """Points subtracted from the weighted score, optionally capped."""

    rule_set = models.ForeignKey(AssessmentRuleSet, on_delete=models.CASCADE, related_name="deductions")
    kind = models.CharField(_("kind"), max_length=20, choices=DeductionKind.choices)
    rate_key = models.CharField(_("rate"), max_length=32, choices=ITEM_CHOICES, blank=True)
    points = models.DecimalField(
        _("points"), max_digits=6, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )
    max_points = models.DecimalField(
        _("at most"), max_digits=6, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(0)]
    )

    class Meta:
        verbose_name = _("deduction")
        verbose_name_plural = _("deductions")
        ordering = ["rule_set", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="rate") | ~Q(rate_key=""), name="assessment_deduction_rate_needs_key"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.rate_key} −{self.points}"


class AssessmentResult(models.Model):
    """One unit's score for one month: the snapshot written by `assessment_compute` (replaced when recomputed)."""

    month = models.DateField(_("month"))  # its first day
    unit = models.ForeignKey("org.Unit", on_delete=models.CASCADE, related_name="+")
    unit_code = models.CharField(_("unit code"), max_length=32)
    unit_name = models.CharField(_("unit name"), max_length=200)
    total = models.PositiveIntegerField(_("orders received"))
    applications = models.PositiveIntegerField(_("applications received"), default=0)
    score = models.DecimalField(_("score"), max_digits=6, decimal_places=2)
    ranked = models.BooleanField(_("ranked"))
    rank = models.PositiveIntegerField(_("rank"), null=True, blank=True)
    parts = models.JSONField(_("parts"), default=dict)
    deductions = models.JSONField(_("deductions"), default=list)
    rule_set = models.ForeignKey(AssessmentRuleSet, null=True, on_delete=models.SET_NULL, related_name="+")
    rule_set_name = models.CharField(_("rule set"), max_length=100)
    rule_set_version = models.PositiveIntegerField(_("rule set version"))
    computed_at = models.DateTimeField(_("computed at"))
    computed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("assessment result")
        verbose_name_plural = _("assessment results")
        ordering = ["month", "rank", "unit_code"]
        constraints = [models.UniqueConstraint(fields=["month", "unit"], name="assessment_result_month_unit")]
        indexes = [models.Index(fields=["unit", "month"], name="assessment_result_unit_month")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.unit_code} {self.score}"
