"""Application (办件) statistics reads: the overview (GET /api/v1/stats/overview/?kind=application) and the per-unit
figures of the unit assessment. Callers use the names in selectors.py.

Everything the overview counts comes from the application marginals (`StatsApplicationMarginal`: every subset of
unit, matter, matter type and channel, so any filter combination and breakdown is a GROUP BY over a few rows per
period), in ONE statement; the overdue figures are exact at the moment they are read, from the facts' open
deadlines (`stats_appfact_open_due`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection
from django.db.models import Count, DateField, Exists, F, Func, OuterRef, Q
from django.db.models.functions import Coalesce
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from govdesk.applications.models import Application
from govdesk.applications.models import Channel as ApplicationChannel
from govdesk.applications.models import StatusChoices as ApplicationStatusChoices
from govdesk.applications.states import OPEN_STATUSES, Status
from govdesk.cases.models import CaseSuspension
from govdesk.common import clock
from govdesk.common.errors import PermissionDenied
from govdesk.matters.models import Matter, MatterType
from govdesk.org.models import Unit

from .application_facts import (
    APPLICATION_CHANNEL_BY_CODE,
    APPLICATION_CHANNEL_CODES,
    MATTER_TYPE_BY_CODE,
    MATTER_TYPE_CODES,
)
from .models import (
    APPLICATION_COUNTER_FIELDS,
    APPLICATION_DIMS,
    APPLICATION_STATUS_FIELDS,
    APPLICATION_STEPS,
    Grain,
    StatsApplicationFact,
    StatsApplicationMarginal,
)
from .periods import Piece, period_start, periods_between, range_cover
from .selectors import (
    GRANULARITY_NAMES,
    LIST_SIZE,
    SERIES_GRAINS,
    Row,
    _batch,
    _invalid,
    _Part,
    granularity_for,
    stats_can_view,
    stats_period_parse,
    stats_unit_scope_parse,
)
from .services import stats_folded

# The marginal column of each dimension.
DIM_COLUMNS = {"u": "unit_id", "m": "matter_id", "t": "matter_type", "c": "channel"}
TOTAL_KEYS = (
    "received",
    "accepted",
    "corrected",
    "refused",
    "decided",
    "decided_on_time",
    "approved",
    "denied",
    "delivered",
    "suspended",
    "instant",
    "open",
)
_OPEN_COUNTERS = tuple(f"st_{s}" for s in sorted(OPEN_STATUSES))


@dataclass(frozen=True)
class ApplicationRate:
    key: str
    label: Promise
    formula: Promise
    numerator: str  # a key of the totals
    denominator: str


APPLICATION_RATES: tuple[ApplicationRate, ...] = (
    ApplicationRate(
        "acceptance",
        gettext_lazy("Acceptance rate"),
        gettext_lazy("Applications accepted / applications received"),
        "accepted",
        "received",
    ),
    ApplicationRate(
        "correction",
        gettext_lazy("Correction rate"),
        gettext_lazy("Applications the applicant was asked to correct at least once / applications received"),
        "corrected",
        "received",
    ),
    ApplicationRate(
        "refusal",
        gettext_lazy("Refusal rate"),
        gettext_lazy("Applications not accepted / applications received"),
        "refused",
        "received",
    ),
    ApplicationRate(
        "on_time",
        gettext_lazy("On-time decision rate"),
        gettext_lazy("Applications decided by their decision deadline / applications decided"),
        "decided_on_time",
        "decided",
    ),
    ApplicationRate(
        "approval",
        gettext_lazy("Approval rate"),
        gettext_lazy("Applications approved / applications decided"),
        "approved",
        "decided",
    ),
)
STEP_LABELS: dict[str, Promise] = {
    "acceptance": gettext_lazy("Waiting for acceptance"),
    "correction": gettext_lazy("Waiting for the applicant's correction"),
    "unit": gettext_lazy("With the unit"),
    "suspension": gettext_lazy("Suspended"),
    "delivery": gettext_lazy("Waiting for delivery"),
}


@dataclass(frozen=True)
class ApplicationStatsFilter:
    date_from: date
    date_to: date
    unit: Unit | None = None
    unit_ids: frozenset[int] | None = None  # the units counted (a unit and its subtree); None: all
    matter: Matter | None = None
    matter_type: str | None = None
    channel: str | None = None

    def as_params(self) -> dict[str, str | None]:
        return {
            "date_from": self.date_from.isoformat(),
            "date_to": self.date_to.isoformat(),
            "unit": self.unit.code if self.unit else None,
            "matter": self.matter.code if self.matter else None,
            "matter_type": self.matter_type,
            "channel": self.channel,
        }

    @property
    def days(self) -> int:
        return (self.date_to - self.date_from).days + 1


def application_filter_parse(params: Mapping[str, str], user: Any) -> ApplicationStatsFilter:
    if not stats_can_view(user):
        raise PermissionDenied(_("Your role does not allow viewing statistics."))
    date_from, date_to = stats_period_parse(params)
    unit, unit_ids = stats_unit_scope_parse(params, user)
    matter = None
    code = (params.get("matter") or "").strip()
    if code:
        matter = Matter.objects.filter(code=code[:64]).first()
        if matter is None:
            raise _invalid("matter", _("Unknown matter."))
    matter_type = (params.get("matter_type") or "").strip() or None
    if matter_type is not None and matter_type not in MatterType.values:
        raise _invalid("matter_type", _("Unknown matter type."))
    channel = (params.get("channel") or "").strip() or None
    if channel is not None and channel not in ApplicationChannel.values:
        raise _invalid("channel", _("Unknown channel."))
    return ApplicationStatsFilter(
        date_from=date_from,
        date_to=date_to,
        unit=unit,
        unit_ids=unit_ids,
        matter=matter,
        matter_type=matter_type,
        channel=channel,
    )


# --- reading the marginals -------------------------------------------------------------------------------------------


def _filter_dims(flt: ApplicationStatsFilter) -> dict[str, list[int]]:
    dims: dict[str, list[int]] = {}
    if flt.unit_ids is not None:
        dims["u"] = sorted(flt.unit_ids)
    if flt.matter is not None:
        dims["m"] = [flt.matter.pk]
    if flt.matter_type:
        dims["t"] = [MATTER_TYPE_CODES[flt.matter_type]]
    if flt.channel:
        dims["c"] = [APPLICATION_CHANNEL_CODES[flt.channel]]
    return dims


def _part(tag: str, pieces: list[Piece], dims: dict[str, list[int]], keys: tuple[str, ...] = ()) -> _Part:
    """Rows of the dimension set made of the filters' dimensions and the grouped ones (`keys`: dims, or "period")."""
    involved = set(dims) | {k for k in keys if k in DIM_COLUMNS}
    q = Q(dims="".join(d for d in APPLICATION_DIMS if d in involved))
    for dim, values in dims.items():
        q &= Q(**{f"{DIM_COLUMNS[dim]}__in": values})
    columns = tuple(DIM_COLUMNS.get(k, k) for k in keys)
    return _Part(tag, StatsApplicationMarginal, q, columns, tuple(pieces), APPLICATION_COUNTER_FIELDS)


def _counters(values: tuple[int, ...] | list[int]) -> dict[str, int]:
    return dict(zip(APPLICATION_COUNTER_FIELDS, values, strict=True))


def _zero() -> dict[str, int]:
    return dict.fromkeys(APPLICATION_COUNTER_FIELDS, 0)


def _totals(c: dict[str, int]) -> dict[str, int]:
    out = {key: c[key] for key in TOTAL_KEYS if key in c}
    out["received"] = c["total"]
    out["open"] = sum(c[f] for f in _OPEN_COUNTERS)
    return out


def _rates(totals: dict[str, int]) -> tuple[dict[str, float | None], dict[str, dict[str, int]]]:
    parts = {r.key: {"numerator": totals[r.numerator], "denominator": totals[r.denominator]} for r in APPLICATION_RATES}
    return {k: (p["numerator"] / p["denominator"] if p["denominator"] else None) for k, p in parts.items()}, parts


def _step_times(c: dict[str, int]) -> dict[str, dict[str, Any]]:
    """Average hours in each step over the applications that finished it, with that count."""
    out: dict[str, dict[str, Any]] = {}
    for step in APPLICATION_STEPS:
        n = c[f"{step}_done"]
        out[step] = {"hours": round(c[f"{step}_seconds"] / n / 3600, 2) if n else None, "count": n}
    return out


def _row(ident: Any, label: tuple[Any, str], c: dict[str, int]) -> dict[str, Any]:
    code, name = label
    totals = _totals(c)
    return {"id": ident, "code": code, "name": name, **totals, "rates": _rates(totals)[0]}


def _keyed(rows: list[Row]) -> dict[int, dict[str, int]]:
    return {int(k[0] or 0): _counters(c) for k, c in rows}


def _fact_q(flt: ApplicationStatsFilter) -> Q:
    q = Q()
    if flt.unit_ids is not None:
        q &= Q(unit_id__in=sorted(flt.unit_ids))
    if flt.matter is not None:
        q &= Q(matter_id=flt.matter.pk)
    if flt.matter_type:
        q &= Q(matter_type=MATTER_TYPE_CODES[flt.matter_type])
    if flt.channel:
        q &= Q(channel=APPLICATION_CHANNEL_CODES[flt.channel])
    return q


def _overdue(flt: ApplicationStatsFilter) -> dict[str, Any]:
    """Open applications past their running deadline at this moment (any day submitted): count and the first
    LIST_SIZE, most overdue first."""
    facts = StatsApplicationFact.objects.filter(_fact_q(flt), open_due_at__isnull=False, open_due_at__lt=clock.now())
    total = facts.count()
    pks = list(facts.order_by("open_due_at", "case_id").values_list("case_id", flat=True)[:LIST_SIZE])
    rows = {
        r["pk"]: r
        for r in Application.objects.filter(pk__in=pks).values(
            "pk",
            "number",
            "title",
            "matter__code",
            "matter__name",
            "primary_unit__code",
            "primary_unit__name",
            "due_at",
        )
    }
    return {
        "total": total,
        "items": [
            {
                "number": r["number"],
                "matter": r["matter__code"],
                "matter_name": r["matter__name"],
                "unit": r["primary_unit__code"],
                "unit_name": r["primary_unit__name"],
                "due_at": r["due_at"].isoformat() if r["due_at"] else None,
            }
            for r in (rows[pk] for pk in pks if pk in rows)
        ],
    }


def _overdue_in_cohort(flt: ApplicationStatsFilter | None, date_from: date, date_to: date) -> dict[int, int]:
    """Per unit: applications submitted in the period, still open and past their deadline now.

    Read from the partial index of open deadlines (`stats_appfact_open_due`, which holds the day too): a few percent
    of the facts. SQLite keeps no table statistics and would otherwise pick the day index and read every fact of the
    period (a year of a million applications: 5 s instead of 30-270 ms, bench/stats_overview.py); the unary plus keeps
    the day condition off that index. PostgreSQL chooses the partial index by itself."""
    day: Any = F("day")
    if connection.vendor == "sqlite":
        day = Func(F("day"), template="+%(expressions)s", output_field=DateField())
    facts = (
        StatsApplicationFact.objects.filter(open_due_at__isnull=False, open_due_at__lt=clock.now())
        .alias(cohort_day=day)
        .filter(cohort_day__gte=date_from, cohort_day__lte=date_to)
    )
    if flt is not None:
        facts = facts.filter(_fact_q(flt))
    grouped = facts.values("unit_id").annotate(n=Count("case_id")).order_by().values_list("unit_id", "n")
    return dict(grouped)


def _series(flt: ApplicationStatsFilter, granularity: str, rows: list[Row]) -> list[dict[str, Any]]:
    buckets: dict[date, list[int]] = {p: [0, 0] for p in periods_between(flt.date_from, flt.date_to, granularity)}
    decided = APPLICATION_COUNTER_FIELDS.index("decided")
    for keys, counters in rows:
        bucket = buckets[period_start(date.fromisoformat(str(keys[0])[:10]), granularity)]
        bucket[0] += counters[0]
        bucket[1] += counters[decided]
    out = []
    for start, (received, n_decided) in buckets.items():
        first = max(start, flt.date_from)
        label = start.strftime("%Y-%m") if granularity == Grain.MONTH else first.strftime("%m-%d")
        out.append({"period": first.isoformat(), "label": label, "received": received, "decided": n_decided})
    return out


def _unit_labels(ids: set[int]) -> dict[int, tuple[str | None, str]]:
    labels: dict[int, tuple[str | None, str]] = {
        pk: (code, name) for pk, code, name in Unit.objects.filter(pk__in=ids).values_list("pk", "code", "name")
    }
    labels[0] = (None, _("No unit"))
    return labels


def _sorted(rows: dict[int, dict[str, int]]) -> list[tuple[int, dict[str, int]]]:
    return sorted(((k, c) for k, c in rows.items() if c["total"]), key=lambda kv: (-kv[1]["total"], kv[0]))


@stats_folded
def application_overview(*, user: Any, flt: ApplicationStatsFilter) -> dict[str, Any]:
    if not stats_can_view(user):
        raise PermissionDenied(_("Your role does not allow viewing statistics."))
    dims = _filter_dims(flt)
    cover = range_cover(flt.date_from, flt.date_to)
    granularity = granularity_for(flt.days)
    series_pieces = range_cover(flt.date_from, flt.date_to, SERIES_GRAINS[granularity])
    rows = _batch(
        [
            _part("a", cover, dims),
            _part("u", cover, dims, ("u",)),
            _part("m", cover, dims, ("m",)),
            _part("t", cover, dims, ("t",)),
            _part("c", cover, dims, ("c",)),
            _part("g", series_pieces, dims, ("period", "grain")),
        ]
    )
    total_c = _counters(rows["a"][0][1]) if rows["a"] else _zero()
    by_unit, by_matter = _keyed(rows["u"]), _keyed(rows["m"])
    by_type, by_channel = _keyed(rows["t"]), _keyed(rows["c"])
    unit_labels = _unit_labels(set(by_unit))
    matters = {
        pk: (code, name) for pk, code, name in Matter.objects.filter(pk__in=by_matter).values_list("pk", "code", "name")
    }
    type_labels = dict(MatterType.choices)
    channel_labels = dict(ApplicationChannel.choices)
    status_labels = dict(ApplicationStatusChoices.choices)
    totals = _totals(total_c)
    totals["overdue_open"] = sum(_overdue_in_cohort(flt, flt.date_from, flt.date_to).values())
    rates, parts = _rates(totals)
    unit_rows = [_row(pk, unit_labels.get(pk, (None, str(pk))), c) for pk, c in _sorted(by_unit)]
    matter_rows = [_row(pk, matters.get(pk, (None, str(pk))), c) for pk, c in _sorted(by_matter)]
    channels = {code: (value, str(channel_labels[value])) for code, value in APPLICATION_CHANNEL_BY_CODE.items()}
    types = {code: (value, str(type_labels[value])) for code, value in MATTER_TYPE_BY_CODE.items()}
    return {
        "kind": "application",
        "filters": flt.as_params(),
        "granularity": GRANULARITY_NAMES[granularity],
        "totals": totals,
        "status_counts": {field[3:]: total_c[field] for field in APPLICATION_STATUS_FIELDS},
        "by_status": [
            {"key": field[3:], "label": str(status_labels.get(field[3:], field[3:])), "total": total_c[field]}
            for field in APPLICATION_STATUS_FIELDS
            if total_c[field]
        ],
        "rates": rates,
        "rate_parts": parts,
        "rate_definitions": [
            {"key": r.key, "label": str(r.label), "formula": str(r.formula)} for r in APPLICATION_RATES
        ],
        "series": _series(flt, granularity, rows["g"]),
        "by_unit": unit_rows,
        "by_matter": matter_rows,
        "by_channel": [_row(k, channels.get(k, (None, str(k))), c) for k, c in _sorted(by_channel)],
        "by_matter_type": [_row(k, types.get(k, (None, str(k))), c) for k, c in _sorted(by_type)],
        "step_times": {
            "steps": [{"key": step, "label": str(STEP_LABELS[step])} for step in APPLICATION_STEPS],
            "overall": _step_times(total_c),
            "by_unit": [
                {"id": row["id"], "code": row["code"], "name": row["name"], "steps": _step_times(by_unit[row["id"]])}
                for row in unit_rows
            ],
            "by_matter": [
                {"id": row["id"], "code": row["code"], "name": row["name"], "steps": _step_times(by_matter[row["id"]])}
                for row in matter_rows
            ],
        },
        "overdue": _overdue(flt),
    }


def _overdue_at_end(date_to: date) -> dict[int, int]:
    """Per implementing unit: applications accepted before the end of `date_to` whose decision deadline had passed by
    then and that the unit had not decided by then, leaving out those suspended at that moment (their clock stood).
    The same count whenever it is read, so a past month's assessment does not change with later work; a late
    delivery is the window's, not the unit's, and does not count."""
    end = datetime.combine(date_to + timedelta(days=1), time.min, tzinfo=ZoneInfo(settings.TIME_ZONE))
    suspended_then = CaseSuspension.objects.filter(case=OuterRef("pk"), started_at__lt=end).filter(
        Q(ended_at__isnull=True) | Q(ended_at__gte=end)
    )
    rows = (
        Application.objects.filter(accepted_at__lt=end)
        .filter(Q(decided_at__isnull=True, status__in=[Status.HANDLING, Status.SUSPENDED]) | Q(decided_at__gte=end))
        .annotate(deadline=Coalesce("decision_due_at", "due_at"))
        .filter(deadline__lt=end)
        .exclude(Exists(suspended_then))
        .values("primary_unit_id")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("primary_unit_id", "n")
    )
    return {unit_id or 0: n for unit_id, n in rows}


@stats_folded
def application_unit_rates(*, date_from: date, date_to: date) -> list[dict[str, Any]]:
    by_unit = _keyed(_batch([_part("u", range_cover(date_from, date_to), {}, ("u",))])["u"])
    overdue = _overdue_in_cohort(None, date_from, date_to)
    overdue_at_end = _overdue_at_end(date_to)
    labels = _unit_labels(set(by_unit) | set(overdue_at_end))
    zero = dict.fromkeys(APPLICATION_COUNTER_FIELDS, 0)
    out = []
    # A unit still owing decisions on older applications is listed even if nothing new came in the period.
    for unit_id in set(by_unit) | set(overdue_at_end):
        c = by_unit.get(unit_id, zero)
        if not unit_id or not (c["total"] or overdue_at_end.get(unit_id)):
            continue
        code, name = labels.get(unit_id, (None, ""))
        out.append(
            {
                "unit_id": unit_id,
                "unit": code,
                "unit_name": name,
                "received": c["total"],
                "decided": c["decided"],
                "decided_on_time": c["decided_on_time"],
                "on_time": c["decided_on_time"] / c["decided"] if c["decided"] else None,
                "overdue_open": overdue.get(unit_id, 0),
                "overdue_at_end": overdue_at_end.get(unit_id, 0),
            }
        )
    return sorted(out, key=lambda r: r["unit"] or "")
