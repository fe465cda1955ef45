"""Admin editing of the catalogue. A saved version is never changed: editing a matter saves a new version, which
becomes current at once (applications keep the version they were accepted under)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest, HttpResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from govdesk.common.errors import ValidationFailed

from . import uploads
from .models import Matter, MatterMaterial, MatterVersion
from .services import MATERIAL_ATTRS, VERSION_ATTRS, matter_fields_check, matter_version_check, matter_version_publish
from .transfer import matters_export
from .upload_admin import CheckedUploadAdmin, UploadPageLabels


def _copy_from(request: HttpRequest) -> MatterVersion | None:
    source = request.GET.get("from", "")
    return MatterVersion.objects.filter(pk=source).first() if source.isdigit() else None


class MatterMaterialFormSet(BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        materials = [
            {key: form.cleaned_data.get(key) for key in MATERIAL_ATTRS}
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]
        version = self.instance
        attrs = {key: getattr(version, key, None) for key in VERSION_ATTRS if key != "unit"}
        attrs["unit"] = version.unit if version.unit_id else None
        problems = matter_version_check(attrs=attrs, materials=materials)
        messages = [m for key, ms in problems.items() if key.startswith("materials.") for m in ms]
        if messages:
            raise ValidationError(messages)


class MatterMaterialInline(admin.TabularInline):
    model = MatterMaterial
    formset = MatterMaterialFormSet
    fields = ("order", "code", "name", "form", "copies", "required", "source", "sample")
    extra = 1

    def get_extra(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> int:
        source = _copy_from(request)
        return source.materials.count() if source and obj is None else (1 if obj is None else 0)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None and super().has_delete_permission(request, obj)


class MatterVersionForm(forms.ModelForm):
    matter_code = forms.CharField(
        label=gettext_lazy("Matter code"),
        max_length=64,
        help_text=gettext_lazy("An existing code adds a version to that matter; a new code creates a matter."),
    )

    class Meta:
        model = MatterVersion
        fields = [
            "name",
            "type",
            "unit",
            "legal_basis",
            "conditions",
            "legal_limit_days",
            "promised_limit_days",
            "instant",
            "visits",
            "fee",
            "fields",
        ]
        help_texts = {
            "fields": gettext_lazy(
                'JSON list: [{"name": "company_name", "label": "Company name", "type": "text", "required": true, '
                '"choices": []}]; types text, textarea, number, date, choice, bool, phone, id_number; optional '
                "max_length, pattern, help."
            )
        }

    def clean_fields(self) -> Any:  # the per-field hook of the model field `fields`
        try:
            return matter_fields_check(self.cleaned_data.get("fields") or [])
        except ValidationFailed as exc:
            raise ValidationError(exc.fields.get("fields") or [exc.message]) from None

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        attrs = {key: cleaned.get(key) for key in VERSION_ATTRS}
        if all(attrs.get(key) is not None for key in ("type", "unit", "legal_limit_days", "promised_limit_days")):
            problems = matter_version_check(attrs=attrs, materials=[])
            for key, messages in problems.items():
                if key in self.fields and key not in self.errors and key != "fields":
                    self.add_error(key, messages)
        return cleaned


@admin.register(MatterVersion)
class MatterVersionAdmin(admin.ModelAdmin):
    form = MatterVersionForm
    inlines = [MatterMaterialInline]
    list_display = ("matter", "version", "name", "unit", "is_published", "created_at", "created_by")
    list_filter = ("is_published", "type")
    search_fields = ("matter__code", "name")
    list_select_related = ("matter", "unit", "created_by")

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ["matter_code", *MatterVersionForm.Meta.fields]
        return ["matter", "version", *MatterVersionForm.Meta.fields, "is_published", "created_at", "created_by"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A saved version is a record applications point to: view it, and edit by adding a new version.
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        initial: dict[str, Any] = dict(super().get_changeform_initial_data(request))
        source = _copy_from(request)
        if source is not None:
            initial.update({key: getattr(source, key) for key in MatterVersionForm.Meta.fields})
            initial["unit"] = source.unit_id
            initial["matter_code"] = source.matter.code
        return initial

    def get_formset_kwargs(self, request: HttpRequest, obj: Any, inline: Any, prefix: str) -> dict[str, Any]:
        kwargs = super().get_formset_kwargs(request, obj, inline, prefix)
        source = _copy_from(request)
        if source is not None and request.method == "GET":
            kwargs["initial"] = [{key: getattr(m, key) for key in MATERIAL_ATTRS} for m in source.materials.all()]
        return kwargs

    def construct_change_message(self, request: HttpRequest, form: Any, formsets: Any, add: bool = False) -> Any:
        # The materials were written by the service, not by the formsets Django would describe here.
        return [{"added": {}}]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        """Nothing yet: the version is written with its materials by the publish service in save_related."""

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        materials = [
            {key: f.cleaned_data.get(key) for key in MATERIAL_ATTRS}
            for formset in formsets
            for f in formset.forms
            if f.cleaned_data and not f.cleaned_data.get("DELETE")
        ]
        result = matter_version_publish(
            code=form.cleaned_data["matter_code"],
            attrs={key: form.cleaned_data.get(key) for key in VERSION_ATTRS},
            materials=materials,
            acting_user=request.user,
        )
        # The admin's message and history entry name the version the service saved (or the unchanged current one).
        form.instance.pk = result.version.pk
        form.instance.matter = result.version.matter
        form.instance.version = result.version.version


@admin.register(Matter)
class MatterAdmin(CheckedUploadAdmin):
    list_display = ("code", "name", "unit", "current_version_number", "is_active", "new_version_link")
    list_filter = ("is_active", "unit")
    search_fields = ("code", "name", "pinyin_initials")
    list_select_related = ("unit", "current_version")
    readonly_fields = ("code", "name", "pinyin_initials", "unit", "current_version")
    fields = ("code", "name", "pinyin_initials", "unit", "current_version", "is_active")
    change_list_template = "admin/matters/matter/change_list.html"
    upload_kind = uploads.CATALOGUE_UPLOADS
    upload_labels = UploadPageLabels(
        title=gettext_lazy("Import the catalogue"),
        choose_one=gettext_lazy("Choose one catalogue file."),
        imported=gettext_lazy(
            "Catalogue imported: %(new)d new, %(changed)d changed (new version), %(unchanged)d unchanged."
        ),
        outcome_bar=gettext_lazy("New, changed and unchanged matters"),
        new_items=gettext_lazy("New matters"),
        changed_items=gettext_lazy("Changed matters (a new version each)"),
        upload_heading=gettext_lazy("Upload a catalogue file"),
        upload_help=gettext_lazy(
            "An Excel workbook with the sheets 事项 and 材料, as the export writes it, or the catalogue's JSON; at "
            "most %(max_mb)s MB. The upload is a dry run: it reports every new and changed matter and every row error, "
            "and writes nothing until you confirm."
        ),
        file_field=gettext_lazy("Catalogue file"),
        export_link=gettext_lazy("Download the current catalogue (xlsx)"),
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # a matter is added with its first version (matter versions → add)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=gettext_lazy("version"))
    def current_version_number(self, matter: Matter) -> int | None:
        return matter.current_version.version if matter.current_version else None

    @admin.display(description=gettext_lazy("edit"))
    def new_version_link(self, matter: Matter) -> str:
        if matter.current_version_id is None:
            return ""
        url = reverse("admin:matters_matterversion_add") + f"?from={matter.current_version_id}"
        return format_html('<a href="{}">{}</a>', url, _("New version"))

    def get_urls(self) -> list[Any]:
        view = self.admin_site.admin_view
        return [
            path("export/", view(self.export_view), name="matters_matter_export"),
            *self.checked_upload_urls(),
            *super().get_urls(),
        ]

    def export_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        response = HttpResponse(
            matters_export(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        stamp = timezone.localdate().isoformat()
        response["Content-Disposition"] = f'attachment; filename="matters-{stamp}.xlsx"'
        return response
