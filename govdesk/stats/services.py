"""Rollup maintenance: each change to an order updates its fact row and the rollups by delta, in its transaction.

`stats_case_event` is registered in `cases.services` (see apps.py) and runs inside every `case_event_record`, after
the order's fields are saved and while the service holds the order's row lock. It computes the order's new fact from
the saved row, compares it with the stored one and, if anything counted changed, adds the difference to the rollups
with `INSERT … ON CONFLICT … DO UPDATE SET n = n + excluded.n` (atomic on PostgreSQL and SQLite under concurrency).
`stats_rollup_rebuild` recomputes everything from the orders; `stats_rollup_verify` compares the stored rows with a
recomputation.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, date, datetime
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from govdesk.catalog.models import Category
from govdesk.common.refcache import ReferenceCache
from govdesk.org.models import Unit, UnitKind
from govdesk.workorders.models import Channel, WorkOrder
from govdesk.workorders.states import Status

from .models import (
    COUNTER_FIELDS,
    FLAG_FIELDS,
    MARGINAL_DIMS,
    MARGINAL_KEY_FIELDS,
    MARGINAL_TRIPLES,
    ROLLUP_KEY_FIELDS,
    STREET_KEY_FIELDS,
    Grain,
    StatsMarginal,
    StatsOrderFact,
    StatsRollup,
    StatsStreetRollup,
)
from .periods import period_start

GRAINS = (Grain.DAY, Grain.MONTH)
# Channels as integer keys of the marginal rollup (0: unknown).
CHANNEL_CODES = {value: i + 1 for i, value in enumerate(Channel.values)}
CHANNEL_BY_CODE = {code: value for value, code in CHANNEL_CODES.items()}
POSITIVE_SATISFACTION = ("satisfied", "basically")
# The order columns a fact is computed from (also what the rebuild reads, in batches).
ORDER_FIELDS = (
    "pk",
    "created_at",
    "primary_unit_id",
    "address",
    "category_id",
    "request_type_id",
    "channel",
    "status",
    "is_open",
    "dispatched_at",
    "signed_at",
    "sign_due_at",
    "due_at",
    "replied_at",
    "closed_at",
    "answer",
    "master_id",
    "return_count",
    "visited_at",
    "visit_resolved",
    "visit_satisfaction",
)
FACT_FIELDS = (
    "day",
    "unit_id",
    "street_id",
    "cat1_id",
    "cat2_id",
    "leaf_id",
    "type_id",
    "channel",
    "status",
    *FLAG_FIELDS,
    "open_due_at",
)

Fact = dict[str, Any]


# --- reference data: categories and units, cached per process -----------------------------------------------------


def _load_categories() -> dict[int, tuple[int, int]]:
    """Category id → (level-1 id, level-2 id); a level-1 category maps to (itself, 0)."""
    rows = list(Category.objects.values_list("id", "parent_id", "level"))
    parent = {pk: p for pk, p, _lvl in rows}
    level = {pk: lvl for pk, _p, lvl in rows}
    out: dict[int, tuple[int, int]] = {}
    for pk, _p, _lvl in rows:
        chain = [pk]
        while parent.get(chain[-1]) is not None:
            chain.append(parent[chain[-1]])
        by_level = {level[c]: c for c in chain}
        out[pk] = (by_level.get(1, 0), by_level.get(2, 0))
    return out


def _load_units() -> tuple[dict[int, tuple[str, int | None]], list[tuple[list[str], int]]]:
    """Unit id → (kind, parent id), and the active streets with the names their addresses are matched by."""
    units: dict[int, tuple[str, int | None]] = {}
    streets: list[tuple[list[str], int]] = []
    for pk, kind, parent_id, name, place_names, active in Unit.objects.values_list(
        "id", "kind", "parent_id", "name", "place_names", "is_active"
    ):
        units[pk] = (kind, parent_id)
        if kind == UnitKind.STREET and active:
            streets.append(([name, *[n.strip() for n in place_names.splitlines() if n.strip()]], pk))
    return units, streets


categories_cached: ReferenceCache[dict[int, tuple[int, int]]] = ReferenceCache(_load_categories)
units_cached: ReferenceCache[tuple[dict[int, tuple[str, int | None]], list[tuple[list[str], int]]]] = ReferenceCache(
    _load_units
)


def _category_levels(category_id: int) -> tuple[int, int]:
    found = categories_cached.get().get(category_id)
    if found is None:
        categories_cached.invalidate()
        found = categories_cached.get().get(category_id, (0, 0))
    return found


def _unit_info(unit_id: int) -> tuple[str, int | None]:
    units = units_cached.get()[0]
    if unit_id not in units:
        units_cached.invalidate()
        units = units_cached.get()[0]
    return units.get(unit_id, ("", None))


def street_of(unit_id: int | None, address: str) -> int:
    """The order's street: its primary unit if that is a street (or a community of one), else by its address."""
    if unit_id:
        kind, parent_id = _unit_info(unit_id)
        if kind == UnitKind.STREET:
            return unit_id
        if kind == UnitKind.COMMUNITY and parent_id and _unit_info(parent_id)[0] == UnitKind.STREET:
            return parent_id
    best: tuple[int, int] | None = None
    if address:
        for names, pk in units_cached.get()[1]:
            for name in names:
                if name and name in address and (best is None or len(name) > best[0]):
                    best = (len(name), pk)
    return best[1] if best else 0


# --- facts ---------------------------------------------------------------------------------------------------------


def _on_time(done: datetime | None, due: datetime | None) -> bool:
    return done is not None and (due is None or done <= due)


def fact_compute(row: dict[str, Any]) -> Fact:
    """The fact of one order from its saved columns (ORDER_FIELDS). The rate definitions live here; see rates.py."""
    status = row["status"]
    merged = row["master_id"] is not None
    signed_at = row["signed_at"]
    answered = bool(row["answer"])  # kept when a directly answered order is reopened: it did get a response
    completed = status in (Status.REPLIED, Status.CLOSED) and not merged
    completed_at = row["replied_at"] or row["closed_at"]
    satisfaction = row["visit_satisfaction"] or ""
    cat1, cat2 = _category_levels(row["category_id"])
    unit_id = row["primary_unit_id"] or 0
    return {
        "day": timezone.localtime(row["created_at"]).date(),
        "unit_id": unit_id,
        "street_id": street_of(unit_id, row["address"] or ""),
        "cat1_id": cat1,
        "cat2_id": cat2,
        "leaf_id": row["category_id"],
        "type_id": row["request_type_id"],
        "channel": row["channel"],
        "status": status,
        "dispatched": int(row["dispatched_at"] is not None),
        "signed": int(signed_at is not None),
        "signed_on_time": int(_on_time(signed_at, row["sign_due_at"])),
        "responded": int(signed_at is not None or answered),
        "response_base": int(status != Status.CANCELLED and not merged),
        "completed": int(completed),
        "completed_on_time": int(completed and _on_time(completed_at, row["due_at"])),
        "returned": int(row["return_count"] > 0),
        "merged": int(merged),
        "replied": int(row["replied_at"] is not None or row["visited_at"] is not None),
        "visited": int(row["visited_at"] is not None),
        "resolved": int(row["visited_at"] is not None and row["visit_resolved"] is True),
        "sat_answered": int(bool(satisfaction)),
        "sat_positive": int(satisfaction in POSITIVE_SATISFACTION),
        "open_due_at": row["due_at"] if row["is_open"] else None,
    }


def fact_counters(fact: Fact) -> list[int]:
    """The fact's contribution to one rollup row, in COUNTER_FIELDS order."""
    status = fact["status"]
    return [1, *(int(status == f[3:]) for f in COUNTER_FIELDS[1:9]), *(fact[f] for f in FLAG_FIELDS)]


def fact_rollup_keys(fact: Fact) -> Iterator[tuple[tuple[Any, ...], tuple[Any, ...]]]:
    """(rollup key, street rollup key) of the fact at each grain."""
    for grain in GRAINS:
        period = period_start(fact["day"], grain)
        yield (
            (grain, period, fact["unit_id"], fact["cat1_id"], fact["cat2_id"], fact["type_id"], fact["channel"]),
            (grain, period, fact["street_id"], fact["unit_id"], fact["cat1_id"], fact["type_id"], fact["channel"]),
        )


Deltas = dict[tuple[Any, ...], list[int]]


class RollupDeltas:
    """Counter changes per row of each rollup table, to be added in one statement per table."""

    def __init__(self) -> None:
        self.rollup: Deltas = {}
        self.street: Deltas = {}
        self.marginal: Deltas = {}

    def add(self, fact: Fact, sign: int) -> None:
        counters = fact_counters(fact)
        if sign != 1:
            counters = [sign * v for v in counters]
        width = len(counters)
        dims = _marginal_keys(fact)
        for key, street_key in fact_rollup_keys(fact):
            for table, row_key in ((self.rollup, key), *((self.marginal, (key[0], key[1], *m)) for m in dims)):
                acc = table.get(row_key)
                if acc is None:
                    table[row_key] = list(counters)
                else:
                    for i in range(width):
                        acc[i] += counters[i]
            self.street[street_key] = [self.street.get(street_key, [0])[0] + sign]


def _marginal_keys(fact: Fact) -> list[tuple[str, int, str, int, str, int]]:
    """(a_dim, a_key, b_dim, b_key, c_dim, c_key) of the fact's marginal rows: no dimension, each one, each pair and
    each triple of MARGINAL_TRIPLES (1 + 6 + 15 + 13 = 35 rows per grain)."""
    values = {
        "u": fact["unit_id"],
        "t": fact["type_id"],
        "c": CHANNEL_CODES.get(fact["channel"], 0),
        "1": fact["cat1_id"],
        "2": fact["cat2_id"],
        "s": fact["street_id"],
    }
    out: list[tuple[str, int, str, int, str, int]] = [("", 0, "", 0, "", 0)]
    for i, a in enumerate(MARGINAL_DIMS):
        out.append((a, values[a], "", 0, "", 0))
        for b in MARGINAL_DIMS[i + 1 :]:
            out.append((a, values[a], b, values[b], "", 0))
    out.extend((a, values[a], b, values[b], c, values[c]) for a, b, c in MARGINAL_TRIPLES)
    return out


def _upsert(model: Any, keys: tuple[str, ...], counters: tuple[str, ...], deltas: Deltas) -> None:
    rows = sorted((k, v) for k, v in deltas.items() if any(v))  # a fixed order: no deadlock between writers
    if not rows:
        return
    table = model._meta.db_table
    columns = ", ".join((*keys, *counters))
    updates = ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in counters)
    conflict = f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {updates}"
    if connection.vendor == "postgresql":
        # One array per column: the statement's text does not depend on the number of rows, so PostgreSQL prepares
        # and plans it once per connection instead of parsing a VALUES list of ~1,700 parameters on every change.
        arrays = [list(column) for column in zip(*((*key, *values) for key, values in rows), strict=True)]
        casts = ", ".join(f"%s::{_pg_array_type(model, name)}[]" for name in (*keys, *counters))
        sql = f"INSERT INTO {table} ({columns}) SELECT * FROM unnest({casts}) {conflict}"  # noqa: S608
        with connection.cursor() as cursor:
            cursor.execute(sql, arrays)
        return
    one = "(" + ", ".join(["%s"] * (len(keys) + len(counters))) + ")"
    # Table and column names are this module's constants; every value is a parameter.
    placeholders = ", ".join([one] * len(rows))
    sql = f"INSERT INTO {table} ({columns}) VALUES {placeholders} {conflict}"  # noqa: S608
    params: list[Any] = []
    for key, values in rows:
        params.extend(key)
        params.extend(values)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _pg_array_type(model: Any, name: str) -> str:
    internal = model._meta.get_field(name).get_internal_type()
    return {"CharField": "text", "DateField": "date"}.get(internal, "bigint")


def rollups_apply(deltas: RollupDeltas) -> None:
    _upsert(StatsRollup, ROLLUP_KEY_FIELDS, COUNTER_FIELDS, deltas.rollup)
    _upsert(StatsStreetRollup, STREET_KEY_FIELDS, ("total",), deltas.street)
    _upsert(StatsMarginal, MARGINAL_KEY_FIELDS, COUNTER_FIELDS, deltas.marginal)


_ORDER_COLUMNS = {
    "created_at": "c.created_at",
    "primary_unit_id": "c.primary_unit_id",
    "address": "w.address",
    "category_id": "w.category_id",
    "request_type_id": "w.request_type_id",
    "channel": "w.channel",
    "status": "c.status",
    "is_open": "c.is_open",
    "dispatched_at": "c.dispatched_at",
    "signed_at": "c.signed_at",
    "sign_due_at": "c.sign_due_at",
    "due_at": "c.due_at",
    "replied_at": "w.replied_at",
    "closed_at": "c.closed_at",
    "answer": "w.answer",
    "master_id": "w.master_id",
    "return_count": "w.return_count",
    "visited_at": "w.visited_at",
    "visit_resolved": "w.visit_resolved",
    "visit_satisfaction": "w.visit_satisfaction",
}
_DATETIMES = {
    "created_at",
    "dispatched_at",
    "signed_at",
    "sign_due_at",
    "due_at",
    "replied_at",
    "closed_at",
    "visited_at",
    "open_due_at",
}
# The order's saved row and its stored fact in one round trip (the listener runs in every registration).
_REFRESH_SQL = (
    f"SELECT {', '.join(_ORDER_COLUMNS.values())}, f.case_id, {', '.join('f.' + c for c in FACT_FIELDS)} "  # noqa: S608
    "FROM workorders_workorder w JOIN cases_case c ON c.id = w.case_ptr_id "
    "LEFT JOIN stats_statsorderfact f ON f.case_id = c.id WHERE w.case_ptr_id = %s"
)
_FACT_UPDATE_SQL = f"UPDATE stats_statsorderfact SET {', '.join(c + ' = %s' for c in FACT_FIELDS)} WHERE case_id = %s"  # noqa: S608
_FACT_INSERT_SQL = (
    f"INSERT INTO stats_statsorderfact ({', '.join(FACT_FIELDS)}, case_id) "  # noqa: S608
    f"VALUES ({', '.join(['%s'] * (len(FACT_FIELDS) + 1))})"
)


def _db_value(name: str, value: Any) -> Any:
    """Raw-cursor values as the ORM would give them (SQLite returns text for dates and 0/1 for booleans)."""
    if value is None:
        return None
    if name in _DATETIMES:
        parsed = parse_datetime(value) if isinstance(value, str) else value
        assert isinstance(parsed, datetime)
        return parsed if timezone.is_aware(parsed) else parsed.replace(tzinfo=UTC)
    if name == "day" and isinstance(value, str):
        return date.fromisoformat(value)
    if name in ("visit_resolved", "is_open"):
        return bool(value)
    return value


def stats_order_refresh(order_pk: int) -> bool:
    """Bring the order's fact and the rollups up to date with its saved row. Call inside the changing transaction,
    with the order row locked (every work-order service does). Returns whether anything counted changed."""
    with connection.cursor() as cursor:
        cursor.execute(_REFRESH_SQL, [order_pk])
        found = cursor.fetchone()
        if found is None:
            return False
        width = len(_ORDER_COLUMNS)
        row = {name: _db_value(name, v) for name, v in zip(_ORDER_COLUMNS, found[:width], strict=True)}
        row["pk"] = order_pk
        new = fact_compute(row)
        old = None
        if found[width] is not None:
            old = {name: _db_value(name, v) for name, v in zip(FACT_FIELDS, found[width + 1 :], strict=True)}
        if old == new:
            return False
        deltas = RollupDeltas()
        if old is not None:
            deltas.add(old, -1)
            cursor.execute(_FACT_UPDATE_SQL, [*(new[c] for c in FACT_FIELDS), order_pk])
        else:
            cursor.execute(_FACT_INSERT_SQL, [*(new[c] for c in FACT_FIELDS), order_pk])
    deltas.add(new, +1)
    rollups_apply(deltas)
    return True


def stats_case_event(case: Any, event: Any) -> None:
    """The listener `cases.services.case_event_record` calls for every timeline event (same transaction)."""
    if isinstance(case, WorkOrder) or getattr(case, "kind", None) == "workorder":
        stats_order_refresh(case.pk)


# --- rebuild and verify --------------------------------------------------------------------------------------------


def _order_batches(batch: int) -> Iterator[list[dict[str, Any]]]:
    last = 0
    while True:
        rows = list(WorkOrder.objects.filter(pk__gt=last).order_by("pk").values(*ORDER_FIELDS)[:batch])
        if not rows:
            return
        yield rows
        last = rows[-1]["pk"]


def facts_expected(batch: int = 5000) -> Iterator[list[tuple[int, Fact]]]:
    for rows in _order_batches(batch):
        yield [(row["pk"], fact_compute(row)) for row in rows]


def stats_rollup_rebuild(*, batch: int = 5000, progress: Callable[[int, int], None] | None = None) -> dict[str, int]:
    """Recompute every fact and rollup from the orders, in one transaction (readers see the old figures until the
    end). Returns the row counts written."""
    total = WorkOrder.objects.count()
    done = 0
    deltas = RollupDeltas()
    categories_cached.invalidate()
    units_cached.invalidate()
    with transaction.atomic():
        StatsOrderFact.objects.all().delete()
        StatsRollup.objects.all().delete()
        StatsStreetRollup.objects.all().delete()
        StatsMarginal.objects.all().delete()
        for facts in facts_expected(batch):
            StatsOrderFact.objects.bulk_create([StatsOrderFact(case_id=pk, **fact) for pk, fact in facts])
            for _pk, fact in facts:
                deltas.add(fact, +1)
            done += len(facts)
            if progress:
                progress(done, total)
        _bulk_rollups(deltas, batch)
    return {
        "facts": done,
        "rollups": len(deltas.rollup),
        "street_rollups": len(deltas.street),
        "marginals": len(deltas.marginal),
    }


def _bulk_rollups(deltas: RollupDeltas, batch: int) -> None:
    def chunks(objs: Iterable[Any]) -> Iterator[list[Any]]:
        buf: list[Any] = []
        for obj in objs:
            buf.append(obj)
            if len(buf) >= batch:
                yield buf
                buf = []
        if buf:
            yield buf

    for part in chunks(
        StatsRollup(**dict(zip(ROLLUP_KEY_FIELDS, k, strict=True)), **dict(zip(COUNTER_FIELDS, v, strict=True)))
        for k, v in deltas.rollup.items()
    ):
        StatsRollup.objects.bulk_create(part)
    for part in chunks(
        StatsStreetRollup(**dict(zip(STREET_KEY_FIELDS, k, strict=True)), total=v[0]) for k, v in deltas.street.items()
    ):
        StatsStreetRollup.objects.bulk_create(part)
    for part in chunks(
        StatsMarginal(**dict(zip(MARGINAL_KEY_FIELDS, k, strict=True)), **dict(zip(COUNTER_FIELDS, v, strict=True)))
        for k, v in deltas.marginal.items()
    ):
        StatsMarginal.objects.bulk_create(part)


def stats_rollup_verify(*, batch: int = 5000, limit: int = 50) -> list[str]:
    """Differences between the stored facts and rollups and a recomputation from the orders (empty: consistent)."""
    diffs: list[str] = []
    deltas = RollupDeltas()
    categories_cached.invalidate()
    units_cached.invalidate()
    seen: set[int] = set()
    for facts in facts_expected(batch):
        pks = [pk for pk, _f in facts]
        stored = {
            r.pop("case_id"): r for r in StatsOrderFact.objects.filter(case_id__in=pks).values("case_id", *FACT_FIELDS)
        }
        for pk, fact in facts:
            seen.add(pk)
            deltas.add(fact, +1)
            if stored.get(pk) != fact:
                diffs.append(f"fact {pk}: stored {stored.get(pk)} expected {fact}")
    stored_count = StatsOrderFact.objects.count()
    if stored_count != len(seen):
        diffs.append(f"{stored_count} facts stored for {len(seen)} orders")
    for model, keys, counters, expected in (
        (StatsRollup, ROLLUP_KEY_FIELDS, COUNTER_FIELDS, deltas.rollup),
        (StatsStreetRollup, STREET_KEY_FIELDS, ("total",), deltas.street),
        (StatsMarginal, MARGINAL_KEY_FIELDS, COUNTER_FIELDS, deltas.marginal),
    ):
        stored_rows: Deltas = {}
        for row in model.objects.values_list(*keys, *counters).iterator(chunk_size=batch):
            stored_rows[tuple(row[: len(keys)])] = list(row[len(keys) :])
        zero = [0] * len(counters)
        for key in sorted(set(stored_rows) | set(expected), key=str):
            got, want = stored_rows.get(key, zero), expected.get(key, zero)
            if got != want:
                diffs.append(
                    f"{model.__name__} {key}: "
                    + ", ".join(f"{c} {g}≠{w}" for c, g, w in zip(counters, got, want, strict=True) if g != w)
                )
    return diffs[:limit] if limit else diffs


def day_of(moment: datetime) -> date:
    return timezone.localtime(moment).date()
