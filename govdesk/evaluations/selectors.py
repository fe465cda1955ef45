"""Reads of 好差评: ratings and rectifications through the viewer's visibility, the work lists, and the rates."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, QuerySet
from django.utils.translation import gettext as _

from govdesk.cases.models import Case, CaseEvent, CaseKind
from govdesk.common import clock
from govdesk.org.models import Unit

from .models import (
    BAD_LEVEL_MAX,
    SATISFIED_LEVEL_MIN,
    Evaluation,
    EvaluationChannel,
    Level,
    Rectification,
    Verification,
)
from .permissions import evaluation_visibility_q, is_citizen_of, rectification_visibility_q
from .states import OPEN_STATUSES, RectificationStatus

WORKLIST_LIMIT = 100
EVALUATION_RELATED = ("case", "unit", "rated_by", "rectification")
RECTIFICATION_RELATED = ("primary_unit", "evaluation", "evaluation__case", "evaluation__unit")


def evaluation_list(*, user: Any, filters: dict[str, Any] | None = None) -> QuerySet[Evaluation]:
    """The ratings a user may see, newest first (filters: case, channel, level, bad, unit code)."""
    f = filters or {}
    qs = Evaluation.objects.filter(evaluation_visibility_q(user)).select_related(*EVALUATION_RELATED)
    if f.get("case"):
        qs = qs.filter(case__number=f["case"])
    if f.get("channel"):
        qs = qs.filter(channel=f["channel"])
    if f.get("level"):
        qs = qs.filter(level=f["level"])
    if f.get("bad"):
        qs = qs.filter(level__lte=BAD_LEVEL_MAX)
    if f.get("unit"):
        qs = qs.filter(unit__code=f["unit"])
    return qs.order_by("-created_at", "-id")


def rectification_list(*, user: Any, filters: dict[str, Any] | None = None) -> QuerySet[Rectification]:
    """The rectifications a user may see, by deadline (filters: status list, overdue, unit code)."""
    f = filters or {}
    qs = Rectification.objects.filter(rectification_visibility_q(user)).select_related(*RECTIFICATION_RELATED)
    if f.get("status"):
        qs = qs.filter(status__in=list(f["status"]))
    if f.get("overdue"):
        qs = qs.filter(is_open=True, due_at__lt=clock.now())
    if f.get("unit"):
        qs = qs.filter(primary_unit__code=f["unit"])
    return qs.order_by("due_at", "id")


def rectification_get(*, user: Any, number: str) -> Rectification | None:
    return rectification_list(user=user).filter(number=number).first()


def rectification_timeline(rectification: Rectification, *, public_only: bool = False) -> QuerySet[CaseEvent]:
    qs = CaseEvent.objects.filter(case_id=rectification.pk).select_related("actor", "actor_unit")
    if public_only:
        qs = qs.filter(is_public=True)
    return qs.order_by("occurred_at", "id")


@dataclass(frozen=True)
class Worklist:
    to_verify: list[Rectification]
    appeals: list[Rectification]
    answered: list[Rectification]
    rectifying: list[Rectification]


def rectification_worklist(*, user: Any) -> Worklist:
    """The supervisor's list: bad ratings to verify, appeals to decide, answers the citizen has not rated, and the
    rectifications under way (overdue first)."""
    qs = rectification_list(user=user)
    return Worklist(
        to_verify=list(qs.filter(status=RectificationStatus.VERIFYING)[:WORKLIST_LIMIT]),
        appeals=list(qs.filter(status=RectificationStatus.APPEALED).order_by("appealed_at", "id")[:WORKLIST_LIMIT]),
        answered=list(qs.filter(status=RectificationStatus.ANSWERED).order_by("answered_at", "id")[:WORKLIST_LIMIT]),
        rectifying=list(qs.filter(status=RectificationStatus.RECTIFYING)[:WORKLIST_LIMIT]),
    )


def rectification_unit_inbox(*, user: Any) -> list[Rectification]:
    """A unit's rectifications still waiting for it (verifying, rectifying, appealed), the earliest deadline first."""
    return list(rectification_list(user=user).filter(status__in=list(OPEN_STATUSES))[:WORKLIST_LIMIT])


def case_for_rating(number: str) -> Case | None:
    return Case.objects.filter(number=number).select_related("primary_unit").first()


def citizen_case_for_rating(*, user: Any, number: str) -> Case | None:
    """The case a signed-in citizen may rate on the web: only their own (others' read as missing)."""
    case = case_for_rating(number)
    return case if case is not None and is_citizen_of(user, case) else None


def evaluations_of_case(case: Case) -> list[Evaluation]:
    return list(Evaluation.objects.filter(case=case).select_related("rated_by").order_by("created_at", "id"))


def rectification_of_case(case: Case) -> Rectification | None:
    """The rectification opened by a bad rating of this case (the newest, if several channels rated it badly)."""
    return (
        Rectification.objects.filter(evaluation__case=case)
        .select_related(*RECTIFICATION_RELATED)
        .order_by("-created_at", "-id")
        .first()
    )


# --- rates -----------------------------------------------------------------------------------------------------------


@dataclass
class RateRow:
    """One line of the rates: ratings per level (unjustified ones left out), and the rectifications' punctuality."""

    key: str
    label: str
    levels: dict[int, int] = field(default_factory=lambda: {level: 0 for level in sorted(Level.values, reverse=True)})
    unjustified: int = 0
    rectifications_due: int = 0
    rectifications_on_time: int = 0

    @property
    def total(self) -> int:
        return sum(self.levels.values())

    @property
    def satisfied(self) -> int:
        return sum(n for level, n in self.levels.items() if level >= SATISFIED_LEVEL_MIN)

    @property
    def bad(self) -> int:
        return sum(n for level, n in self.levels.items() if level <= BAD_LEVEL_MAX)

    @property
    def satisfaction_rate(self) -> float | None:
        return self.satisfied / self.total if self.total else None

    @property
    def on_time_rate(self) -> float | None:
        return self.rectifications_on_time / self.rectifications_due if self.rectifications_due else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label": self.label,
            "levels": {str(k): v for k, v in self.levels.items()},
            "total": self.total,
            "satisfied": self.satisfied,
            "bad": self.bad,
            "unjustified": self.unjustified,
            "satisfaction_rate": self.satisfaction_rate,
            "rectifications_due": self.rectifications_due,
            "rectifications_on_time": self.rectifications_on_time,
            "on_time_rate": self.on_time_rate,
        }


@dataclass
class EvaluationRates:
    date_from: date
    date_to: date
    total: RateRow
    by_unit: list[RateRow]
    by_channel: list[RateRow]
    by_kind: list[RateRow]
    # Ratings of applications per matter (key: the matter's code, label: its name), the most rated first.
    by_matter: list[RateRow] = field(default_factory=list)


def _period_bounds(period: tuple[date, date]) -> tuple[datetime, datetime]:
    tz = ZoneInfo(settings.TIME_ZONE)
    start, end = period
    return datetime.combine(start, time.min, tzinfo=tz), datetime.combine(end + timedelta(days=1), time.min, tzinfo=tz)


def evaluation_rates(
    period: tuple[date, date],
    unit: Unit | None = None,
    channel: str | None = None,
    *,
    unit_ids: Collection[int] | None = None,
) -> EvaluationRates:
    """好差评 figures for ratings given in `period` (first and last day, inclusive, local time).

    Per level, the satisfaction rate (levels 4–5 ÷ every rating not found unjustified), the bad-rating count, and
    the rectification on-time rate (justified rectifications answered by their deadline ÷ those answered or past
    their deadline); in total, per unit (the responsible unit when rated) and per channel. Ratings of rectifications
    rate the rectification, not the service: they appear only in the per-case-type lines. Ratings of applications
    are also grouped by the application's matter (`by_matter`). `unit_ids` keeps only the ratings of those units (a unit
    administrator's subtree in the monthly report).
    """
    start, end = _period_bounds(period)
    ratings = Evaluation.objects.filter(created_at__gte=start, created_at__lt=end)
    if unit is not None:
        ratings = ratings.filter(unit=unit)
    if channel:
        ratings = ratings.filter(channel=channel)
    if unit_ids is not None:
        ratings = ratings.filter(unit_id__in=sorted(unit_ids))
    total = RateRow("total", _("All"))
    units: dict[int | None, RateRow] = {}
    channels: dict[str, RateRow] = {}
    kinds: dict[str, RateRow] = {}
    matters: dict[int, RateRow] = {}
    unit_names = dict(Unit.objects.values_list("pk", "name"))
    kind_labels = dict(CaseKind.choices)
    channel_labels = dict(EvaluationChannel.choices)

    def unit_row(unit_id: int | None) -> RateRow:
        if unit_id not in units:
            units[unit_id] = RateRow(str(unit_id or ""), unit_names.get(unit_id, "—") if unit_id else "—")
        return units[unit_id]

    def channel_row(code: str) -> RateRow:
        if code not in channels:
            channels[code] = RateRow(code, str(channel_labels.get(code, code)))
        return channels[code]

    # The matter is read through the application's row (multi-table inheritance) in the same grouped query: its code
    # and name come with the counts, so the per-matter lines need no lookup of their own.
    matter_key = "case__application__matter"
    for unit_id, channel_code, kind, matter_id, matter_code, matter_name, level, verification, n in (
        ratings.values_list(
            "unit_id",
            "channel",
            "case__kind",
            f"{matter_key}_id",
            f"{matter_key}__code",
            f"{matter_key}__name",
            "level",
            "verification",
        )
        .annotate(n=Count("id"))
        .order_by()
    ):
        if kind not in kinds:
            kinds[kind] = RateRow(kind, str(kind_labels.get(kind, kind)))
        rows = [kinds[kind]]
        if kind != CaseKind.RECTIFICATION:
            rows += [total, unit_row(unit_id), channel_row(channel_code)]
        if matter_id is not None:
            if matter_id not in matters:
                matters[matter_id] = RateRow(str(matter_code), str(matter_name))
            rows.append(matters[matter_id])
        for row in rows:
            if verification == Verification.UNJUSTIFIED:
                row.unjustified += n
            else:
                row.levels[level] += n
    now = clock.now()
    rectifications = Rectification.objects.filter(
        evaluation__in=ratings, justified=True, evaluation__verification=Verification.JUSTIFIED
    ).values_list(
        "evaluation__unit_id",
        "evaluation__channel",
        "evaluation__case__kind",
        f"evaluation__{matter_key}_id",
        "answered_at",
        "due_at",
    )
    for unit_id, channel_code, kind, matter_id, answered_at, due_at in rectifications:
        if answered_at is None and (due_at is None or due_at >= now):
            continue  # still within its limit: neither on time nor late yet
        on_time = answered_at is not None and due_at is not None and answered_at <= due_at
        rows = [total, unit_row(unit_id), channel_row(channel_code), kinds[kind]]
        if matter_id is not None:
            rows.append(matters[matter_id])
        for row in rows:
            row.rectifications_due += 1
            row.rectifications_on_time += int(on_time)
    by_unit = sorted(units.values(), key=lambda r: (-r.total, r.label))
    by_channel = [channels[c] for c in EvaluationChannel.values if c in channels]
    by_kind = [kinds[k] for k in CaseKind.values if k in kinds]
    by_matter = sorted(matters.values(), key=lambda r: (-r.total, r.key))
    return EvaluationRates(period[0], period[1], total, by_unit, by_channel, by_kind, by_matter)
