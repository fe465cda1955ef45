"""Statistics reads: filters, the overview (GET /api/v1/stats/overview/), per-unit rates.

Figures come from the rollups (`StatsRollup`, `StatsStreetRollup`), read over a covering of the date range by whole
months, weeks and days, so an overview reads a few thousand rollup rows whatever the number of orders. Only a filter
on a level-2 or leaf category reads the per-order facts of that category (a narrow, indexed slice). The overdue and
due-soon lists are live, from the indexed flags of open cases.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db import connection
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from govdesk.catalog.models import Category, RequestType
from govdesk.catalog.selectors import categories_cached, request_type_by_code, request_types_cached
from govdesk.common import clock
from govdesk.common.errors import PermissionDenied, ValidationFailed
from govdesk.org.models import Role, Unit
from govdesk.workorders.models import Channel, StatusChoices, WorkOrder

from .models import (
    COUNTER_FIELDS,
    FLAG_FIELDS,
    MARGINAL_DIMS,
    STATUS_FIELDS,
    Grain,
    StatsMarginal,
    StatsOrderFact,
    StatsRollup,
    StatsStreetRollup,
)
from .periods import period_start, periods_between, range_cover
from .rates import RATE_KEYS, rate_definitions, rates_from
from .services import CHANNEL_BY_CODE, CHANNEL_CODES

DEFAULT_DAYS = 30
MAX_SPAN_DAYS = 3 * 366
DAY_GRANULARITY_MAX = 62
WEEK_GRANULARITY_MAX = 366
LIST_SIZE = 20
CENTRE_WIDE_ROLES = (Role.SUPERVISOR, Role.DISPATCHER, Role.LEADER)
FILTER_KEYS = ("date_from", "date_to", "unit", "category", "type", "channel")


@dataclass(frozen=True)
class StatsFilter:
    date_from: date
    date_to: date
    unit: Unit | None = None
    # The units counted (a unit and its subtree); None: all.
    unit_ids: frozenset[int] | None = None
    category: Category | None = None
    request_type: RequestType | None = None
    channel: str | None = None

    def as_params(self) -> dict[str, str | None]:
        return {
            "date_from": self.date_from.isoformat(),
            "date_to": self.date_to.isoformat(),
            "unit": self.unit.code if self.unit else None,
            "category": self.category.path if self.category else None,
            "type": self.request_type.code if self.request_type else None,
            "channel": self.channel,
        }

    @property
    def days(self) -> int:
        return (self.date_to - self.date_from).days + 1


def stats_can_view(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and user.has_role(*CENTRE_WIDE_ROLES, Role.UNIT_ADMIN)


def _invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, fields={field: [message]})


def _date(params: Mapping[str, str], field: str) -> date | None:
    raw = (params.get(field) or "").strip()
    if not raw:
        return None
    try:
        if len(raw) == 10:
            return date.fromisoformat(raw)
    except ValueError:
        pass
    raise _invalid(field, _("Give the date as YYYY-MM-DD."))


def stats_filter_parse(params: Mapping[str, str], user: Any) -> StatsFilter:
    """Check the statistics filters and the user's right to them. Raises ValidationFailed (400) or PermissionDenied."""
    if not stats_can_view(user):
        raise PermissionDenied(_("Your role does not allow viewing statistics."))
    today = timezone.localdate(clock.now())
    date_from, date_to = _date(params, "date_from"), _date(params, "date_to")
    if date_to is None:
        date_to = (
            today if date_from is None else max(date_from, min(today, date_from + timedelta(days=DEFAULT_DAYS - 1)))
        )
    if date_from is None:
        date_from = date_to - timedelta(days=DEFAULT_DAYS - 1)
    if date_from > date_to:
        raise _invalid("date_from", _("The start date must not be after the end date."))
    if (date_to - date_from).days + 1 > MAX_SPAN_DAYS:
        raise _invalid("date_to", _("The period can be at most three years."))
    unit = None
    code = (params.get("unit") or "").strip()
    if code:
        unit = Unit.objects.filter(code=code).first()
        if unit is None:
            raise _invalid("unit", _("Unknown unit."))
    scope: frozenset[int] | None = None
    if not user.has_role(*CENTRE_WIDE_ROLES):
        own = getattr(user, "unit", None)
        if own is None:
            raise PermissionDenied(_("Your account has no unit."))
        own_ids = frozenset(own.descendant_ids())
        if unit is not None and unit.pk not in own_ids:
            raise PermissionDenied(_("You can see the statistics of your own unit only."))
        unit = unit or own
        scope = own_ids
    unit_ids = None
    if unit is not None:
        unit_ids = (
            frozenset(unit.descendant_ids()) if scope is None or unit.pk != getattr(user.unit, "pk", None) else scope
        )
    category = None
    path = (params.get("category") or "").strip().strip("/")
    if path:
        category = categories_cached.get().by_path.get(path)
        if category is None:
            raise _invalid("category", _("Unknown category."))
    request_type = None
    type_code = (params.get("type") or "").strip()
    if type_code:
        request_type = request_type_by_code(type_code)
        if request_type is None:
            raise _invalid("type", _("Unknown request type."))
    channel = (params.get("channel") or "").strip() or None
    if channel is not None and channel not in Channel.values:
        raise _invalid("channel", _("Unknown channel."))
    return StatsFilter(
        date_from=date_from,
        date_to=date_to,
        unit=unit,
        unit_ids=unit_ids,
        category=category,
        request_type=request_type,
        channel=channel,
    )


# --- sources: rollups, or the facts of one level-2/leaf category ----------------------------------------------------


def _uses_facts(flt: StatsFilter) -> bool:
    return flt.category is not None and flt.category.level >= 3


def _common_q(flt: StatsFilter, *, street: bool = False) -> Q:
    q = Q()
    if flt.unit_ids is not None:
        q &= Q(unit_id__in=sorted(flt.unit_ids))
    if flt.request_type is not None:
        q &= Q(type_id=flt.request_type.pk)
    if flt.channel:
        q &= Q(channel=flt.channel)
    if flt.category is not None:
        level = flt.category.level
        field = {1: "cat1_id", 2: "cat2_id"}.get(level, "leaf_id")
        if street and level >= 2:
            raise AssertionError("street rollups have no level-2 key")
        q &= Q(**{field: flt.category.pk})
    return q


def _cover_q(pieces: list[tuple[str, date, date]]) -> Q:
    q = Q(pk__in=[])
    for grain, first, last in pieces:
        q |= Q(grain=grain, period__gte=first, period__lte=last)
    return q


def _where(model: Any, q: Q) -> tuple[str, list[Any]]:
    """The WHERE clause Django builds for `q` on `model` (values as parameters)."""
    query = model.objects.filter(q).query
    sql, params = query.get_compiler(connection.alias).compile(query.where)
    return sql, list(params)


@dataclass(frozen=True)
class _Part:
    """One GROUP BY of the overview's single UNION ALL query: a tag, the source and the grouping expressions."""

    tag: str
    model: Any
    q: Q
    key: str | None = None  # a column to group by
    key2: str | None = None


def _sums(model: Any) -> list[str]:
    if model is StatsOrderFact:
        statuses = [f"SUM(CASE WHEN status = '{f[3:]}' THEN 1 ELSE 0 END)" for f in STATUS_FIELDS]
        return ["COUNT(*)", *statuses, *(f"SUM({f})" for f in FLAG_FIELDS)]
    if model is StatsStreetRollup:
        return ["SUM(total)", *["0"] * (len(COUNTER_FIELDS) - 1)]
    return [f"SUM({f})" for f in COUNTER_FIELDS]


def _batch(parts: list[_Part]) -> dict[str, list[tuple[Any, ...]]]:
    """Run every part in ONE round trip; rows per tag as (key, key2, *COUNTER_FIELDS)."""
    selects: list[str] = []
    params: list[Any] = []
    for part in parts:
        where, where_params = _where(part.model, part.q)
        table = part.model._meta.db_table
        keys = [f"CAST({k} AS TEXT)" if k else "NULL" for k in (part.key, part.key2)]
        group = ", ".join(k for k in (part.key, part.key2) if k)
        selects.append(
            f"SELECT %s, {keys[0]}, {keys[1]}, {', '.join(_sums(part.model))} FROM {table} WHERE {where}"  # noqa: S608
            + (f" GROUP BY {group}" if group else "")
        )
        params.extend([part.tag, *where_params])
    out: dict[str, list[tuple[Any, ...]]] = {part.tag: [] for part in parts}
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(selects), params)
        for row in cursor.fetchall():
            out[row[0]].append((row[1], row[2], *(int(v or 0) for v in row[3:])))
    return out


def _counters(row: tuple[Any, ...]) -> dict[str, int]:
    return dict(zip(COUNTER_FIELDS, row[2:], strict=True))


def _source(flt: StatsFilter, date_from: date, date_to: date, grains: tuple[str, ...] | None = None) -> tuple[Any, Q]:
    """Where the period's figures come from: the rollups over whole periods, or the facts of one leaf category."""
    if _uses_facts(flt):
        return StatsOrderFact, _common_q(flt) & Q(day__gte=date_from, day__lte=date_to)
    pieces = range_cover(date_from, date_to) if grains is None else range_cover(date_from, date_to, grains)
    return StatsRollup, _cover_q(pieces) & _common_q(flt)


SERIES_GRAINS: dict[str, tuple[str, ...]] = {
    Grain.DAY: (),
    Grain.WEEK: (Grain.WEEK,),
    Grain.MONTH: (Grain.MONTH, Grain.WEEK),
}


def _series(flt: StatsFilter, granularity: str, rows: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
    buckets: dict[date, list[int]] = {p: [0, 0] for p in periods_between(flt.date_from, flt.date_to, granularity)}
    closed = 2 + COUNTER_FIELDS.index("st_closed")
    for row in rows:
        bucket = buckets[period_start(date.fromisoformat(str(row[0])[:10]), granularity)]
        bucket[0] += row[2]
        bucket[1] += row[closed]
    out = []
    for start, (n, n_closed) in buckets.items():
        first = max(start, flt.date_from)
        label = start.strftime("%Y-%m") if granularity == Grain.MONTH else first.strftime("%m-%d")
        out.append({"period": first.isoformat(), "label": label, "total": n, "closed": n_closed})
    return out


def _filter_dims(flt: StatsFilter) -> dict[str, list[int]]:
    """The active filters as marginal dimensions and their keys (a leaf category is not one: it reads facts)."""
    dims: dict[str, list[int]] = {}
    if flt.unit_ids is not None:
        dims["u"] = sorted(flt.unit_ids)
    if flt.request_type is not None:
        dims["t"] = [flt.request_type.pk]
    if flt.channel:
        dims["c"] = [CHANNEL_CODES.get(flt.channel, 0)]
    if flt.category is not None and flt.category.level <= 2:
        dims[str(flt.category.level)] = [flt.category.pk]
    return dims


def _marginal_part(tag: str, pieces: Q, dims: dict[str, list[int]], group: str | None = None) -> _Part:
    """A part read from StatsMarginal: at most one filter dimension plus the grouping dimension."""
    involved = sorted(set(dims) | ({group} if group else set()), key=MARGINAL_DIMS.index)
    assert len(involved) <= 2
    a_dim, b_dim = [*involved, "", ""][:2]
    q = pieces & Q(a_dim=a_dim, b_dim=b_dim)
    if not a_dim:
        q &= Q(a_key=0)
    if not b_dim:
        q &= Q(b_key=0)
    for dim, keys in dims.items():
        column = "a_key" if dim == a_dim else "b_key"
        q &= Q(**{f"{column}__in": keys})
    key = None if group is None else "a_key" if group == a_dim else "b_key"
    return _Part(tag, StatsMarginal, q, key)


def _overview_parts(flt: StatsFilter, cat_key: str, granularity: str, prev: tuple[date, date]) -> list[_Part]:
    level = flt.category.level if flt.category is not None else 0
    fact_q = _common_q(flt) & Q(day__gte=flt.date_from, day__lte=flt.date_to)
    dims = _filter_dims(flt)
    if not _uses_facts(flt) and len(dims) <= 1:
        # At most one filter: everything from the marginals (a few hundred rows per period).
        cover = _cover_q(range_cover(flt.date_from, flt.date_to))
        cat_dim = "1" if level == 0 else "2"
        return [
            _marginal_part("a", cover, dims),
            _marginal_part("u", cover, dims, "u"),
            _marginal_part("t", cover, dims, "t"),
            _marginal_part("c", cover, dims, "c"),
            _Part("k", StatsOrderFact, fact_q, "leaf_id") if level == 2 else _marginal_part("k", cover, dims, cat_dim),
            _marginal_part("p", _cover_q(range_cover(*prev)), dims),
            _Part(
                "g",
                StatsMarginal,
                _marginal_part(
                    "g", _cover_q(range_cover(flt.date_from, flt.date_to, SERIES_GRAINS[granularity])), dims
                ).q,
                "period",
                "grain",
            ),
            _marginal_part("s", cover, dims, "s"),
        ]
    model, q = _source(flt, flt.date_from, flt.date_to)
    series_model, series_q = _source(flt, flt.date_from, flt.date_to, SERIES_GRAINS[granularity])
    prev_model, prev_q = _source(flt, *prev)
    if level >= 2:
        street = _Part("s", StatsOrderFact, fact_q, "street_id")
    else:
        pieces = range_cover(flt.date_from, flt.date_to)
        street = _Part("s", StatsStreetRollup, _cover_q(pieces) & _common_q(flt, street=True), "street_id")
    return [
        _Part("a", model, q),
        _Part("u", model, q, "unit_id"),
        _Part("t", model, q, "type_id"),
        _Part("c", model, q, "channel"),
        _Part("k", StatsOrderFact, fact_q, "leaf_id") if level == 2 else _Part("k", model, q, cat_key),
        _Part("p", prev_model, prev_q),
        _Part("g", series_model, series_q, "day")
        if series_model is StatsOrderFact
        else _Part("g", series_model, series_q, "period", "grain"),
        street,
    ]


def granularity_for(days: int) -> str:
    if days <= DAY_GRANULARITY_MAX:
        return Grain.DAY
    if days <= WEEK_GRANULARITY_MAX:
        return Grain.WEEK
    return Grain.MONTH


GRANULARITY_NAMES: dict[str, str] = {Grain.DAY: "day", Grain.WEEK: "week", Grain.MONTH: "month"}


def _rows_sorted(totals: dict[Any, int], labels: dict[Any, tuple[Any, str]]) -> list[dict[str, Any]]:
    rows = [
        {"key": labels.get(k, (k, str(k)))[0], "label": labels.get(k, (k, str(k)))[1], "total": n}
        for k, n in totals.items()
        if n
    ]
    return sorted(rows, key=lambda r: (-r["total"], str(r["key"])))


def _unit_labels(ids: set[int]) -> dict[int, tuple[str | None, str]]:
    labels: dict[int, tuple[str | None, str]] = {
        pk: (code, name) for pk, code, name in Unit.objects.filter(pk__in=ids).values_list("pk", "code", "name")
    }
    labels[0] = (None, _("Not dispatched"))
    return labels


def _live_lists(flt: StatsFilter) -> dict[str, dict[str, Any]]:
    """The open orders overdue and due soon now (the sweep's indexed flags), filtered by unit, category, type and
    channel but not by period: up to LIST_SIZE each, most overdue (earliest deadline) first, and their counts."""
    qs = WorkOrder.objects.filter(is_open=True)
    if flt.unit_ids is not None:
        qs = qs.filter(primary_unit_id__in=sorted(flt.unit_ids))
    if flt.category is not None:
        path = flt.category.path
        qs = qs.filter(
            category_id__in=[
                pk for pk, c in categories_cached.get().by_id.items() if c.path == path or c.path.startswith(path + "/")
            ]
        )
    if flt.request_type is not None:
        qs = qs.filter(request_type_id=flt.request_type.pk)
    if flt.channel:
        qs = qs.filter(channel=flt.channel)
    # A due-soon order whose deadline has passed since the last sweep is overdue, not due soon; the bound also lets
    # the database read the due-soon orders through the due_at index instead of walking it from the oldest deadline.
    flags = {"overdue": Q(is_overdue=True), "due_soon": Q(is_due_soon=True, due_at__gte=clock.now())}
    counts = qs.filter(flags["overdue"] | flags["due_soon"]).aggregate(
        overdue=Count("pk", filter=flags["overdue"]), due_soon=Count("pk", filter=flags["due_soon"])
    )
    out = {}
    for key, condition in flags.items():
        rows = qs.filter(condition).order_by("due_at", "pk")
        items = [
            {
                "number": r["number"],
                "title": r["title"],
                "unit": r["primary_unit__code"],
                "unit_name": r["primary_unit__name"],
                "due_at": r["due_at"].isoformat() if r["due_at"] else None,
            }
            for r in rows.values("number", "title", "primary_unit__code", "primary_unit__name", "due_at")[:LIST_SIZE]
        ]
        out[key] = {"total": counts[key] or 0, "items": items}
    return out


def _change(cur: int, prev: int) -> float | None:
    return (cur - prev) / prev if prev else None


def stats_overview(*, user: Any, flt: StatsFilter) -> dict[str, Any]:
    """The figures of GET /api/v1/stats/overview/ (see the statistics contract in docs/statistics.md)."""
    if not stats_can_view(user):
        raise PermissionDenied(_("Your role does not allow viewing statistics."))
    level = flt.category.level if flt.category is not None else 0
    cat_key = "cat1_id" if level == 0 else "cat2_id" if level == 1 else "leaf_id" if _uses_facts(flt) else "cat2_id"
    days = flt.days
    prev_to = flt.date_from - timedelta(days=1)
    prev_from = prev_to - timedelta(days=days - 1)
    granularity = granularity_for(days)
    rows = _batch(_overview_parts(flt, cat_key, granularity, (prev_from, prev_to)))
    total_acc = _counters(rows["a"][0]) if rows["a"] else dict.fromkeys(COUNTER_FIELDS, 0)
    by_unit = {int(r[0]): _counters(r) for r in rows["u"]}
    by_type = {int(r[0]): r[2] for r in rows["t"]}
    by_channel = {
        CHANNEL_BY_CODE.get(int(r[0]), str(r[0])) if str(r[0]).isdigit() else str(r[0]): r[2] for r in rows["c"]
    }
    by_cat = {int(r[0]): r[2] for r in rows["k"]}
    streets = {int(r[0]): r[2] for r in rows["s"] if r[2] and int(r[0])}
    prev_acc = _counters(rows["p"][0]) if rows["p"] else dict.fromkeys(COUNTER_FIELDS, 0)
    rates, parts = rates_from(total_acc)
    prev_rates, _prev_parts = rates_from(prev_acc)
    change_rates = {
        k: (rates[k] - prev_rates[k]) if rates[k] is not None and prev_rates[k] is not None else None  # type: ignore[operator]
        for k in RATE_KEYS
    }

    cat_index = categories_cached.get().by_id
    live = _live_lists(flt)
    types = {t.pk: (t.code, t.name) for t in request_types_cached.get().values()}
    unit_labels = _unit_labels(set(by_unit) | set(streets))
    channel_labels = {k: (k, str(v)) for k, v in Channel.choices}
    status_labels = dict(StatusChoices.choices)
    return {
        "filters": flt.as_params(),
        "granularity": GRANULARITY_NAMES[granularity],
        "total": total_acc["total"],
        "rates": rates,
        "rate_parts": parts,
        "rate_definitions": rate_definitions(),
        "previous": {
            "date_from": prev_from.isoformat(),
            "date_to": prev_to.isoformat(),
            "total": prev_acc["total"],
            "rates": prev_rates,
        },
        "change": {"total": _change(total_acc["total"], prev_acc["total"]), "rates": change_rates},
        "series": _series(flt, granularity, rows["g"]),
        "by_channel": _rows_sorted(by_channel, channel_labels),
        "by_type": _rows_sorted(by_type, types),
        "by_category": _rows_sorted(by_cat, {pk: (c.path, c.name) for pk, c in cat_index.items() if pk in by_cat}),
        "by_unit": [
            {**row, "rates": rates_from(by_unit[pk])[0]}
            for pk, row in (
                (
                    pk,
                    {
                        "key": unit_labels.get(pk, (None, str(pk)))[0],
                        "label": unit_labels.get(pk, (None, str(pk)))[1],
                        "total": acc["total"],
                    },
                )
                for pk, acc in sorted(by_unit.items(), key=lambda kv: (-kv[1]["total"], kv[0]))
                if acc["total"]
            )
        ],
        "by_street": _rows_sorted(streets, {pk: unit_labels.get(pk, (None, str(pk))) for pk in streets}),
        "by_status": [
            {"key": field[3:], "label": str(status_labels.get(field[3:], field[3:])), "total": total_acc[field]}
            for field in STATUS_FIELDS
            if total_acc[field]
        ],
        "overdue": live["overdue"],
        "due_soon": live["due_soon"],
    }


def stats_unit_rates(*, date_from: date, date_to: date) -> list[dict[str, Any]]:
    """Per unit that received orders in the period (as primary unit now): totals, rates and their parts."""
    part = _marginal_part("u", _cover_q(range_cover(date_from, date_to)), {}, "u")
    by_unit = {int(r[0]): _counters(r) for r in _batch([part])["u"]}
    labels = _unit_labels(set(by_unit))
    out = []
    for unit_id, counters in sorted(by_unit.items(), key=lambda kv: labels.get(kv[0], (None, ""))[0] or ""):
        if not unit_id or not counters["total"]:
            continue
        rates, parts = rates_from(counters)
        code, name = labels.get(unit_id, (None, ""))
        out.append({"unit": code, "unit_name": name, "total": counters["total"], "rates": rates, "rate_parts": parts})
    return out
