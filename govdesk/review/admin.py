"""The review templates in the admin (the system administrator): the heading and the paragraphs inline, each
placeholder checked on save (an unknown figure, part or format is refused with its name), the change audited, and
links to preview the template rendered for a year."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db import transaction
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from govdesk.audit.services import audit_append

from .models import ReviewParagraph, ReviewTemplate
from .rendering import TemplateError, template_placeholders
from .selectors import review_years


def _placeholders_check(value: str) -> str:
    try:
        template_placeholders(value or "")
    except TemplateError as error:
        raise forms.ValidationError(str(error)) from error
    return value


class ReviewTemplateForm(forms.ModelForm):
    class Meta:
        model = ReviewTemplate
        fields = ("name", "heading", "is_active")

    def clean_heading(self) -> str:
        return _placeholders_check(self.cleaned_data["heading"])

    def _get_validation_exclusions(self) -> set[str]:
        # "One active template" is kept by save_model, which retires the active one: not a reason to refuse.
        return {*super()._get_validation_exclusions(), "is_active"}  # type: ignore[misc]


class ReviewParagraphForm(forms.ModelForm):
    class Meta:
        model = ReviewParagraph
        fields = ("order", "heading", "text")
        widgets = {"text": forms.Textarea(attrs={"rows": 6, "cols": 100})}

    def clean_heading(self) -> str:
        return _placeholders_check(self.cleaned_data["heading"])

    def clean_text(self) -> str:
        return _placeholders_check(self.cleaned_data["text"])


class ReviewParagraphFormSet(BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        orders = [
            form.cleaned_data.get("order")
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE", False)
        ]
        if len(orders) != len(set(orders)):
            raise forms.ValidationError(_("Two paragraphs have the same order."))


class ReviewParagraphInline(admin.TabularInline):
    model = ReviewParagraph
    form = ReviewParagraphForm
    formset = ReviewParagraphFormSet
    extra = 0


@admin.register(ReviewTemplate)
class ReviewTemplateAdmin(admin.ModelAdmin):
    form = ReviewTemplateForm
    inlines = [ReviewParagraphInline]
    list_display = ("name", "is_active", "updated_at", "updated_by", "preview_links")
    readonly_fields = ("preview_links", "updated_at", "updated_by")
    fields = ("name", "heading", "is_active", "preview_links", "updated_at", "updated_by")

    @admin.display(description=_("preview"))
    def preview_links(self, obj: ReviewTemplate | None) -> SafeString:
        if obj is None or obj.pk is None:
            return format_html("{}", "—")
        return format_html_join(
            " ",
            '<a href="{}" target="_blank" rel="noopener">{}</a>',
            ((reverse("review:preview", args=(year, obj.pk)), year) for year in review_years()),
        )

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        # Deleting goes through delete_model, one audited template at a time.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def save_model(self, request: HttpRequest, obj: ReviewTemplate, form: Any, change: bool) -> None:
        with transaction.atomic():
            if obj.is_active:
                # One template is active (a constraint): making this one active retires the other.
                ReviewTemplate.objects.filter(is_active=True).exclude(pk=obj.pk).update(is_active=False)
            obj.updated_by = request.user  # type: ignore[assignment]
            super().save_model(request, obj, form, change)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        audit_append(
            action="review.template.change" if change else "review.template.create",
            actor=request.user,
            object_type="review_template",
            object_id=form.instance.pk,
            note=form.instance.name,
        )

    def delete_model(self, request: HttpRequest, obj: ReviewTemplate) -> None:
        with transaction.atomic():
            audit_append(
                action="review.template.delete",
                actor=request.user,
                object_type="review_template",
                object_id=obj.pk,
                note=obj.name,
            )
            super().delete_model(request, obj)
