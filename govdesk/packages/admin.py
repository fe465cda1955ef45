"""Admin editing of the package catalogue (一件事). A saved version is never changed: editing a package saves a new
version through the publish service, which becomes current at once (package applications keep theirs). The import
pages are the matter catalogue's (`govdesk.matters.upload_admin`), for packages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import F
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from govdesk.matters.models import MatterVersion
from govdesk.matters.upload_admin import CheckedUploadAdmin, UploadPageLabels

from . import uploads
from .catalogue import ITEM_KEYS, MATERIAL_KEYS, package_merged_form, package_version_check, package_version_publish
from .models import Package, PackageVersion
from .transfer import packages_export

ATTR_FIELDS = ["name", "life_event", "lead_unit", "description", "promised_limit_days", "fields"]
MAX_BUILD_MATTERS = 20


def _copy_from(request: HttpRequest) -> PackageVersion | None:
    source = request.GET.get("from", "")
    return PackageVersion.objects.filter(pk=source).first() if source.isdigit() else None


def _matter_codes(text: str) -> list[str]:
    for separator in ("，", ",", ";", "；", "\r"):
        text = text.replace(separator, "\n")
    return list(dict.fromkeys(code.strip() for code in text.split("\n") if code.strip()))[:MAX_BUILD_MATTERS]


def build_initial(codes: list[str]) -> tuple[dict[str, Any], list[str]]:
    """The add form's initial data for a package of these matters (merged form and materials built), and the codes
    that are not published matters."""
    versions = {
        v.matter.code: v
        for v in MatterVersion.objects.filter(matter__code__in=codes, matter__current_version=F("pk"))
        .select_related("matter", "unit")
        .prefetch_related("materials")
    }
    unknown = [code for code in codes if code not in versions]
    ordered = [versions[code] for code in codes if code in versions]
    if not ordered:
        return {}, unknown
    merged = package_merged_form(ordered)
    items = [
        {"matter": v.matter.code, "depends_on": [], "condition": {}, "field_map": merged["field_maps"][v.matter.code]}
        for v in ordered
    ]
    initial = {
        "fields": merged["fields"],
        "items": items,
        "materials": merged["materials"],
        "lead_unit": ordered[0].unit_id,
        "promised_limit_days": max(v.promised_limit_days for v in ordered),
    }
    return initial, unknown


class PackageVersionForm(forms.ModelForm):
    package_code = forms.CharField(
        label=gettext_lazy("Package code"),
        max_length=64,
        help_text=gettext_lazy("An existing code adds a version to that package; a new code creates a package."),
    )
    items = forms.JSONField(
        label=gettext_lazy("Bundled matters"),
        help_text=gettext_lazy(
            'JSON list: [{"matter": code, "depends_on": [codes], "condition": {} or {"field": name, "equals": value}, '
            '"field_map": {package field: matter field}}].'
        ),
    )
    materials = forms.JSONField(
        label=gettext_lazy("Merged materials"),
        help_text=gettext_lazy(
            'JSON list: [{"code": "P01", "name": ..., "required": true, "sources": [{"matter": code, "material": '
            'code, optionally "from_result_of": the code of a matter it depends on, whose result is this material '
            "(not asked of the applicant)}]}]."
        ),
    )

    class Meta:
        model = PackageVersion
        fields = ATTR_FIELDS
        help_texts = {
            "fields": gettext_lazy(
                "JSON list of the merged form's fields, as a matter's, with an optional "
                '"required_if": {"field": name, "equals": value}.'
            )
        }

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.errors:
            return cleaned
        attrs = {key: cleaned.get(key) for key in ATTR_FIELDS}
        attrs["description"] = attrs.get("description") or ""
        attrs["fields"] = attrs.get("fields") or []
        raw_items, raw_materials = cleaned.get("items"), cleaned.get("materials")
        items: list[Any] = (
            [dict(i) if isinstance(i, dict) else i for i in raw_items] if isinstance(raw_items, list) else []
        )
        materials: list[Any] = raw_materials if isinstance(raw_materials, list) else []
        problems = package_version_check(attrs=attrs, items=items, materials=materials)
        for key, found in problems.items():
            head = key.split(".", 1)[0]
            target = head if head in ("items", "materials") else key
            self.add_error(target if target in self.fields else None, found)
        return cleaned


@admin.register(PackageVersion)
class PackageVersionAdmin(admin.ModelAdmin):
    form = PackageVersionForm
    list_display = ("package", "version", "name", "lead_unit", "promised_limit_days", "is_published", "created_at")
    list_filter = ("is_published", "life_event")
    search_fields = ("package__code", "name")
    list_select_related = ("package", "lead_unit")

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ["package_code", *ATTR_FIELDS, "items", "materials"]
        return ["package", "version", *ATTR_FIELDS, "is_published", "created_at", "created_by"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A saved version is a record package applications point to: view it, and edit by adding a new version.
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        initial: dict[str, Any] = dict(super().get_changeform_initial_data(request))
        initial.pop("matters", None)  # the builder's query parameter, not the materials field
        source = _copy_from(request)
        if source is not None:
            initial.update({key: getattr(source, key) for key in ATTR_FIELDS})
            initial["lead_unit"] = source.lead_unit_id
            initial["package_code"] = source.package.code
            initial["items"] = [
                {key: item.matter.code if key == "matter" else getattr(item, key) for key in ITEM_KEYS}
                for item in source.items.select_related("matter")
            ]
            initial["materials"] = [{key: getattr(m, key) for key in MATERIAL_KEYS} for m in source.materials.all()]
        elif request.GET.get("matters"):
            built, unknown = build_initial(_matter_codes(request.GET["matters"][:2000]))
            initial.update(built)
            if unknown:
                messages.error(
                    request, _("These are not published matters: %(codes)s.") % {"codes": "、".join(unknown)}
                )
        return initial

    def construct_change_message(self, request: HttpRequest, form: Any, formsets: Any, add: bool = False) -> Any:
        return [{"added": {}}]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        """Nothing yet: the version is written with its items and materials by the publish service in save_related."""

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        result = package_version_publish(
            code=form.cleaned_data["package_code"],
            attrs={key: form.cleaned_data.get(key) for key in ATTR_FIELDS},
            items=form.cleaned_data["items"],
            materials=form.cleaned_data["materials"],
            acting_user=request.user,
        )
        form.instance.pk = result.version.pk
        form.instance.package = result.version.package
        form.instance.version = result.version.version


@admin.register(Package)
class PackageAdmin(CheckedUploadAdmin):
    list_display = ("code", "name", "life_event", "lead_unit", "current_version_number", "is_active", "edit_link")
    list_filter = ("is_active", "life_event", "lead_unit")
    search_fields = ("code", "name", "pinyin_initials")
    list_select_related = ("lead_unit", "current_version")
    readonly_fields = ("code", "name", "pinyin_initials", "life_event", "lead_unit", "current_version")
    fields = ("code", "name", "pinyin_initials", "life_event", "lead_unit", "current_version", "is_active")
    change_list_template = "admin/packages/package/change_list.html"
    upload_kind = uploads.PACKAGE_UPLOADS
    upload_labels = UploadPageLabels(
        title=gettext_lazy("Import packages"),
        choose_one=gettext_lazy("Choose one package file."),
        imported=gettext_lazy(
            "Packages imported: %(new)d new, %(changed)d changed (new version), %(unchanged)d unchanged."
        ),
        outcome_bar=gettext_lazy("New, changed and unchanged packages"),
        new_items=gettext_lazy("New packages"),
        changed_items=gettext_lazy("Changed packages (a new version each)"),
        upload_heading=gettext_lazy("Upload a package file"),
        upload_help=gettext_lazy(
            "An Excel workbook with the sheets 一件事, 事项 and 材料, as the export writes it, or the packages' JSON; "
            "at most %(max_mb)s MB. The matters it bundles must be in the catalogue. The upload is a dry run: it "
            "reports every new and changed package and every row error, and writes nothing until you confirm."
        ),
        file_field=gettext_lazy("Package file"),
        export_link=gettext_lazy("Download the current packages (xlsx)"),
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # a package is added with its first version

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=gettext_lazy("version"))
    def current_version_number(self, package: Package) -> int | None:
        return package.current_version.version if package.current_version else None

    @admin.display(description=gettext_lazy("edit"))
    def edit_link(self, package: Package) -> str:
        if package.current_version_id is None:
            return ""
        url = reverse("admin:packages_packageversion_add") + f"?from={package.current_version_id}"
        return format_html('<a href="{}">{}</a>', url, _("New version"))

    def get_urls(self) -> list[Any]:
        view = self.admin_site.admin_view
        return [
            path("build/", view(self.build_view), name="packages_package_build"),
            path("export/", view(self.export_view), name="packages_package_export"),
            *self.checked_upload_urls(),
            *super().get_urls(),
        ]

    def _check_edit_permission(self, request: HttpRequest) -> None:
        if not request.user.has_perm(uploads.FILE_PERMISSION):
            raise PermissionDenied

    def build_view(self, request: HttpRequest) -> HttpResponse:
        """The "build from matters" page: matter codes in, the add form with the merged form and materials out."""
        self._check_edit_permission(request)
        page = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Build a package from matters"),
            "matters": (request.GET.get("matters") or "")[:2000],
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/packages/package/build.html", page)

    def export_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        response = HttpResponse(
            packages_export(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        response["Content-Disposition"] = f'attachment; filename="packages-{timezone.localdate().isoformat()}.xlsx"'
        return response
