"""Reads of the review pages: the years there is something to review, and the year-on-year comparison."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils import timezone

from govdesk.ledgers.kinds import LEDGER_KINDS

from .figures import Figure, figures_for_year
from .models import ReviewTemplate
from .numbers import FormatError, number_format

FIRST_YEAR, LAST_YEAR = 2000, 2100


def review_year_valid(year: int) -> bool:
    return FIRST_YEAR <= year <= LAST_YEAR


def review_years() -> list[int]:
    """The years any ledger holds rows for, with this year and the last, newest first."""
    this_year = timezone.localdate().year
    years = {this_year, this_year - 1}
    for kind in LEDGER_KINDS.values():
        years.update(kind.model._default_manager.filter(is_void=False).values_list("year", flat=True).distinct())
    return sorted((year for year in years if review_year_valid(year)), reverse=True)


def figure_value_text(figure: Figure, value: Any) -> str:
    """A figure's value for tables: a rate as a percentage, anything else with its measure."""
    if value is None:
        return "—"
    try:
        return number_format(value, "pct" if not figure.measure else "plain", figure.measure)
    except FormatError:
        return str(value)


@dataclass(frozen=True)
class ComparisonRow:
    figure: Figure
    value: str
    last_year: str
    change: str
    yoy: Decimal | None


def review_comparison(year: int, figures: Mapping[str, Figure] | None = None) -> list[ComparisonRow]:
    """Every figure of the registry for `year` against last year (`figures`: already computed for the year)."""
    rows = []
    for figure in (figures if figures is not None else figures_for_year(year)).values():
        yoy = figure.yoy
        change = "—" if yoy is None else f"{'+' if yoy >= 0 else ''}{number_format(yoy, 'pct')}"
        rows.append(
            ComparisonRow(
                figure=figure,
                value=figure_value_text(figure, figure.value),
                last_year=figure_value_text(figure, figure.last_year),
                change=change,
                yoy=yoy,
            )
        )
    return rows


def review_templates() -> list[ReviewTemplate]:
    return list(ReviewTemplate.objects.order_by("-is_active", "name"))
