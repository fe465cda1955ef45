"""Assessment rules in the admin (the system administrator edits them); results are read-only there."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from govdesk.common.admin import ReadOnlyAdmin

from .models import AssessmentDeduction, AssessmentResult, AssessmentRuleItem, AssessmentRuleSet, ScoringMethod
from .services import assessment_rule_set_touch

RATE_AS_FRACTION = _("Give a rate as a fraction between 0 and 1, for example 0.95 for 95 percent.")


def rate_field(label: Any) -> forms.DecimalField:
    """A floor or target rate (0..1, four decimals) whose every refusal says how to write a rate."""
    # No max_digits: 0..1 with four decimals fits the column, and "95" gets one message (out of range), not two.
    return forms.DecimalField(
        label=label,
        required=False,
        min_value=Decimal("0"),
        max_value=Decimal("1"),
        decimal_places=4,
        error_messages={
            "min_value": RATE_AS_FRACTION,
            "max_value": RATE_AS_FRACTION,
            "max_decimal_places": _("A rate has at most four decimals, for example 0.9525 for 95.25 percent."),
        },
    )


class RuleItemForm(forms.ModelForm):
    """A weighted item: a work-order rate, the applications' on-time decision rate, or a 好差评 rate."""

    floor = rate_field(_("floor rate"))
    target = rate_field(_("target rate"))

    class Meta:
        model = AssessmentRuleItem
        fields = ("rate_key", "weight", "method", "floor", "target")

    def clean(self) -> dict[str, Any]:
        # A floor/target item without both rates, or with the floor not below the target, is refused by the model's
        # check constraint (its message says what is needed), so the form does not say it twice.
        data = super().clean() or {}
        floor, target = data.get("floor"), data.get("target")
        if data.get("method") != ScoringMethod.RANGE and (floor is not None or target is not None):
            # Scored linearly the thresholds would be ignored: refuse them rather than store rules that mislead.
            raise forms.ValidationError(
                _("A linear item has no floor or target rate; choose the floor/target method to use them.")
            )
        return data


class DeductionForm(forms.ModelForm):
    class Meta:
        model = AssessmentDeduction
        fields = ("kind", "rate_key", "points", "max_points")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("kind") == "rate" and not data.get("rate_key"):
            raise forms.ValidationError(_("A deduction per percentage point needs a rate."))
        if data.get("kind") != "rate":
            data["rate_key"] = ""
        return data


class RuleItemInline(admin.TabularInline):
    model = AssessmentRuleItem
    form = RuleItemForm
    extra = 0


class DeductionInline(admin.TabularInline):
    model = AssessmentDeduction
    form = DeductionForm
    extra = 0


class RuleSetForm(forms.ModelForm):
    class Meta:
        model = AssessmentRuleSet
        fields = ("name", "active", "effective_from", "min_orders", "description")
        help_texts = {"active": _("Only one rule set can be active; saving this one as active deactivates the other.")}

    def clean_effective_from(self) -> Any:
        value = self.cleaned_data["effective_from"]
        return value.replace(day=1) if value else value


@admin.register(AssessmentRuleSet)
class AssessmentRuleSetAdmin(admin.ModelAdmin):
    form = RuleSetForm
    inlines = (RuleItemInline, DeductionInline)
    list_display = ("name", "version", "active", "effective_from", "min_orders", "total_weight", "updated_at")
    readonly_fields = ("version",)

    @admin.display(description=_("total weight"))
    def total_weight(self, obj: AssessmentRuleSet) -> Decimal:
        return sum((i.weight for i in obj.items.all()), Decimal("0"))

    def get_queryset(self, request: HttpRequest) -> QuerySet[AssessmentRuleSet]:
        return super().get_queryset(request).prefetch_related("items")

    def save_model(self, request: HttpRequest, obj: AssessmentRuleSet, form: Any, change: bool) -> None:
        if obj.active:
            # One active rule set (a partial unique constraint): activating this one retires the other.
            AssessmentRuleSet.objects.filter(active=True).exclude(pk=obj.pk).update(active=False)
        super().save_model(request, obj, form, change)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        if change and (form.has_changed() or any(fs.has_changed() for fs in formsets)):
            assessment_rule_set_touch(form.instance)


@admin.register(AssessmentResult)
class AssessmentResultAdmin(ReadOnlyAdmin):
    list_display = ("month", "unit_code", "unit_name", "score", "rank", "ranked", "total", "rule_set_version")
    list_filter = ("month", "ranked")
    search_fields = ("unit_code", "unit_name")
