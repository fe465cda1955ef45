from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.utils.translation import gettext as _

from govdesk.common.errors import ValidationFailed

from .models import CalendarDay, CalendarYear
from .selectors import calendar_invalidate


@dataclass(frozen=True)
class CalendarImportResult:
    year: int
    holidays: int
    workdays: int
    committed: bool


def calendar_year_import(*, text: str, source: str = "", commit: bool) -> CalendarImportResult:
    """Import one year's arrangement from CSV `date,is_workday,name` (is_workday: 1/0, 是/否, true/false).

    Replaces whatever that year had. Without `commit` it only validates and counts.
    """
    rows: list[tuple[date, bool, str]] = []
    reader = csv.reader(io.StringIO(text))
    for lineno, row in enumerate(reader, start=1):
        if not row or not "".join(row).strip() or row[0].strip().lower() == "date":
            continue
        if len(row) < 2:
            raise ValidationFailed(_("Line %(n)d: expected date,is_workday,name.") % {"n": lineno})
        try:
            day = date.fromisoformat(row[0].strip())
        except ValueError:
            raise ValidationFailed(
                _("Line %(n)d: %(v)s is not a date (YYYY-MM-DD).") % {"n": lineno, "v": row[0]}
            ) from None
        flag = row[1].strip().lower()
        if flag in {"1", "true", "yes", "是", "班"}:
            is_workday = True
        elif flag in {"0", "false", "no", "否", "休"}:
            is_workday = False
        else:
            raise ValidationFailed(_("Line %(n)d: is_workday must be 1 or 0.") % {"n": lineno})
        rows.append((day, is_workday, row[2].strip()[:50] if len(row) > 2 else ""))
    if not rows:
        raise ValidationFailed(_("The file has no days."))
    years = {d.year for d, _w, _n in rows}
    if len(years) != 1:
        raise ValidationFailed(_("One file holds one year; this one has %(years)s.") % {"years": sorted(years)})
    if len({d for d, _w, _n in rows}) != len(rows):
        raise ValidationFailed(_("A date appears twice in the file."))
    year = years.pop()
    result = CalendarImportResult(
        year=year,
        holidays=sum(1 for _d, w, _n in rows if not w),
        workdays=sum(1 for _d, w, _n in rows if w),
        committed=commit,
    )
    if commit:
        with transaction.atomic():
            cal_year, _created = CalendarYear.objects.update_or_create(year=year, defaults={"source": source})
            cal_year.days.all().delete()
            CalendarDay.objects.bulk_create(
                CalendarDay(year=cal_year, date=d, is_workday=w, name=n) for d, w, n in rows
            )
        transaction.on_commit(calendar_invalidate)
    return result
