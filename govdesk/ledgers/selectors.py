"""Reads of the ledgers: rows within a viewer's reach, a row's versions, an indicator's value for a year."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Max, Q, QuerySet
from django.utils.translation import gettext as _

from govdesk.common.errors import NotFound
from govdesk.org.models import Role

from .kinds import LEDGER_KINDS, LedgerKind, ledger_kind_get
from .models import Indicator, IndicatorAggregation, IndicatorValue, LedgerRowVersion

# The office reads every unit's rows; leaders read everything; the system administrator keeps the definitions.
READ_ALL_ROLE_CODES = (Role.SUPERVISOR.value, Role.LEADER.value, Role.SYSADMIN.value)
UNIT_ROLE_CODES = (Role.HANDLER.value, Role.UNIT_ADMIN.value)


def _kind(kind: LedgerKind | str) -> LedgerKind:
    return kind if isinstance(kind, LedgerKind) else ledger_kind_get(kind)


def ledger_viewer_unit_ids(viewer: Any) -> set[int] | None:
    """None: the viewer reads every row; otherwise the reporting units whose rows they read (maybe none)."""
    if not getattr(viewer, "is_authenticated", False):
        return set()
    if viewer.has_role(*READ_ALL_ROLE_CODES):
        return None
    unit = getattr(viewer, "unit", None)
    if unit is None or not viewer.has_role(*UNIT_ROLE_CODES):
        return set()
    # A unit administrator answers for the units below it too, as everywhere on the platform.
    return unit.descendant_ids() if viewer.has_role(Role.UNIT_ADMIN) else {unit.pk}


def ledger_visibility_q(viewer: Any) -> Q:
    unit_ids = ledger_viewer_unit_ids(viewer)
    if unit_ids is None:
        return Q()
    return Q(reporting_unit_id__in=sorted(unit_ids))


def ledger_rows(
    kind: LedgerKind | str,
    *,
    year: int | None = None,
    month: int | None = None,
    unit: Any = None,
    viewer: Any = None,
) -> QuerySet[Any]:
    """The kind's rows (void ones left out), by period and reporting unit; with a viewer, only those in reach (a
    unit's user: their unit's). No viewer: internal reads (figures, exports by the office's commands)."""
    ledger = _kind(kind)
    queryset: QuerySet[Any] = ledger.model._default_manager.filter(is_void=False)
    if year is not None:
        queryset = queryset.filter(year=year)
    if month is not None and any(f.name == "month" for f in ledger.model._meta.get_fields()):
        queryset = queryset.filter(month=month)
    if unit is not None:
        queryset = queryset.filter(reporting_unit=unit)
    if viewer is not None:
        queryset = queryset.filter(ledger_visibility_q(viewer))
    related = [column.field for column in ledger.columns if column.type in ("ref", "unit")] + ["reporting_unit"]
    return queryset.select_related(*related)


def ledger_latest_year(kinds: list[LedgerKind] | None = None, *, viewer: Any = None) -> int | None:
    """The latest year in which the viewer can see rows of these ledgers (every ledger by default): the year a page
    opens on, so that a January without reports yet, or a district that keeps last year's books here, shows them."""
    years = [
        ledger_rows(kind, viewer=viewer).order_by().aggregate(latest=Max("year"))["latest"]
        for kind in (kinds if kinds is not None else list(LEDGER_KINDS.values()))
    ]
    return max((year for year in years if year is not None), default=None)


def ledger_row_get(kind: LedgerKind | str, pk: Any, viewer: Any) -> Any:
    """One row (a void one too: its page says so), or NotFound (404) when it does not exist or is outside the
    viewer's reach."""
    ledger = _kind(kind)
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise NotFound(_not_found()) from None
    row = ledger.model._default_manager.filter(ledger_visibility_q(viewer), pk=pk).first()
    if row is None:
        raise NotFound(_not_found())
    return row


def _not_found() -> str:
    return _("There is no such ledger row.")


def ledger_row_versions(kind: LedgerKind | str, pk: int) -> QuerySet[LedgerRowVersion]:
    """The row's versions, oldest first."""
    return (
        LedgerRowVersion.objects.filter(kind=_kind(kind).code, row_id=pk)
        .select_related("changed_by")
        .order_by("version")
    )


def yoy_change(value: Decimal | None, last_year_value: Decimal | None) -> Decimal | None:
    """value / last_year_value − 1, or None without both (or with a last year of 0)."""
    if value is None or last_year_value is None or last_year_value == 0:
        return None
    return Decimal(value) / Decimal(last_year_value) - 1


@dataclass(frozen=True)
class IndicatorFigure:
    code: str
    name: str
    measure: str
    year: int
    value: Decimal
    last_year_value: Decimal | None = None
    target: Decimal | None = None
    rank_city: int | None = None
    rank_province: int | None = None
    # The month the value stands for: 0 the annual row, otherwise the latest month counted.
    month: int = 0
    row_ids: list[int] = field(default_factory=list)

    @property
    def yoy_change(self) -> Decimal | None:
        return yoy_change(self.value, self.last_year_value)


def indicator_year_value(code: str, year: int) -> IndicatorFigure | None:
    """The indicator's value for the year by its aggregation: the annual row (month 0) when there is one; otherwise
    `sum` adds the months (and their same-period values when every month has one), `latest` takes the latest month
    (values are cumulative). None when the year has no value."""
    indicator = Indicator.objects.filter(code=code).first()
    if indicator is None:
        return None
    values = list(IndicatorValue.objects.filter(indicator=indicator, year=year, is_void=False).order_by("month"))
    if not values:
        return None
    annual = next((v for v in values if v.month == 0), None)
    if annual is not None:
        return _figure(indicator, year, annual, value=annual.value, last=annual.last_year_value, rows=[annual])
    latest = values[-1]
    if indicator.aggregation == IndicatorAggregation.LATEST:
        return _figure(indicator, year, latest, value=latest.value, last=latest.last_year_value, rows=[latest])
    total = sum((v.value for v in values), Decimal(0))
    lasts = [v.last_year_value for v in values]
    last = sum((v for v in lasts if v is not None), Decimal(0)) if all(v is not None for v in lasts) else None
    return _figure(indicator, year, latest, value=total, last=last, rows=values)


def _figure(
    indicator: Indicator,
    year: int,
    row: IndicatorValue,
    *,
    value: Decimal,
    last: Decimal | None,
    rows: list[IndicatorValue],
) -> IndicatorFigure:
    return IndicatorFigure(
        code=indicator.code,
        name=indicator.name,
        measure=indicator.measure,
        year=year,
        value=value,
        last_year_value=last,
        target=row.target,
        rank_city=row.rank_city,
        rank_province=row.rank_province,
        month=row.month,
        row_ids=[r.pk for r in rows],
    )
