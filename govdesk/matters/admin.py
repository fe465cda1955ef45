"""Admin editing of the catalogue. A saved version is never changed: editing a matter saves a new version, which
becomes current at once (applications keep the version they were accepted under)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from govdesk.common.errors import ApplicationError, ValidationFailed
from govdesk.common.pages import client_ip

from . import uploads
from .models import Matter, MatterMaterial, MatterVersion
from .services import MATERIAL_ATTRS, VERSION_ATTRS, matter_fields_check, matter_version_check, matter_version_publish
from .transfer import ImportResult, matters_export


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
class MatterAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "unit", "current_version_number", "is_active", "new_version_link")
    list_filter = ("is_active", "unit")
    search_fields = ("code", "name", "pinyin_initials")
    list_select_related = ("unit", "current_version")
    readonly_fields = ("code", "name", "pinyin_initials", "unit", "current_version")
    fields = ("code", "name", "pinyin_initials", "unit", "current_version", "is_active")
    change_list_template = "admin/matters/matter/change_list.html"

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
            path("import/", view(self.import_view), name="matters_matter_import"),
            path("import/confirm/", view(self.import_confirm_view), name="matters_matter_import_confirm"),
            *super().get_urls(),
        ]

    # --- import from a file: upload → dry-run report → confirm --------------------------------------------------

    def _import_page(self, request: HttpRequest, *, status: int = 200, **context: Any) -> TemplateResponse:
        result: ImportResult | None = context.get("result")
        page = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Import the catalogue"),
            "max_mb": uploads.UPLOAD_MAX_BYTES // (1024 * 1024),
            "bar": _outcome_bar(result) if result is not None and not result.errors else [],
            **context,
        }
        if result is not None:
            page["new_items"] = [i for i in result.items if i.outcome == "new"]
            page["changed_items"] = [i for i in result.items if i.outcome == "changed"]
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/matters/matter/import.html", page, status=status)

    def _check_import_permission(self, request: HttpRequest) -> None:
        if not request.user.has_perm(uploads.FILE_PERMISSION):
            raise PermissionDenied

    def import_view(self, request: HttpRequest) -> HttpResponse:
        """GET: the upload form. POST: the dry run's report of the uploaded file (nothing written)."""
        self._check_import_permission(request)
        if request.method == "GET":
            return self._import_page(request)
        if request.method != "POST":
            return HttpResponseNotAllowed(["GET", "POST"])
        files = request.FILES.getlist("file")
        if len(files) != 1:
            message = _("Choose one catalogue file.")
            return self._import_page(request, status=400, error=message)
        upload = files[0]
        try:
            checked = uploads.catalogue_upload_check(
                actor=request.user,
                name=upload.name or "",
                data=upload.read(uploads.UPLOAD_MAX_BYTES + 1),
                ip_address=client_ip(request),
            )
        except ApplicationError as exc:
            return self._import_page(request, status=exc.status_code, error=str(exc.message))
        result = checked.result
        return self._import_page(
            request,
            status=400 if result.errors else 200,
            result=result,
            upload=checked.upload,
            filename=upload.name,
        )

    def import_confirm_view(self, request: HttpRequest) -> HttpResponse:
        """POST: apply the checked upload named by its token, and show what was written."""
        self._check_import_permission(request)
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        try:
            result = uploads.catalogue_upload_apply(
                actor=request.user, token=request.POST.get("token", ""), ip_address=client_ip(request)
            )
        except ApplicationError as exc:
            return self._import_page(request, status=exc.status_code, error=str(exc.message))
        if result.errors:
            return self._import_page(request, status=400, result=result, applied=False, stale=True)
        messages.success(
            request,
            _("Catalogue imported: %(new)d new, %(changed)d changed (new version), %(unchanged)d unchanged.")
            % {"new": result.created, "changed": result.changed, "unchanged": result.unchanged},
        )
        return self._import_page(request, result=result, applied=True)

    def export_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        response = HttpResponse(
            matters_export(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        stamp = timezone.localdate().isoformat()
        response["Content-Disposition"] = f'attachment; filename="matters-{stamp}.xlsx"'
        return response


OUTCOME_COLOURS = {"new": "#3a9d5d", "changed": "#e07b39", "unchanged": "#9aa5b1"}


def _outcome_bar(result: ImportResult) -> list[dict[str, Any]]:
    """One stacked bar (percent widths) of what the import does: new, changed, unchanged matters."""
    counts = [
        ("new", pgettext("catalogue import", "new"), result.created),
        ("changed", pgettext("catalogue import", "changed"), result.changed),
        ("unchanged", pgettext("catalogue import", "unchanged"), result.unchanged),
    ]
    total = sum(count for _key, _label, count in counts)
    if not total:
        return []
    segments: list[dict[str, Any]] = []
    x = 0.0
    for key, label, count in counts:
        if not count:
            continue
        width = 100.0 * count / total
        segments.append(
            {
                "key": key,
                "label": label,
                "count": count,
                "x": round(x, 2),
                "width": round(width, 2),
                "colour": OUTCOME_COLOURS[key],
            }
        )
        x += width
    return segments
