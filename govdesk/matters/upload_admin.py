"""The admin's import pages of a checked upload (`govdesk.matters.uploads`): upload → dry-run report → confirm.

One page for every kind of file: the matter catalogue's and the package catalogue's admins subclass
`CheckedUploadAdmin`, name their `UploadKind` and the words the page uses, and add `checked_upload_urls()` to their
URLs. The page is `admin/matters/checked_upload.html`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import pgettext

from govdesk.common.errors import ApplicationError
from govdesk.common.pages import client_ip

from . import uploads


@dataclass(frozen=True)
class UploadPageLabels:
    """What the import page calls things, as lazy translations (the page speaks the administrator's language)."""

    title: Any  # "Import the catalogue"
    choose_one: Any  # the refusal of a form with no file or several
    imported: Any  # the success message, with %(new)d, %(changed)d and %(unchanged)d
    outcome_bar: Any  # the accessible name of the new/changed/unchanged bar
    new_items: Any
    changed_items: Any
    upload_heading: Any
    upload_help: Any  # with %(max_mb)s, the size limit in MB
    file_field: Any
    export_link: Any


class CheckedUploadAdmin(admin.ModelAdmin):
    """A ModelAdmin with the import pages of `upload_kind`, worded by `upload_labels`."""

    upload_kind: uploads.UploadKind[Any]
    upload_labels: UploadPageLabels

    def checked_upload_urls(self) -> list[Any]:
        """The upload page (`<app>_<model>_import`) and its confirmation (`<app>_<model>_import_confirm`)."""
        view = self.admin_site.admin_view
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        return [
            path("import/", view(self.import_view), name=f"{prefix}_import"),
            path("import/confirm/", view(self.import_confirm_view), name=f"{prefix}_import_confirm"),
        ]

    def _import_page(self, request: HttpRequest, *, status: int = 200, **context: Any) -> TemplateResponse:
        result: uploads.ImportReport | None = context.get("result")
        max_mb = uploads.UPLOAD_MAX_BYTES // (1024 * 1024)
        page = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": self.upload_labels.title,
            "labels": self.upload_labels,
            "max_mb": max_mb,
            "upload_help": self.upload_labels.upload_help % {"max_mb": max_mb},
            "bar": outcome_bar(result) if result is not None and not result.errors else [],
            **context,
        }
        if result is not None:
            page["new_items"] = [i for i in result.items if i.outcome == "new"]
            page["changed_items"] = [i for i in result.items if i.outcome == "changed"]
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/matters/checked_upload.html", page, status=status)

    def _check_import_permission(self, request: HttpRequest) -> None:
        if not request.user.has_perm(self.upload_kind.permission):
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
            return self._import_page(request, status=400, error=str(self.upload_labels.choose_one))
        upload = files[0]
        try:
            checked = uploads.checked_upload_check(
                self.upload_kind,
                actor=request.user,
                name=upload.name or "",
                data=upload.read(uploads.UPLOAD_MAX_BYTES + 1),
                ip_address=client_ip(request),
            )
        except ApplicationError as exc:
            return self._import_page(request, status=exc.status_code, error=str(exc.message))
        result = checked.result
        return self._import_page(
            request, status=400 if result.errors else 200, result=result, upload=checked.upload, filename=upload.name
        )

    def import_confirm_view(self, request: HttpRequest) -> HttpResponse:
        """POST: apply the checked upload named by its token, and show what was written."""
        self._check_import_permission(request)
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        try:
            result = uploads.checked_upload_apply(
                self.upload_kind,
                actor=request.user,
                token=request.POST.get("token", ""),
                ip_address=client_ip(request),
            )
        except ApplicationError as exc:
            return self._import_page(request, status=exc.status_code, error=str(exc.message))
        if result.errors:
            return self._import_page(request, status=400, result=result, applied=False, stale=True)
        messages.success(
            request,
            self.upload_labels.imported
            % {"new": result.created, "changed": result.changed, "unchanged": result.unchanged},
        )
        return self._import_page(request, result=result, applied=True)


OUTCOME_COLOURS = {"new": "#3a9d5d", "changed": "#e07b39", "unchanged": "#9aa5b1"}


def outcome_bar(result: uploads.ImportReport) -> list[dict[str, Any]]:
    """One stacked bar (percent widths) of what the import does: new, changed, unchanged entries."""
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
