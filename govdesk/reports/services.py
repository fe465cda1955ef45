"""Exports: read through the selectors, write the file, and audit who exported what (filters and row count)."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import IO, Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from govdesk.audit.services import audit_append
from govdesk.common import clock
from govdesk.common.errors import ValidationFailed

from . import exports, pdf, selectors
from .labels import MONTHLY_FILE_PREFIX
from .xlsx import save

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF_TYPE = "application/pdf"


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


def orders_xlsx_export(
    *, actor: Any, params: Mapping[str, Any], unmask: bool = False, ip_address: str | None = None
) -> ExportFile:
    """Every order `actor` may see under the order list's filters, as xlsx (at most ORDER_EXPORT_MAX_ROWS)."""
    selectors.order_export_check_role(actor)
    filters = selectors.order_export_filters(params)
    queryset = selectors.order_export_queryset(user=actor, filters=filters)
    count = queryset.count()
    limit = selectors.ORDER_EXPORT_MAX_ROWS
    if count > limit:
        raise ValidationFailed(
            _("%(count)s orders match these filters; an export holds at most %(limit)s. Narrow the filters.")
            % {"count": f"{count:,}", "limit": f"{limit:,}"}
        )
    wb, rows = exports.orders_workbook(
        selectors.order_export_rows(user=actor, queryset=queryset[:limit], unmask=unmask)
    )
    target = _spooled()
    save(wb, target)
    _audit(
        actor=actor,
        action="report.orders_xlsx",
        details={"filters": filters, "rows": rows, "unmasked": unmask},
        ip_address=ip_address,
    )
    stamp = _stamp()
    return ExportFile(target, f"工单导出-{stamp}.xlsx", f"orders-{stamp}.xlsx", XLSX_TYPE, rows)


def stats_xlsx_export(*, actor: Any, params: Mapping[str, Any], ip_address: str | None = None) -> ExportFile:
    """Every table of the statistics overview under the dashboard's filters, as xlsx."""
    from govdesk.stats.selectors import stats_filter_parse, stats_overview

    selectors.stats_export_check_role(actor)
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
