"""Rollup maintenance: each change to a case updates its fact in its transaction; one writer folds the changes into
the rollups.

`stats_case_event` is registered in `cases.services` (see apps.py) and runs inside every `case_event_record`, after
the case's fields are saved and while the service holds the case's row lock. It picks the schema of the case's kind
(work orders here, applications in `application_facts.py`; the machinery they share is `maintenance.py`), computes
the case's new fact from the saved row and, if anything counted changed, stores it and inserts the change (old fact,
new fact) into `StatsPending`: rows of the case's own, which no other registration waits for. `stats_fold` adds the
committed changes to the rollups with one `INSERT … ON CONFLICT … DO UPDATE SET n = n + excluded.n` per table for a
whole batch. The task worker folds every minute and every reader of rollups folds before it reads (`selectors`), so
the figures are exact at the moment they are read, while a registration no longer holds the rollup rows every order
shares (a day's total) until it commits. `stats_rollup_rebuild` recomputes everything from the cases;
`stats_rollup_verify` compares the stored rows with a recomputation.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime
from typing import Any, ParamSpec, TypeVar

from django.db import connection, transaction
from django.utils import timezone

from govdesk.cases.models import CaseKind
from govdesk.catalog.models import Category
from govdesk.common.refcache import ReferenceCache
from govdesk.org.models import Unit, UnitKind
from govdesk.workorders.models import Channel, WorkOrder
from govdesk.workorders.states import Status

from .application_facts import APPLICATION_SCHEMA
from .maintenance import (
    Deltas,
    Fact,
    Loaded,
    RollupTable,
    SchemaDeltas,
    StatsSchema,
    changes_fold,
    db_value,
    deltas_apply,
    schema_rebuild,
    schema_verify,
    stats_case_refresh,
)
from .models import (
    COUNTER_FIELDS,
    FLAG_FIELDS,
    MARGINAL_DIMS,
    MARGINAL_KEY_FIELDS,
    MARGINAL_TRIPLES,
    ROLLUP_KEY_FIELDS,
    STREET_KEY_FIELDS,
    StatsMarginal,
    StatsOrderFact,
    StatsPending,
    StatsRollup,
    StatsStreetRollup,
)

P = ParamSpec("P")
R = TypeVar("R")
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


def _order_cube_keys(fact: Fact) -> list[tuple[Any, ...]]:
    return [(fact["unit_id"], fact["cat1_id"], fact["cat2_id"], fact["type_id"], fact["channel"])]


def _order_street_keys(fact: Fact) -> list[tuple[Any, ...]]:
    return [(fact["street_id"], fact["unit_id"], fact["cat1_id"], fact["type_id"], fact["channel"])]


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
_DATETIMES = frozenset(
    {
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
)
# The order's saved row and its stored fact in one round trip (the listener runs in every registration).
_REFRESH_SQL = (
    f"SELECT {', '.join(_ORDER_COLUMNS.values())}, f.case_id, {', '.join('f.' + c for c in FACT_FIELDS)} "  # noqa: S608
    "FROM workorders_workorder w JOIN cases_case c ON c.id = w.case_ptr_id "
    "LEFT JOIN stats_statsorderfact f ON f.case_id = c.id WHERE w.case_ptr_id = %s"
)


def _order_load_one(cursor: Any, order_pk: int) -> Loaded:
    cursor.execute(_REFRESH_SQL, [order_pk])
    found = cursor.fetchone()
    if found is None:
        return None, None
    width = len(_ORDER_COLUMNS)
    row = {name: db_value(ORDER_SCHEMA, name, v) for name, v in zip(_ORDER_COLUMNS, found[:width], strict=True)}
    row["pk"] = order_pk
    return row, (found[width + 1 :] if found[width] is not None else None)


def _order_batches(batch: int) -> Iterator[list[dict[str, Any]]]:
    last = 0
    while True:
        rows = list(WorkOrder.objects.filter(pk__gt=last).order_by("pk").values(*ORDER_FIELDS)[:batch])
        if not rows:
            return
        yield rows
        last = rows[-1]["pk"]


ORDER_SCHEMA = StatsSchema(
    kind=CaseKind.WORKORDER,
    fact_model=StatsOrderFact,
    fact_fields=FACT_FIELDS,
    counter_fields=COUNTER_FIELDS,
    tables=(
        RollupTable("rollup", StatsRollup, ROLLUP_KEY_FIELDS, COUNTER_FIELDS, _order_cube_keys),
        RollupTable("street", StatsStreetRollup, STREET_KEY_FIELDS, ("total",), _order_street_keys),
        RollupTable("marginal", StatsMarginal, MARGINAL_KEY_FIELDS, COUNTER_FIELDS, _marginal_keys),
    ),
    fact_compute=fact_compute,
    fact_counters=fact_counters,
    load_one=_order_load_one,
    batches=_order_batches,
    count=WorkOrder.objects.count,
    datetime_fields=_DATETIMES,
    bool_fields=frozenset({"visit_resolved", "is_open"}),
)
SCHEMAS: dict[str, StatsSchema] = {s.kind: s for s in (ORDER_SCHEMA, APPLICATION_SCHEMA)}
# The counts stats_rollup_rebuild answers, per schema: its facts, then each of its rollup tables.
_REBUILD_COUNT_NAMES: dict[str, tuple[str, dict[str, str]]] = {
    CaseKind.WORKORDER: ("facts", {"rollup": "rollups", "street": "street_rollups", "marginal": "marginals"}),
    CaseKind.APPLICATION: ("application_facts", {"marginal": "application_marginals"}),
}


class RollupDeltas(SchemaDeltas):
    """The work orders' deltas (the benchmark's data generator adds facts through this)."""

    def __init__(self) -> None:
        super().__init__(ORDER_SCHEMA)

    @property
    def rollup(self) -> Deltas:
        return self.tables["rollup"]

    @property
    def street(self) -> Deltas:
        return self.tables["street"]

    @property
    def marginal(self) -> Deltas:
        return self.tables["marginal"]


def rollups_apply(deltas: SchemaDeltas) -> None:
    deltas_apply(deltas)


def stats_order_refresh(order_pk: int) -> bool:
    """Bring the order's fact and the rollups up to date with its saved row, now (see `stats_cases_refresh`)."""
    return stats_case_refresh(ORDER_SCHEMA, order_pk)


def stats_application_refresh(application_pk: int) -> bool:
    """The same for an application."""
    return stats_case_refresh(APPLICATION_SCHEMA, application_pk)


def stats_case_event(case: Any, event: Any) -> None:
    """The listener `cases.services.case_event_record` calls for every timeline event (same transaction): the
    case's kind names its schema; kinds without one (rectifications) are not counted."""
    kind = getattr(case, "kind", None)
    if kind == CaseKind.WORKORDER or isinstance(case, WorkOrder):
        stats_order_refresh(case.pk)
    elif kind == CaseKind.APPLICATION:
        stats_application_refresh(case.pk)


_FOLD_LOCK = 0x676F766465736B  # "govdesk"
FOLD_BATCH = 2000


def _fold_lock() -> None:
    """Folds and rebuilds take turns: a transaction-scoped advisory lock on PostgreSQL; SQLite's write lock (every
    transaction begins IMMEDIATE) already serialises them."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_FOLD_LOCK])


def stats_folded(reader: Callable[P, R]) -> Callable[P, R]:
    """A reader of facts or rollups: the waiting changes are folded before it reads (one cheap query when none)."""

    @functools.wraps(reader)
    def read(*args: P.args, **kwargs: P.kwargs) -> R:
        stats_fold()
        return reader(*args, **kwargs)

    return read


def stats_fold(*, batch: int = FOLD_BATCH) -> int:
    """Add every committed change waiting in `StatsPending` to the rollups and return how many were folded. The one
    writer of rollups: the task worker calls it every minute and every reader of rollups calls it before reading
    (`selectors`), so a dashboard is exact at the moment it reads.

    Each change is an immutable (old fact, new fact) pair written with the case's fact under the case's row lock, so
    the changes of one case chain, and adding them in any order gives the same sums: a change committed during a fold
    is simply the next fold's."""
    if not StatsPending.objects.exists():  # the common case for a reader: no write transaction, no lock
        return 0
    folded = 0
    with transaction.atomic():
        _fold_lock()
        while True:
            marks = list(StatsPending.objects.order_by("id").values_list("id", "kind", "change")[:batch])
            if not marks:
                break
            changes: dict[str, list[str]] = {}
            for _id, kind, change in marks:
                changes.setdefault(kind, []).append(change)
            for kind, texts in changes.items():
                if kind in SCHEMAS:
                    changes_fold(SCHEMAS[kind], texts)
            # Exactly the marks read: one with a smaller id may commit only now, and is the next fold's.
            StatsPending.objects.filter(id__in=[mark[0] for mark in marks]).delete()
            folded += len(marks)
            if len(marks) < batch:
                break
    return folded


# --- rebuild and verify --------------------------------------------------------------------------------------------


def _schemas(kinds: Iterable[str] | None) -> list[StatsSchema]:
    wanted = set(SCHEMAS) if kinds is None else set(kinds)
    unknown = wanted - set(SCHEMAS)
    if unknown:
        raise ValueError(f"no statistics schema for {sorted(unknown)}")
    return [schema for kind, schema in SCHEMAS.items() if kind in wanted]


def stats_rollup_rebuild(
    *,
    batch: int = 5000,
    progress: Callable[[int, int], None] | None = None,
    kinds: Iterable[str] | None = None,
) -> dict[str, int]:
    """Recompute every fact and rollup from the cases (work orders and applications, or the `kinds` named), in one
    transaction (readers see the old figures until the end). `progress(done, total)` counts cases of every kind.
    Returns the row counts written."""
    schemas = _schemas(kinds)
    total = sum(schema.count() for schema in schemas)
    done = 0
    counts: dict[str, int] = {}
    categories_cached.invalidate()
    units_cached.invalidate()

    def step(n: int) -> None:
        nonlocal done
        done += n
        if progress:
            progress(done, total)

    with transaction.atomic():
        _fold_lock()
        # The rebuild recomputes every case as it is now: the changes waiting so far are in it.
        StatsPending.objects.filter(kind__in=[schema.kind for schema in schemas]).delete()
        for schema in schemas:
            facts, written = schema_rebuild(schema, batch=batch, progress=step)
            facts_name, table_names = _REBUILD_COUNT_NAMES[schema.kind]
            counts[facts_name] = facts
            for table, name in table_names.items():
                counts[name] = written[table]
    return counts


def stats_rollup_verify(*, batch: int = 5000, limit: int = 50, kinds: Iterable[str] | None = None) -> list[str]:
    """Differences between the stored facts and rollups and a recomputation from the cases (empty: consistent).
    Compares what a reader would read: the waiting changes are folded first."""
    stats_fold()
    categories_cached.invalidate()
    units_cached.invalidate()
    diffs: list[str] = []
    for schema in _schemas(kinds):
        diffs.extend(schema_verify(schema, batch=batch))
    return diffs[:limit] if limit else diffs


def day_of(moment: datetime) -> date:
    return timezone.localtime(moment).date()
