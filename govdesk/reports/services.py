"""Exports: read through the selectors, write the file, and audit who exported what (filters and row count)."""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from govdesk.audit.services import audit_append
from govdesk.common import clock
from govdesk.common.errors import (
    ApplicationError,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from govdesk.common.validators import clean_text

from . import exports, ledger_selectors, pdf, selectors
from .labels import MONTHLY_FILE_PREFIX
from .models import ExportJob, ExportKind, ExportStatus
from .xlsx import save

logger = logging.getLogger(__name__)

# Declared in ExportJob.Meta.permissions; granted per account by the security administrator.
UNMASK_PERMISSION = "reports.export_unmasked"
UNMASK_REASON_MAX_LENGTH = 200
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF_TYPE = "application/pdf"
# The downloaded file's (Chinese) name per list; the ASCII fallback is the kind.
EXPORT_FILE_TITLES: dict[str, str] = {ExportKind.ORDERS: "工单导出", ExportKind.APPLICATIONS: "办件台账"}


@dataclass
class ExportFile:
    file: IO[bytes]
    filename: str
    ascii_filename: str
    content_type: str
    rows: int


def _audit(*, actor: Any, action: str, details: dict[str, Any], ip_address: str | None) -> None:
    note = json.dumps(details, ensure_ascii=False, sort_keys=True, default=str)
    if isinstance(actor, selectors.DistrictReader):
        actor, note = None, f"{actor.get_username()}: {note}"
    with transaction.atomic():
        audit_append(
            action=action, actor=actor, object_type="report", object_id=action, note=note, ip_address=ip_address
        )


def _stamp() -> str:
    return timezone.localtime(clock.now()).strftime("%Y%m%d-%H%M")


def _spooled() -> IO[bytes]:
    # Up to 8 MB in memory, then a temporary file: a 100,000-row export never sits in memory whole.
    return tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)


def _setting_int(name: str) -> int:
    value: Any = settings.GOVDESK[name]
    return int(value)


def _export_count_check(count: int, kind: str = ExportKind.ORDERS) -> None:
    limit = selectors.ORDER_EXPORT_MAX_ROWS
    if count > limit:
        numbers = {"count": f"{count:,}", "limit": f"{limit:,}"}
        if kind == ExportKind.APPLICATIONS:
            raise ValidationFailed(
                _("%(count)s applications match these filters; an export holds at most %(limit)s. Narrow the filters.")
                % numbers
            )
        raise ValidationFailed(
            _("%(count)s orders match these filters; an export holds at most %(limit)s. Narrow the filters.") % numbers
        )


def _unmask_reason_check(*, actor: Any, unmask: bool, reason: str | None, kind: str = ExportKind.ORDERS) -> str:
    """An export with full phone (and ID) numbers needs its own permission and a reason (stored and audited); ""
    otherwise."""
    if not unmask:
        return ""
    applications = kind == ExportKind.APPLICATIONS
    if not actor.has_perm(UNMASK_PERMISSION):
        if applications:
            raise PermissionDenied(
                _(
                    "Exporting full phone and ID numbers needs its own permission, which the security administrator "
                    "grants per account. Export without full numbers, or reveal a number on the application's page."
                )
            )
        raise PermissionDenied(
            _(
                "Exporting full phone numbers needs its own permission, which the security administrator grants "
                "per account. Export without full numbers, or reveal a number on the order's page."
            )
        )
    text = clean_text(reason or "")
    message = ""
    if not text and applications:
        message = _("Give the reason for exporting full phone and ID numbers; it is kept in the audit trail.")
    elif not text:
        message = _("Give the reason for exporting full phone numbers; it is kept in the audit trail.")
    elif len(text) > UNMASK_REASON_MAX_LENGTH:
        message = _("At most %(n)d characters (now %(len)d).") % {"n": UNMASK_REASON_MAX_LENGTH, "len": len(text)}
    if message:
        raise ValidationFailed(message, fields={"reason": [message]})
    return text


def _unmask_count_check(*, unmask: bool, count: int, kind: str = ExportKind.ORDERS) -> None:
    """Above the cap the export is refused, never cut short: a truncated file would pass for the whole list."""
    limit = _setting_int("UNMASK_EXPORT_MAX_ROWS")
    if unmask and count > limit:
        numbers = {"count": f"{count:,}", "limit": f"{limit:,}"}
        if kind == ExportKind.APPLICATIONS:
            message = (
                _(
                    "%(count)s applications match these filters; an export with full phone and ID numbers holds at "
                    "most %(limit)s. Narrow the filters, or export without full numbers."
                )
                % numbers
            )
        else:
            message = (
                _(
                    "%(count)s orders match these filters; an export with full phone numbers holds at most %(limit)s. "
                    "Narrow the filters, or export without full numbers."
                )
                % numbers
            )
        raise ValidationFailed(message, fields={"unmask": [message]})


def orders_xlsx_request(
    *,
    actor: Any,
    params: Mapping[str, Any],
    unmask: bool = False,
    reason: str | None = None,
    ip_address: str | None = None,
) -> ExportFile | ExportJob:
    """The order list as xlsx: built now when it has at most EXPORT_INLINE_ROWS rows, otherwise queued for the task
    worker as an ExportJob (a large export would hold the request, and a proxy's timeout, for tens of seconds).

    With `unmask`: the permission reports.export_unmasked, a `reason` and at most UNMASK_EXPORT_MAX_ROWS rows."""
    selectors.order_export_check_role(actor)
    reason = _unmask_reason_check(actor=actor, unmask=unmask, reason=reason)
    filters = selectors.order_export_filters(params)
    queryset = selectors.order_export_queryset(user=actor, filters=filters)
    count = queryset.count()
    _export_count_check(count)
    _unmask_count_check(unmask=unmask, count=count)
    if count <= _setting_int("EXPORT_INLINE_ROWS"):
        return _orders_file(
            actor=actor, filters=filters, queryset=queryset, unmask=unmask, reason=reason, ip_address=ip_address
        )
    return _export_job_queue(
        actor=actor,
        kind=ExportKind.ORDERS,
        params={k: params[k] for k in selectors.ORDER_EXPORT_PARAMS if params.get(k) not in (None, "")},
        filters=filters,
        count=count,
        unmask=unmask,
        reason=reason,
        ip_address=ip_address,
    )


def _export_job_queue(
    *,
    actor: Any,
    kind: str,
    params: Mapping[str, Any],
    filters: dict[str, Any],
    count: int,
    unmask: bool,
    reason: str,
    ip_address: str | None,
) -> ExportJob:
    """Queue a checked export for the task worker; it keeps the request's parameters to build the file later."""
    with transaction.atomic():
        job = ExportJob.objects.create(
            requested_by=actor,
            kind=kind,
            filters={k: str(v) for k, v in params.items()},
            unmask=unmask,
            unmask_reason=reason,
            expected_rows=count,
            created_at=clock.now(),
        )
        details: dict[str, Any] = {"job": str(job.pk), "filters": filters, "rows": count, "unmasked": unmask}
        if unmask:
            details["reason"] = reason
        _audit(actor=actor, action=f"report.{kind}_xlsx_queued", details=details, ip_address=ip_address)
        job_pk = str(job.pk)
        transaction.on_commit(lambda: _export_job_enqueue(job_pk), robust=True)
    return job


def _export_job_enqueue(job_pk: str) -> None:
    try:
        from . import tasks

        tasks.export_job_task(job_pk)
    except Exception:
        # The job stays queued; the periodic job picks up queued jobs whose task was lost.
        logger.exception("could not queue export job %s", job_pk)


def _export_path(name: str) -> Path:
    return Path(str(settings.GOVDESK["EXPORT_DIR"])) / name


def export_job_run(job_pk: str) -> None:
    """Build a queued export as its requester, with the requester's current rights. Idempotent: a job that is no
    longer queued (done, failed, or taken by another worker) is left alone.

    In the site's language (headers, error message), whatever the worker thread had active before.
    """
    with translation.override(settings.LANGUAGE_CODE):
        _export_job_build(job_pk)


def _export_job_build(job_pk: str) -> None:
    with transaction.atomic():
        job = ExportJob.objects.select_for_update().filter(pk=job_pk, status=ExportStatus.QUEUED).first()
        if job is None:
            return
        job.status = ExportStatus.RUNNING
        job.save(update_fields=["status"])
    name = f"{job.pk}.xlsx"
    target = _export_path(name)
    try:
        user = job.requested_by
        if not user.is_active:
            raise PermissionDenied(_("The account that asked for this export is disabled."))
        # With the requester's rights of now: a permission withdrawn since the request is no longer there.
        build = applications_xlsx_export if job.kind == ExportKind.APPLICATIONS else orders_xlsx_export
        export = build(actor=user, params=job.filters, unmask=job.unmask, reason=job.unmask_reason)
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(".part")
        with export.file, partial.open("wb") as out:
            shutil.copyfileobj(export.file, out)
        partial.replace(target)  # never a half-written file under the final name
    except Exception as exc:
        logger.exception("export job %s failed", job.pk)
        message = str(exc) if isinstance(exc, ApplicationError) else _("The export could not be built; try again.")
        ExportJob.objects.filter(pk=job.pk).update(
            status=ExportStatus.FAILED, error=message[:300], finished_at=clock.now()
        )
        target.with_suffix(".part").unlink(missing_ok=True)
        return
    ExportJob.objects.filter(pk=job.pk).update(
        status=ExportStatus.DONE, rows=export.rows, file_name=name, finished_at=clock.now()
    )


def export_job_download(*, actor: Any, job_pk: str, ip_address: str | None = None) -> ExportFile:
    """The finished export's file, for its requester only (anyone else: not found)."""
    job = selectors.export_job_get(user=actor, job_pk=job_pk)
    if job.status != ExportStatus.DONE or not job.file_name:
        raise InvalidTransition(_("This export is not ready yet."), code="not_ready")
    try:
        handle = _export_path(job.file_name).open("rb")
    except FileNotFoundError as exc:
        raise NotFound(_("This export has expired.")) from exc
    _audit(
        actor=actor,
        action=f"report.{job.kind}_xlsx_download",
        details={"job": str(job.pk), "rows": job.rows},
        ip_address=ip_address,
    )
    stamp = timezone.localtime(job.created_at).strftime("%Y%m%d-%H%M")
    title = EXPORT_FILE_TITLES.get(job.kind, EXPORT_FILE_TITLES[ExportKind.ORDERS])
    return ExportFile(handle, f"{title}-{stamp}.xlsx", f"{job.kind}-{stamp}.xlsx", XLSX_TYPE, job.rows)


def export_jobs_maintain(*, now: datetime | None = None) -> dict[str, int]:
    """Delete expired exports (job and file), and queue again jobs whose task was lost (queued over 10 minutes)."""
    now = now or clock.now()
    expired = ExportJob.objects.filter(created_at__lt=now - timedelta(days=_setting_int("EXPORT_KEEP_DAYS")))
    names = [n for n in expired.values_list("file_name", flat=True) if n]
    for name in names:
        _export_path(name).unlink(missing_ok=True)
    deleted, _detail = expired.delete()
    stale = list(
        ExportJob.objects.filter(status=ExportStatus.QUEUED, created_at__lt=now - timedelta(minutes=10)).values_list(
            "pk", flat=True
        )
    )
    for pk in stale:
        _export_job_enqueue(str(pk))
    return {"expired": deleted, "requeued": len(stale)}


def orders_xlsx_export(
    *,
    actor: Any,
    params: Mapping[str, Any],
    unmask: bool = False,
    reason: str | None = None,
    ip_address: str | None = None,
) -> ExportFile:
    """Every order `actor` may see under the order list's filters, as xlsx (at most ORDER_EXPORT_MAX_ROWS), built
    now (the view goes through orders_xlsx_request, which queues large ones); `unmask` as there."""
    selectors.order_export_check_role(actor)
    reason = _unmask_reason_check(actor=actor, unmask=unmask, reason=reason)
    filters = selectors.order_export_filters(params)
    queryset = selectors.order_export_queryset(user=actor, filters=filters)
    count = queryset.count()
    _export_count_check(count)
    _unmask_count_check(unmask=unmask, count=count)
    return _orders_file(
        actor=actor, filters=filters, queryset=queryset, unmask=unmask, reason=reason, ip_address=ip_address
    )


def _orders_file(
    *, actor: Any, filters: dict[str, Any], queryset: Any, unmask: bool, reason: str, ip_address: str | None
) -> ExportFile:
    """The workbook of checked filters and their counted queryset, audited (with the reason when unmasked)."""
    wb, rows = exports.orders_workbook(
        selectors.order_export_rows(user=actor, queryset=queryset[: selectors.ORDER_EXPORT_MAX_ROWS], unmask=unmask)
    )
    target = _spooled()
    save(wb, target)
    details: dict[str, Any] = {"filters": filters, "rows": rows, "unmasked": unmask}
    if unmask:
        details["reason"] = reason
    _audit(actor=actor, action="report.orders_xlsx", details=details, ip_address=ip_address)
    stamp = _stamp()
    return ExportFile(target, f"工单导出-{stamp}.xlsx", f"orders-{stamp}.xlsx", XLSX_TYPE, rows)


def applications_xlsx_request(
    *,
    actor: Any,
    params: Mapping[str, Any],
    unmask: bool = False,
    reason: str | None = None,
    ip_address: str | None = None,
) -> ExportFile | ExportJob:
    """办件台账 as xlsx, under the same rules as the order list: built now up to EXPORT_INLINE_ROWS rows, otherwise
    queued; with `unmask` the permission reports.export_unmasked, a `reason` and at most UNMASK_EXPORT_MAX_ROWS."""
    checked = _applications_checked(actor=actor, params=params, unmask=unmask, reason=reason)
    if checked.count <= _setting_int("EXPORT_INLINE_ROWS"):
        return _applications_file(actor=actor, checked=checked, ip_address=ip_address)
    return _export_job_queue(
        actor=actor,
        kind=ExportKind.APPLICATIONS,
        params={k: params[k] for k in ledger_selectors.APPLICATION_EXPORT_PARAMS if params.get(k) not in (None, "")},
        filters=checked.filters,
        count=checked.count,
        unmask=unmask,
        reason=checked.reason,
        ip_address=ip_address,
    )


def applications_xlsx_export(
    *,
    actor: Any,
    params: Mapping[str, Any],
    unmask: bool = False,
    reason: str | None = None,
    ip_address: str | None = None,
) -> ExportFile:
    """Every application `actor` may see under the ledger's filters, as xlsx, built now (the task worker's path)."""
    checked = _applications_checked(actor=actor, params=params, unmask=unmask, reason=reason)
    return _applications_file(actor=actor, checked=checked, ip_address=ip_address)


@dataclass
class _CheckedExport:
    filters: dict[str, Any]
    queryset: Any
    count: int
    unmask: bool
    reason: str


def _applications_checked(*, actor: Any, params: Mapping[str, Any], unmask: bool, reason: str | None) -> _CheckedExport:
    """Role, unmask rights and reason, filters, row counts: every refusal before anything is read or written."""
    kind = ExportKind.APPLICATIONS
    ledger_selectors.application_export_check_role(actor)
    text = _unmask_reason_check(actor=actor, unmask=unmask, reason=reason, kind=kind)
    filters = ledger_selectors.application_export_filters(params)
    queryset = ledger_selectors.application_export_queryset(user=actor, filters=filters)
    count = queryset.count()
    _export_count_check(count, kind)
    _unmask_count_check(unmask=unmask, count=count, kind=kind)
    return _CheckedExport(filters, queryset, count, unmask, text)


def _applications_file(*, actor: Any, checked: _CheckedExport, ip_address: str | None) -> ExportFile:
    wb, rows = exports.applications_workbook(
        ledger_selectors.application_export_rows(
            user=actor, queryset=checked.queryset[: selectors.ORDER_EXPORT_MAX_ROWS], unmask=checked.unmask
        )
    )
    target = _spooled()
    save(wb, target)
    details: dict[str, Any] = {"filters": checked.filters, "rows": rows, "unmasked": checked.unmask}
    if checked.unmask:
        details["reason"] = checked.reason
    _audit(actor=actor, action="report.applications_xlsx", details=details, ip_address=ip_address)
    stamp = _stamp()
    title = EXPORT_FILE_TITLES[ExportKind.APPLICATIONS]
    return ExportFile(target, f"{title}-{stamp}.xlsx", f"applications-{stamp}.xlsx", XLSX_TYPE, rows)


def stats_xlsx_export(*, actor: Any, params: Mapping[str, Any], ip_address: str | None = None) -> ExportFile:
    """Every table of the statistics overview under the dashboard's filters, as xlsx; with `kind=application` the
    application (办件) overview, with `kind=package` the package (一件事) overview, instead of the work orders'
    (`kind=workorder`, the default)."""
    from govdesk.stats.selectors import stats_filter_parse, stats_overview

    selectors.stats_export_check_role(actor)
    # The kinds of the statistics API (GET /api/v1/stats/overview/?kind=…), with its message for another.
    kind = str(params.get("kind") or "workorder").strip()
    if kind == "application":
        return _application_stats_xlsx(actor=actor, params=params, ip_address=ip_address)
    if kind == "package":
        return _package_stats_xlsx(actor=actor, params=params, ip_address=ip_address)
    if kind != "workorder":
        message = _("Choose workorder, application or package.")
        raise ValidationFailed(message, fields={"kind": [message]})
    flt = stats_filter_parse(params, actor)
    overview = stats_overview(user=actor, flt=flt)
    wb = exports.stats_workbook(overview, generated_at=clock.now())
    target = _spooled()
    save(wb, target)
    _audit(
        actor=actor,
        action="report.stats_xlsx",
        details={"filters": overview.get("filters", {}), "rows": overview.get("total")},
        ip_address=ip_address,
    )
    f = overview.get("filters", {})
    span = f"{f.get('date_from', '')}_{f.get('date_to', '')}"
    return ExportFile(target, f"统计报表-{span}.xlsx", f"statistics-{span}.xlsx", XLSX_TYPE, int(overview["total"]))


def _application_stats_xlsx(*, actor: Any, params: Mapping[str, Any], ip_address: str | None) -> ExportFile:
    """The statistics' application overview (the dashboard's figures, read from its selector) as xlsx."""
    from govdesk.stats.selectors import stats_application_filter_parse, stats_application_overview

    flt = stats_application_filter_parse(params, actor)
    overview = stats_application_overview(user=actor, flt=flt)
    wb = exports.application_stats_workbook(overview, generated_at=clock.now())
    target = _spooled()
    save(wb, target)
    received = int((overview.get("totals") or {}).get("received") or 0)
    _audit(
        actor=actor,
        action="report.stats_xlsx",
        details={"kind": "application", "filters": overview.get("filters", {}), "rows": received},
        ip_address=ip_address,
    )
    f = overview.get("filters", {})
    span = f"{f.get('date_from', '')}_{f.get('date_to', '')}"
    return ExportFile(target, f"办件统计-{span}.xlsx", f"application-statistics-{span}.xlsx", XLSX_TYPE, received)


def _package_stats_xlsx(*, actor: Any, params: Mapping[str, Any], ip_address: str | None) -> ExportFile:
    """The statistics' package (一件事) overview (the dashboard's figures, read from its selector) as xlsx."""
    from govdesk.stats.selectors import stats_package_filter_parse, stats_package_overview

    flt = stats_package_filter_parse(params, actor)
    overview = stats_package_overview(user=actor, flt=flt)
    wb = exports.package_stats_workbook(overview, generated_at=clock.now())
    target = _spooled()
    save(wb, target)
    received = int((overview.get("totals") or {}).get("received") or 0)
    _audit(
        actor=actor,
        action="report.stats_xlsx",
        details={"kind": "package", "filters": overview.get("filters", {}), "rows": received},
        ip_address=ip_address,
    )
    f = overview.get("filters", {})
    span = f"{f.get('date_from', '')}_{f.get('date_to', '')}"
    return ExportFile(target, f"一件事统计-{span}.xlsx", f"package-statistics-{span}.xlsx", XLSX_TYPE, received)


def assessment_xlsx_export(*, actor: Any, params: Mapping[str, Any], ip_address: str | None = None) -> ExportFile:
    """A month's unit assessment (ranking, each rate's points, the rules) as xlsx, scoped as the page is."""
    from govdesk.assessment.selectors import assessment_ranking

    ranking = assessment_ranking(user=actor, month_raw=params.get("month"))
    wb = exports.assessment_workbook(ranking)
    target = _spooled()
    save(wb, target)
    _audit(
        actor=actor,
        action="report.assessment_xlsx",
        details={"month": ranking["month"], "rows": len(ranking["results"]), "scope": ranking["scope"]},
        ip_address=ip_address,
    )
    month = ranking["month"]
    return ExportFile(target, f"单位考核-{month}.xlsx", f"assessment-{month}.xlsx", XLSX_TYPE, len(ranking["results"]))


def monthly_filename(month: date, ext: str) -> str:
    return f"{MONTHLY_FILE_PREFIX}-{month:%Y-%m}.{ext}"


def monthly_report_export(*, actor: Any, month: str, fmt: str, ip_address: str | None = None) -> ExportFile:
    """The month's report as "xlsx" or "pdf", with the statistics scoped to what `actor` may see."""
    if fmt not in ("xlsx", "pdf"):
        raise ValidationFailed(_("Unknown report format."))
    data = selectors.monthly_report_data(user=actor, month=month)
    return monthly_report_file(data, fmt=fmt, actor=actor, ip_address=ip_address)


def monthly_report_file(data: dict[str, Any], *, fmt: str, actor: Any, ip_address: str | None) -> ExportFile:
    target = _spooled()
    if fmt == "xlsx":
        save(exports.monthly_workbook(data), target)
    else:
        target.write(pdf.monthly_pdf(data))
        target.seek(0)
    _audit(
        actor=actor,
        action=f"report.monthly_{fmt}",
        details={"month": data["month_code"], "rows": data["overview"].get("total")},
        ip_address=ip_address,
    )
    first: date = data["month"]
    name = monthly_filename(first, fmt)
    return ExportFile(
        target,
        name,
        f"12345-monthly-report-{first:%Y-%m}.{fmt}",
        XLSX_TYPE if fmt == "xlsx" else PDF_TYPE,
        int(data["overview"]["total"]),
    )
