"""Statistics reads: filters, the overview (GET /api/v1/stats/overview/), per-unit rates.

Figures come from the rollups, read over a covering of the date range by whole months and days, so an overview reads
a few thousand rollup rows whatever the number of orders: the marginals (`StatsMarginal`) for up to two filters, the
cube (`StatsRollup`, `StatsStreetRollup`) for more. A filter on a leaf category reads the per-order facts of that
category (a narrow, indexed slice), and a level-2 category's breakdown by leaf too. The overdue and due-soon lists are
exact at the moment they are read, from the facts' open deadlines.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import connection, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from govdesk.cases.selectors import due_soon_limit
from govdesk.catalog.models import Category, RequestType
from govdesk.catalog.selectors import categories_cached, request_type_by_code, request_types_cached
from govdesk.common import clock
from govdesk.common.errors import PermissionDenied, ValidationFailed
from govdesk.common.validators import validate_supported_date
from govdesk.org.models import Role, Unit
from govdesk.workorders.models import Channel, StatusChoices, WorkOrder

from .models import (
    COUNTER_FIELDS,
    FLAG_FIELDS,
    MARGINAL_DIMS,
    MARGINAL_TRIPLES,
    STATUS_FIELDS,
    Grain,
    StatsMarginal,
    StatsOrderFact,
    StatsRollup,
    StatsStreetRollup,
)
from .periods import Piece, period_start, periods_between, range_cover
from .rates import RATE_KEYS, rate_definitions, rates_from
from .services import CHANNEL_BY_CODE, CHANNEL_CODES, stats_folded

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
        parsed = date.fromisoformat(raw) if len(raw) == 10 else None
    except ValueError:
        parsed = None
    if parsed is None:
        raise _invalid(field, _("Give the date as YYYY-MM-DD."))
    try:
        validate_supported_date(parsed)
    except DjangoValidationError as exc:
        raise _invalid(field, str(exc.messages[0])) from None
    return parsed


def stats_period_parse(params: Mapping[str, str]) -> tuple[date, date]:
    """The period of a statistics filter: `date_from`/`date_to` (YYYY-MM-DD, inclusive), default the last 30 days
    ending today, at most three years. Raises ValidationFailed."""
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
    return date_from, date_to


def stats_unit_scope_parse(params: Mapping[str, str], user: Any) -> tuple[Unit | None, frozenset[int] | None]:
    """The `unit` filter and the units it counts (the unit and its subtree; None: all). A user without a
    district-wide role sees their own unit's subtree only: no `unit` means their own, another unit is 403."""
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
    return unit, unit_ids


def stats_filter_parse(params: Mapping[str, str], user: Any) -> StatsFilter:
    """Check the statistics filters and the user's right to them. Raises ValidationFailed (400) or PermissionDenied."""
    if not stats_can_view(user):
        raise PermissionDenied(_("Your role does not allow viewing statistics."))
    date_from, date_to = stats_period_parse(params)
    unit, unit_ids = stats_unit_scope_parse(params, user)
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
    """A leaf category, or a level-2 category with another filter: the facts of that category (a narrow, indexed
    slice) instead of rollups that would need a row per order."""
    if flt.category is None:
        return False
    return flt.category.level >= 3 or (flt.category.level == 2 and len(_filter_dims(flt)) >= 2)


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
    keys: tuple[str, ...] = ()  # the columns to group by
    # Rollups: the periods read. One SELECT per piece, so that each reads one range of the (…, grain, period) index;
    # an OR of the pieces would make SQLite read every period of the dimensions.
    pieces: tuple[Piece, ...] = ()
    counters: tuple[str, ...] = COUNTER_FIELDS  # the counters summed (application marginals have their own)


Row = tuple[tuple[Any, ...], tuple[int, ...]]  # (the group's key values, COUNTER_FIELDS)


def _sums(model: Any, counters: tuple[str, ...] = COUNTER_FIELDS) -> list[str]:
    if model is StatsOrderFact:
        statuses = [f"SUM(CASE WHEN status = '{f[3:]}' THEN 1 ELSE 0 END)" for f in STATUS_FIELDS]
        return ["COUNT(*)", *statuses, *(f"SUM({f})" for f in FLAG_FIELDS)]
    if model is StatsStreetRollup:
        return ["SUM(total)", *["0"] * (len(COUNTER_FIELDS) - 1)]
    return [f"SUM({f})" for f in counters]


def _batch(parts: list[_Part]) -> dict[str, list[Row]]:
    """Run every part in ONE round trip (key columns padded with NULL to the widest part); rows per tag, the pieces'
    groups summed."""
    width = max(len(part.keys) for part in parts)
    selects: list[str] = []
    params: list[Any] = []
    for part in parts:
        table = part.model._meta.db_table
        keys = [f"CAST({k} AS TEXT)" for k in part.keys] + ["NULL"] * (width - len(part.keys))
        for piece in part.pieces or (None,):
            q = part.q if piece is None else part.q & Q(grain=piece[0], period__gte=piece[1], period__lte=piece[2])
            where, where_params = _where(part.model, q)
            selects.append(
                f"SELECT {', '.join(['%s', *keys, *_sums(part.model, part.counters)])} FROM {table} WHERE {where}"  # noqa: S608
                + (f" GROUP BY {', '.join(part.keys)}" if part.keys else "")
            )
            params.extend([part.tag, *where_params])
    sums: dict[str, dict[tuple[Any, ...], list[int]]] = {part.tag: {} for part in parts}
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Many small index ranges: starting parallel workers costs more than it saves (measured: 27 → 18 ms
            # for a unit's overview at 1M orders).
            cursor.execute("SET LOCAL max_parallel_workers_per_gather = 0")
        cursor.execute(" UNION ALL ".join(selects), params)
        for row in cursor.fetchall():
            _add_to(sums[row[0]], tuple(row[1 : 1 + width]), [int(v or 0) for v in row[1 + width :]])
    return _rows_of(sums)


def _add_to(groups: dict[tuple[Any, ...], list[int]], key: tuple[Any, ...], counters: Sequence[int]) -> None:
    acc = groups.setdefault(key, [0] * len(counters))
    for i, value in enumerate(counters):
        acc[i] += value


def _rows_of(sums: dict[str, dict[tuple[Any, ...], list[int]]]) -> dict[str, list[Row]]:
    return {tag: [(key, tuple(acc)) for key, acc in groups.items()] for tag, groups in sums.items()}


def _counters(row: Row) -> dict[str, int]:
    return dict(zip(COUNTER_FIELDS, row[1], strict=True))


def _source(
    flt: StatsFilter, date_from: date, date_to: date, grains: tuple[str, ...] | None = None
) -> tuple[Any, Q, tuple[Piece, ...]]:
    """Where the period's figures come from: the cube over whole periods, or the facts of one narrow category."""
    if _uses_facts(flt):
        return StatsOrderFact, _common_q(flt) & Q(day__gte=date_from, day__lte=date_to), ()
    pieces = range_cover(date_from, date_to) if grains is None else range_cover(date_from, date_to, grains)
    return StatsRollup, _common_q(flt), tuple(pieces)


# The rollup grains a series of each granularity reads (weeks are summed from days).
SERIES_GRAINS: dict[str, tuple[str, ...]] = {
    Grain.DAY: (),
    Grain.WEEK: (),
    Grain.MONTH: (Grain.MONTH,),
}


def _series(flt: StatsFilter, granularity: str, rows: list[Row]) -> list[dict[str, Any]]:
    buckets: dict[date, list[int]] = {p: [0, 0] for p in periods_between(flt.date_from, flt.date_to, granularity)}
    closed = COUNTER_FIELDS.index("st_closed")
    for keys, counters in rows:
        bucket = buckets[period_start(date.fromisoformat(str(keys[0])[:10]), granularity)]
        bucket[0] += counters[0]
        bucket[1] += counters[closed]
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


MARGINAL_SLOTS = ("a", "b", "c")


def _marginal_part(tag: str, pieces: list[Piece], dims: dict[str, list[int]], group: str | None = None) -> _Part:
    """A part read from StatsMarginal: at most two filter dimensions plus the grouping dimension."""
    involved = sorted(set(dims) | ({group} if group else set()), key=MARGINAL_DIMS.index)
    assert len(involved) < len(MARGINAL_SLOTS) or tuple(involved) in MARGINAL_TRIPLES, involved
    slot_of = dict(zip(involved, MARGINAL_SLOTS, strict=False))
    q = Q(**{f"{slot}_dim": dim for dim, slot in slot_of.items()})
    for slot in MARGINAL_SLOTS[len(involved) :]:
        q &= Q(**{f"{slot}_dim": "", f"{slot}_key": 0})
    for dim, keys in dims.items():
        q &= Q(**{f"{slot_of[dim]}_key__in": keys})
    return _Part(tag, StatsMarginal, q, () if group is None else (f"{slot_of[group]}_key",), tuple(pieces))


def _overview_parts(flt: StatsFilter, cat_key: str, granularity: str, prev: tuple[date, date]) -> list[_Part]:
    level = flt.category.level if flt.category is not None else 0
    fact_q = _common_q(flt) & Q(day__gte=flt.date_from, day__lte=flt.date_to)
    dims = _filter_dims(flt)
    series_grains = SERIES_GRAINS[granularity]
    if not _uses_facts(flt) and len(dims) <= 2:
        # At most two filters: everything from the marginals (their dimensions and the one broken down by).
        cover = range_cover(flt.date_from, flt.date_to)
        cat_dim = "1" if level == 0 else "2"
        series = _marginal_part("g", range_cover(flt.date_from, flt.date_to, series_grains), dims)
        return [
            _marginal_part("a", cover, dims),
            _marginal_part("u", cover, dims, "u"),
            _marginal_part("t", cover, dims, "t"),
            _marginal_part("c", cover, dims, "c"),
            _Part("k", StatsOrderFact, fact_q, ("leaf_id",))
            if level == 2
            else _marginal_part("k", cover, dims, cat_dim),
            _marginal_part("p", range_cover(*prev), dims),
            _Part("g", StatsMarginal, series.q, ("period", "grain"), series.pieces),
            _marginal_part("s", cover, dims, "s"),
        ]
    # A narrow category's facts, or the cube for three or more filters: the period's rows are read once, grouped by
    # every breakdown's key together ("x"), and the total and the breakdowns are summed from those groups.
    model, q, pieces = _source(flt, flt.date_from, flt.date_to)
    series_model, series_q, series_pieces = _source(flt, flt.date_from, flt.date_to, series_grains)
    prev_model, prev_q, prev_pieces = _source(flt, *prev)
    if level >= 2:
        street = _Part("s", StatsOrderFact, fact_q, ("street_id",))
    else:
        street = _Part("s", StatsStreetRollup, _common_q(flt, street=True), ("street_id",), pieces)
    series_keys = ("day",) if series_model is StatsOrderFact else ("period", "grain")
    prev_part = _Part("p", prev_model, prev_q, (), prev_pieces)
    series_part = _Part("g", series_model, series_q, series_keys, series_pieces)
    if model is StatsRollup and len(dims) == len(MARGINAL_SLOTS):
        # Three filters are a stored triple: the previous period and the series (a row per day) come from it.
        prev_part = _marginal_part("p", range_cover(*prev), dims)
        series = _marginal_part("g", range_cover(flt.date_from, flt.date_to, series_grains), dims)
        series_part = _Part("g", StatsMarginal, series.q, ("period", "grain"), series.pieces)
    return [_Part("x", model, q, ("unit_id", "type_id", "channel", cat_key), pieces), prev_part, series_part, street]


def _breakdowns_from_groups(rows: list[Row]) -> dict[str, list[Row]]:
    """The total ("a") and the breakdowns by unit, type, channel and category ("u", "t", "c", "k") summed from
    rows grouped by all four keys at once, in the shape the marginal parts give them."""
    sums: dict[str, dict[tuple[Any, ...], list[int]]] = {tag: {} for tag in ("a", "u", "t", "c", "k")}
    for keys, counters in rows:
        for tag, key in (("a", ()), ("u", keys[0:1]), ("t", keys[1:2]), ("c", keys[2:3]), ("k", keys[3:4])):
            _add_to(sums[tag], key, counters)
    return _rows_of(sums)


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
    """The open orders overdue and due soon at this moment, filtered by unit, category, type and channel but not by
    period: their counts and up to LIST_SIZE each, most overdue (earliest deadline) first. Read from the facts'
    deadlines of open orders (`stats_fact_open_due`, a partial index holding every filter column), so counting tens
    of thousands of overdue orders reads one small index and no order rows."""
    now = clock.now()
    soon = due_soon_limit(now)
    windows = {"overdue": Q(open_due_at__lt=now), "due_soon": Q(open_due_at__gte=now, open_due_at__lt=soon)}
    facts = StatsOrderFact.objects.filter(_common_q(flt), open_due_at__isnull=False)
    # Both windows as ONE range of the index (an OR of the two would make PostgreSQL read the rows themselves).
    counts = facts.filter(open_due_at__lt=soon).aggregate(
        overdue=Count("open_due_at", filter=windows["overdue"]),
        due_soon=Count("open_due_at", filter=windows["due_soon"]),
    )
    firsts = {
        key: list(facts.filter(window).order_by("open_due_at", "case_id").values_list("case_id", flat=True)[:LIST_SIZE])
        for key, window in windows.items()
    }
    rows = {
        r["pk"]: r
        for r in WorkOrder.objects.filter(pk__in=[pk for pks in firsts.values() for pk in pks]).values(
            "pk", "number", "title", "primary_unit__code", "primary_unit__name", "due_at"
        )
    }
    return {
        key: {
            "total": counts[key] or 0,
            "items": [
                {
                    "number": r["number"],
                    "title": r["title"],
                    "unit": r["primary_unit__code"],
                    "unit_name": r["primary_unit__name"],
                    "due_at": r["due_at"].isoformat() if r["due_at"] else None,
                }
                for r in (rows[pk] for pk in pks if pk in rows)
            ],
        }
        for key, pks in firsts.items()
    }


def _change(cur: int, prev: int) -> float | None:
    return (cur - prev) / prev if prev else None


@stats_folded
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
    if "x" in rows:
        rows.update(_breakdowns_from_groups(rows.pop("x")))
    total_acc = _counters(rows["a"][0]) if rows["a"] else dict.fromkeys(COUNTER_FIELDS, 0)
    by_unit = {int(k[0]): _counters((k, c)) for k, c in rows["u"]}
    by_type = {int(k[0]): c[0] for k, c in rows["t"]}
    by_channel = {
        CHANNEL_BY_CODE.get(int(k[0]), str(k[0])) if str(k[0]).isdigit() else str(k[0]): c[0] for k, c in rows["c"]
    }
    by_cat = {int(k[0]): c[0] for k, c in rows["k"]}
    streets = {int(k[0]): c[0] for k, c in rows["s"] if c[0] and int(k[0])}
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


@stats_folded
def stats_unit_rates(*, date_from: date, date_to: date) -> list[dict[str, Any]]:
    """Per unit that received orders in the period (as primary unit now): totals, rates and their parts."""
    part = _marginal_part("u", range_cover(date_from, date_to), {}, "u")
    by_unit = {int(k[0]): _counters((k, c)) for k, c in _batch([part])["u"]}
    labels = _unit_labels(set(by_unit))
    out = []
    for unit_id, counters in sorted(by_unit.items(), key=lambda kv: labels.get(kv[0], (None, ""))[0] or ""):
        if not unit_id or not counters["total"]:
            continue
        rates, parts = rates_from(counters)
        code, name = labels.get(unit_id, (None, ""))
        out.append({"unit": code, "unit_name": name, "total": counters["total"], "rates": rates, "rate_parts": parts})
    return out


# --- applications (办件): implemented in application_selectors.py, named here for the callers -----------------------


def stats_application_filter_parse(params: Mapping[str, str], user: Any) -> Any:
    """Check the application statistics filters (period, unit, matter, matter_type, channel) and the user's right
    to them, as `stats_filter_parse` does. Raises ValidationFailed (400) or PermissionDenied (403)."""
    from .application_selectors import application_filter_parse

    return application_filter_parse(params, user)


def stats_application_overview(*, user: Any, flt: Any) -> dict[str, Any]:
    """The application overview (GET /api/v1/stats/overview/?kind=application; keys in docs/statistics.md)."""
    from .application_selectors import application_overview

    return application_overview(user=user, flt=flt)


def stats_package_filter_parse(params: Mapping[str, str], user: Any) -> dict[str, Any]:
    """Check the package (一件事) statistics filters: period, `unit` (the lead unit and its subtree) and `package`
    (code), with the user's right to them; answers the keyword arguments of `package_stats_overview`. Raises
    ValidationFailed (400) or PermissionDenied (403)."""
    from govdesk.packages.models import Package

    if not stats_can_view(user):
        raise PermissionDenied(_("Your role does not allow viewing statistics."))
    date_from, date_to = stats_period_parse(params)
    _unit, unit_ids = stats_unit_scope_parse(params, user)
    code = (params.get("package") or "").strip()
    if code and not Package.objects.filter(code=code[:64]).exists():
        raise _invalid("package", _("Unknown package."))
    return {"date_from": date_from, "date_to": date_to, "unit_ids": unit_ids, "package_code": code or None}


def stats_package_overview(*, user: Any, flt: dict[str, Any]) -> dict[str, Any]:
    """The package overview (GET /api/v1/stats/overview/?kind=package; keys in docs/statistics.md)."""
    from govdesk.packages.stats import package_stats_overview

    return package_stats_overview(user=user, **flt)


def stats_application_unit_rates(*, date_from: date, date_to: date) -> list[dict[str, Any]]:
    """Per implementing unit with applications submitted in the period: unit_id, unit, unit_name, received,
    decided, decided_on_time, on_time (decided_on_time ÷ decided, None without decisions), overdue_open (those
    still open and past their deadline now), overdue_at_end (applications of any submission day the unit had not
    decided by the end of `date_to` although their decision deadline had passed: the same whenever it is read). For
    the unit assessment."""
    from .application_selectors import application_unit_rates

    return application_unit_rates(date_from=date_from, date_to=date_to)
