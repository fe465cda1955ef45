"""Admin editing of the construction project types (工程建设项目类型) and their flows: a type with its stages inline.

An edit is checked by the importer's own check (`flows.project_type_check`: stage numbers 1..n, the package exists,
告知承诺 and joint matters are the package's, the limits add up) and saved through `flows.project_type_save`, so an
edit in the admin and a row of an imported workbook obey the same rules and are audited alike. Files are imported with
`manage.py projects_import` (dry run unless --commit) and exported with the changelist's download link or
`projects_export`.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from govdesk.common.errors import ApplicationError, ValidationFailed
from govdesk.packages.models import Package

from .flows import (
    STAGE_KEYS,
    TYPE_KEYS,
    project_type_check,
    project_type_save,
    project_types_export,
    project_types_import,
)
from .models import FlowStage, ProjectType

MAX_UPLOAD_BYTES = 5 * 2**20


def _stage_data(cleaned: dict[str, Any]) -> dict[str, Any]:
    package = cleaned.get("package")
    return {key: (package.code if package else "") if key == "package" else cleaned.get(key) for key in STAGE_KEYS}


class FlowStageForm(forms.ModelForm):
    class Meta:
        model = FlowStage
        fields = list(STAGE_KEYS)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        package_field = self.fields["package"]
        assert isinstance(package_field, forms.ModelChoiceField)
        package_field.queryset = Package.objects.filter(is_active=True).order_by("code")
        for key in ("commitment_matters", "joint_matters", "permit_kinds"):
            self.fields[key].widget = forms.Textarea(attrs={"rows": 2, "cols": 40})
        self.fields["commitment_matters"].help_text = gettext_lazy('Matter codes as JSON, e.g. ["141102-01-ZJ-0001"].')
        self.fields["joint_matters"].help_text = gettext_lazy("Matter codes as JSON; at least two when given.")
        self.fields["permit_kinds"].help_text = gettext_lazy('{"matter code": "document its approval issues"}.')


class FlowStageFormSet(BaseInlineFormSet):
    """Checks the whole flow (with the type's total limit) by `project_type_check`; its problems are shown on the
    stage and column they concern."""

    def clean(self) -> None:
        super().clean()
        if any(form.errors for form in self.forms):
            return
        kept = [form for form in self.forms if form.cleaned_data and not form.cleaned_data.get("DELETE", False)]
        stages = [_stage_data(form.cleaned_data) for form in kept]
        attrs = {key: getattr(self.instance, key) for key in TYPE_KEYS}
        problems = project_type_check(code=self.instance.code or "", attrs=attrs, stages=stages)
        general: list[str] = []
        for key, texts in problems.items():
            if key in TYPE_KEYS and not (key == "total_limit_days" and isinstance(attrs[key], int)):
                continue  # the type's own fields are checked (and shown) by its form
            head, _dot, rest = key.partition(".")
            position, _dot, column = rest.partition(".")
            if head == "stages" and position.isdigit() and column in kept[int(position) - 1].fields:
                for message in texts:
                    kept[int(position) - 1].add_error(column, message)
            else:
                general.extend(str(message) for message in texts)
        if general:
            raise ValidationError(general)


class ProjectTypeImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Project type file"),
        help_text=gettext_lazy(
            "An Excel workbook with the sheets 项目类型 and 阶段, as the export writes it, or the JSON of the shipped "
            "types. The packages it names must be in the catalogue."
        ),
    )
    commit = forms.BooleanField(
        label=gettext_lazy("Write the changes"),
        required=False,
        help_text=gettext_lazy("Leave unticked for a dry run: every row is checked and nothing is written."),
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise ValidationError(_("The file is larger than %(mb)d MB.") % {"mb": MAX_UPLOAD_BYTES // 2**20})
        return upload


class FlowStageInline(admin.TabularInline):
    model = FlowStage
    form = FlowStageForm
    formset = FlowStageFormSet
    extra = 0
    min_num = 1
    ordering = ("no",)


class ProjectTypeForm(forms.ModelForm):
    class Meta:
        model = ProjectType
        fields = ["code", "name", "description", "total_limit_days", "is_active", "order"]


@admin.register(ProjectType)
class ProjectTypeAdmin(admin.ModelAdmin):
    form = ProjectTypeForm
    inlines = [FlowStageInline]
    list_display = ("code", "name", "total_limit_days", "stage_count", "is_active", "order")
    list_filter = ("is_active",)
    search_fields = ("code", "name")
    ordering = ("order", "code")
    change_list_template = "admin/projects/projecttype/change_list.html"

    def get_queryset(self, request: HttpRequest) -> Any:
        return super().get_queryset(request).prefetch_related("stages")

    @admin.display(description=gettext_lazy("stages"))
    def stage_count(self, obj: ProjectType) -> int:
        return len(obj.stages.all())

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return ("code",) if obj is not None else ()  # projects and files refer to a type by its code

    def get_urls(self) -> list[Any]:
        export = path("export/", self.admin_site.admin_view(self.export_view), name="projects_projecttype_export")
        upload = path("import/", self.admin_site.admin_view(self.import_view), name="projects_projecttype_import")
        return [export, upload, *super().get_urls()]

    def export_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        response = HttpResponse(
            project_types_export(),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = 'attachment; filename="project-types.xlsx"'
        return response

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        extra = {"export_url": reverse("admin:projects_projecttype_export"), **(extra_context or {})}
        return super().changelist_view(request, extra_context=extra)

    def changeform_view(
        self, request: HttpRequest, object_id: str | None = None, form_url: str = "", extra_context: Any = None
    ) -> Any:
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ValidationFailed as exc:  # rolled back by the admin's transaction: nothing was written
            details = [str(m) for texts in exc.fields.values() for m in texts]
            messages.error(request, " ".join([exc.message, *details]))
            return HttpResponseRedirect(request.get_full_path())

    def save_model(self, request: HttpRequest, obj: ProjectType, form: Any, change: bool) -> None:
        """Nothing yet: the type and its stages are written together by project_type_save in save_related."""

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        """Nothing: see save_related."""

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        obj: ProjectType = form.instance
        stages = [
            _stage_data(stage_form.cleaned_data)
            for formset in formsets
            for stage_form in formset.forms
            if stage_form.cleaned_data and not stage_form.cleaned_data.get("DELETE", False)
        ]
        attrs = {key: getattr(obj, key) for key in TYPE_KEYS}
        # Checked by the formset already; a concurrent edit that broke the rules since is refused (changeform_view).
        saved = project_type_save(code=obj.code, attrs=attrs, stages=stages, acting_user=request.user)
        obj.pk = saved.project_type.pk
        for formset in formsets:  # what the admin's change message reads of formsets it saved itself
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []

    def import_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_add_permission(request) or not self.has_change_permission(request):
            raise PermissionDenied
        form = ProjectTypeImportForm(request.POST or None, request.FILES or None)
        result = None
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                result = project_types_import(
                    content=upload.read(),
                    filename=upload.name,
                    commit=form.cleaned_data["commit"],
                    acting_user=request.user,
                )
            except ApplicationError as exc:
                form.add_error("file", exc.message)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Import project types"),
            "form": form,
            "result": result,
        }
        return TemplateResponse(request, "admin/projects/projecttype/import.html", context)
