"""What a rule set can weigh: the work-order rates of `stats.rates.RATES` and the service-hall items (applications
and 好差评), with their labels, formulas and how the figures behind a score read ("12/15 按时").

The work-order rates come from `stats.selectors.stats_unit_rates`; the application figures from
`stats.selectors.stats_application_unit_rates`; the rating and rectification figures from
`evaluations.selectors.evaluation_rates`. This module names them only: nothing here counts.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from govdesk.stats.rates import RATES

APPLICATION_ON_TIME = "application_on_time"
EVALUATION_SATISFACTION = "evaluation_satisfaction"
RECTIFICATION_ON_TIME = "rectification_on_time"


@dataclass(frozen=True)
class AssessmentItem:
    key: str
    label: Promise
    formula: Promise
    figures: Promise  # "%(numerator)s/%(denominator)s …": the counts behind the rate, as the page shows them


# The counts behind each work-order rate, keyed like RATES.
_WORK_ORDER_FIGURES: dict[str, Promise] = {
    "sign_on_time": _("%(numerator)s/%(denominator)s on time"),
    "finish_on_time": _("%(numerator)s/%(denominator)s on time"),
    "response": _("%(numerator)s/%(denominator)s responded"),
    "resolution": _("%(numerator)s/%(denominator)s resolved"),
    "satisfaction": _("%(numerator)s/%(denominator)s satisfied"),
    "return": _("%(numerator)s/%(denominator)s returned"),
    "repeat_call": _("%(numerator)s/%(denominator)s duplicates"),
    "visit": _("%(numerator)s/%(denominator)s visited"),
}

SERVICE_ITEMS: tuple[AssessmentItem, ...] = (
    AssessmentItem(
        APPLICATION_ON_TIME,
        _("On-time decision rate of applications"),
        _(
            "Applications decided by their decision deadline / applications decided, of those submitted in the month, "
            "per implementing unit"
        ),
        _("%(numerator)s/%(denominator)s on time"),
    ),
    AssessmentItem(
        EVALUATION_SATISFACTION,
        _("Evaluation satisfaction rate"),
        _(
            "Ratings of 4 or 5 / ratings given in the month not found unjustified, of work orders and applications, "
            "per responsible unit"
        ),
        _("%(numerator)s/%(denominator)s satisfied"),
    ),
    AssessmentItem(
        RECTIFICATION_ON_TIME,
        _("Rectification on-time rate"),
        _(
            "Rectifications of justified bad ratings given in the month answered by their deadline / those answered "
            "or past their deadline"
        ),
        _("%(numerator)s/%(denominator)s on time"),
    ),
)
SERVICE_ITEM_KEYS = tuple(i.key for i in SERVICE_ITEMS)

ITEMS: tuple[AssessmentItem, ...] = (
    *(AssessmentItem(r.key, r.label, r.formula, _WORK_ORDER_FIGURES[r.key]) for r in RATES),
    *SERVICE_ITEMS,
)
ITEM_CHOICES = [(i.key, i.label) for i in ITEMS]
ITEMS_BY_KEY = {i.key: i for i in ITEMS}


def item_label(key: str) -> str:
    item = ITEMS_BY_KEY.get(key)
    return str(item.label) if item else key


def item_figures(key: str, numerator: int | None, denominator: int | None) -> str:
    """ "12/15 按时": the counts behind an item's rate; empty when the unit had nothing to count."""
    item = ITEMS_BY_KEY.get(key)
    if item is None or not denominator:
        return ""
    return str(item.figures) % {"numerator": numerator or 0, "denominator": denominator}
