"""The rollup machinery every case kind shares: one fact row per case, additive counters kept by delta.

A `StatsSchema` describes a case kind to it (work orders and applications are the two: `services.ORDER_SCHEMA`,
`application_facts.APPLICATION_SCHEMA`): its fact model and fields, the counters one fact adds to a rollup row, the
rollup tables with the keys a fact falls under, how to compute a fact from the case's saved row, and how to read
that row (one case inside its transaction, or the cases in batches for a rebuild). From it, this module keeps the
facts and rollups up to date inside each change (`stats_case_refresh`), rebuilds them (`schema_rebuild`) and
compares them with a recomputation (`schema_verify`).
"""

from __future__ import annotations

import functools
import json
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from django.db import connection
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from .models import Grain
from .periods import period_start

GRAINS = (Grain.DAY, Grain.MONTH)

Fact = dict[str, Any]
Deltas = dict[tuple[Any, ...], list[int]]
# What a schema's loader answers for one case: its saved row (None: no such case of this kind) and the stored fact's
# raw column values in `fact_fields` order (None: no fact yet).
Loaded = tuple[dict[str, Any] | None, Sequence[Any] | None]


@dataclass(frozen=True)
class RollupTable:
    """A rollup table: `key_fields` start with grain and period; `keys(fact)` gives the rest of the key of every row
    the fact adds to; its counters are the first `len(counter_fields)` of the schema's counters."""

    name: str
    model: Any
    key_fields: tuple[str, ...]
    counter_fields: tuple[str, ...]
    keys: Callable[[Fact], list[tuple[Any, ...]]]
    # Optional: SELECTs over the stored facts giving this table's rows (key_fields, then counter_fields). With them a
    # rebuild fills the table in the database (INSERT … SELECT … GROUP BY) instead of summing every fact in Python,
    # and verify compares it with them: what keeps a rebuild of a million cases within memory and minutes.
    aggregates: Callable[[], list[tuple[str, list[Any]]]] | None = None


@dataclass(frozen=True)
class StatsSchema:
    kind: str  # cases.CaseKind value
    fact_model: Any
    fact_fields: tuple[str, ...]
    counter_fields: tuple[str, ...]
    tables: tuple[RollupTable, ...]
    fact_compute: Callable[[dict[str, Any]], Fact]
    fact_counters: Callable[[Fact], list[int]]  # the fact's contribution, in counter_fields order
    load_one: Callable[[Any, int], Loaded]  # (cursor, case pk): the saved row and the stored fact, in one go if it can
    batches: Callable[[int], Iterator[list[dict[str, Any]]]]  # saved rows (each with "pk") in pk order
    count: Callable[[], int]
    # How raw cursor values are read back (SQLite answers text for dates and 0/1 for booleans).
    datetime_fields: frozenset[str] = field(default_factory=frozenset)
    bool_fields: frozenset[str] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        for table in self.tables:
            width = len(table.counter_fields)
            assert table.counter_fields == self.counter_fields[:width], f"{table.name}: counters must be a prefix"


class SchemaDeltas:
    """Counter changes per row of each of the schema's rollup tables, to be added in one statement per table."""

    def __init__(self, schema: StatsSchema, tables: Sequence[RollupTable] | None = None) -> None:
        self.schema = schema
        self.specs = tuple(schema.tables if tables is None else tables)
        self.tables: dict[str, Deltas] = {table.name: {} for table in self.specs}

    def add(self, fact: Fact, sign: int) -> None:
        counters = self.schema.fact_counters(fact)
        if sign != 1:
            counters = [sign * v for v in counters]
        full = len(counters)
        per_table = [(self.tables[t.name], t.keys(fact), len(t.counter_fields)) for t in self.specs]
        day = fact["day"]
        for grain in GRAINS:
            period = period_start(day, grain)
            for table, keys, width in per_table:
                values = counters if width == full else counters[:width]
                for key in keys:
                    row_key = (grain, period, *key)
                    acc = table.get(row_key)
                    if acc is None:
                        table[row_key] = list(values)
                    else:
                        for i in range(width):
                            acc[i] += values[i]


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
    width = len(keys) + len(counters)
    one = "(" + ", ".join(["%s"] * width) + ")"
    with connection.cursor() as cursor:
        # SQLite takes a limited number of parameters per statement (32,766 by default); a fold's batch can have
        # more rows than that allows.
        limit = connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
        per_statement = max(1, limit // width)
        for start in range(0, len(rows), per_statement):
            chunk = rows[start : start + per_statement]
            # Table and column names are this module's constants; every value is a parameter.
            sql = f"INSERT INTO {table} ({columns}) VALUES {', '.join([one] * len(chunk))} {conflict}"  # noqa: S608
            params: list[Any] = []
            for key, values in chunk:
                params.extend(key)
                params.extend(values)
            cursor.execute(sql, params)


def _pg_array_type(model: Any, name: str) -> str:
    internal = model._meta.get_field(name).get_internal_type()
    return {"CharField": "text", "DateField": "date"}.get(internal, "bigint")


def deltas_apply(deltas: SchemaDeltas) -> None:
    for table in deltas.specs:
        _upsert(table.model, table.key_fields, table.counter_fields, deltas.tables[table.name])


def db_value(schema: StatsSchema, name: str, value: Any) -> Any:
    """Raw-cursor values as the ORM would give them (SQLite returns text for dates and 0/1 for booleans)."""
    if value is None:
        return None
    if name in schema.datetime_fields:
        parsed = parse_datetime(value) if isinstance(value, str) else value
        assert isinstance(parsed, datetime)
        return parsed if timezone.is_aware(parsed) else parsed.replace(tzinfo=UTC)
    if name == "day" and isinstance(value, str):
        return date.fromisoformat(value)
    if name in schema.bool_fields:
        return bool(value)
    return value


@functools.cache
def _fact_sql(schema: StatsSchema) -> tuple[str, str]:
    table = schema.fact_model._meta.db_table
    fields = schema.fact_fields
    update = f"UPDATE {table} SET {', '.join(c + ' = %s' for c in fields)} WHERE case_id = %s"  # noqa: S608
    insert = f"INSERT INTO {table} ({', '.join(fields)}, case_id) VALUES ({', '.join(['%s'] * (len(fields) + 1))})"  # noqa: S608
    return update, insert


def stats_case_refresh(schema: StatsSchema, pk: int) -> bool:
    """Bring the case's fact up to date with its saved row and leave the change of its contribution to the rollups
    as a mark for the fold (`change_record`). Call inside the changing transaction, with the case row locked (every
    case service does): the fact row is the case's own, so concurrent changes of other cases never wait for it.
    Returns whether anything counted changed."""
    update_sql, insert_sql = _fact_sql(schema)
    with connection.cursor() as cursor:
        row, stored = schema.load_one(cursor, pk)
        if row is None:
            return False
        new = schema.fact_compute(row)
        old = None
        if stored is not None:
            old = {name: db_value(schema, name, v) for name, v in zip(schema.fact_fields, stored, strict=True)}
        if old == new:
            return False
        if old is not None:
            cursor.execute(update_sql, [*(new[c] for c in schema.fact_fields), pk])
        else:
            cursor.execute(insert_sql, [*(new[c] for c in schema.fact_fields), pk])
        cursor.execute(_CHANGE_INSERT, [schema.kind, pk, change_encode(schema, old, new)])
    return True


# A change of one case's fact, waiting to be added to the rollups: `StatsPending` (models.py).
_CHANGE_INSERT = "INSERT INTO stats_statspending (kind, case_id, change) VALUES (%s, %s, %s)"


def change_encode(schema: StatsSchema, old: Fact | None, new: Fact) -> str:
    """[old values or null, new values], each in `fact_fields` order; dates and times as ISO text."""

    def values(fact: Fact) -> list[Any]:
        return [v.isoformat() if isinstance(v, date) else v for v in (fact[name] for name in schema.fact_fields)]

    return json.dumps([None if old is None else values(old), values(new)], separators=(",", ":"))


def change_decode(schema: StatsSchema, text: str) -> tuple[Fact | None, Fact]:
    old, new = json.loads(text)

    def fact(values: list[Any]) -> Fact:
        # Only the dates and times need reading back; every other value is as the fact's computation gave it (a
        # counted flag stays an integer: PostgreSQL's arrays of the upsert take no booleans for bigint columns).
        return {
            name: db_value(schema, name, v) if name == "day" or name in schema.datetime_fields else v
            for name, v in zip(schema.fact_fields, values, strict=True)
        }

    return (None if old is None else fact(old)), fact(new)


def changes_fold(schema: StatsSchema, changes: Iterable[str]) -> None:
    """Add the encoded changes to the rollups: one upsert per table for all of them, so the rows every case shares
    (a day's total) are written once per fold instead of once per change."""
    deltas = SchemaDeltas(schema)
    for text in changes:
        old, new = change_decode(schema, text)
        if old is not None:
            deltas.add(old, -1)
        deltas.add(new, +1)
    deltas_apply(deltas)


# --- rebuild and verify --------------------------------------------------------------------------------------------


def facts_expected(schema: StatsSchema, batch: int) -> Iterator[list[tuple[int, Fact]]]:
    for rows in schema.batches(batch):
        yield [(row["pk"], schema.fact_compute(row)) for row in rows]


def _chunks(objs: Iterable[Any], size: int) -> Iterator[list[Any]]:
    buf: list[Any] = []
    for obj in objs:
        buf.append(obj)
        if len(buf) >= size:
            yield buf
            buf = []
    if buf:
        yield buf


def _facts_insert(schema: StatsSchema, facts: list[tuple[int, Fact]]) -> None:
    """Write a batch of new facts: COPY on PostgreSQL (about ten times faster than a multi-row INSERT of 31
    columns, which matters at a million cases), the ORM's bulk insert elsewhere."""
    model = schema.fact_model
    if connection.vendor != "postgresql":
        model.objects.bulk_create([model(case_id=pk, **fact) for pk, fact in facts])
        return
    fields = schema.fact_fields
    columns = ", ".join(("case_id", *fields))
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {model._meta.db_table} ({columns}) FROM STDIN") as copy,
    ):
        for pk, fact in facts:
            copy.write_row((pk, *(fact[f] for f in fields)))


def _in_python(schema: StatsSchema) -> list[RollupTable]:
    return [table for table in schema.tables if table.aggregates is None]


def schema_rebuild(
    schema: StatsSchema, *, batch: int, progress: Callable[[int], None] | None = None
) -> tuple[int, dict[str, int]]:
    """Replace the schema's facts and rollups by a recomputation (the caller holds the transaction). Returns the
    number of facts and the rows written per rollup table."""
    model = schema.fact_model
    model.objects.all().delete()
    for table in schema.tables:
        table.model.objects.all().delete()
    deltas = SchemaDeltas(schema, _in_python(schema))
    done = 0
    for facts in facts_expected(schema, batch):
        _facts_insert(schema, facts)
        for _pk, fact in facts:
            deltas.add(fact, +1)
        done += len(facts)
        if progress:
            progress(len(facts))
    written: dict[str, int] = {}
    for table in schema.tables:
        keys, counters = table.key_fields, table.counter_fields
        if table.aggregates is not None:
            columns = ", ".join((*keys, *counters))
            written[table.name] = 0
            with connection.cursor() as cursor:
                for select, params in table.aggregates():
                    cursor.execute(f"INSERT INTO {table.model._meta.db_table} ({columns}) {select}", params)
                    written[table.name] += max(cursor.rowcount, 0)
            continue
        rows = deltas.tables[table.name]
        written[table.name] = len(rows)
        for part in _chunks(
            (
                table.model(**dict(zip(keys, k, strict=True)), **dict(zip(counters, v, strict=True)))
                for k, v in rows.items()
                if any(v)
            ),
            batch,
        ):
            table.model.objects.bulk_create(part)
    return done, written


def schema_verify(schema: StatsSchema, *, batch: int) -> list[str]:
    """Differences between the schema's stored facts and rollups and a recomputation (empty: consistent)."""
    diffs: list[str] = []
    deltas = SchemaDeltas(schema, _in_python(schema))
    seen = 0
    name = schema.fact_model.__name__
    for facts in facts_expected(schema, batch):
        pks = [pk for pk, _f in facts]
        stored = {
            r.pop("case_id"): r
            for r in schema.fact_model.objects.filter(case_id__in=pks).values("case_id", *schema.fact_fields)
        }
        for pk, fact in facts:
            seen += 1
            deltas.add(fact, +1)
            if stored.get(pk) != fact:
                diffs.append(f"{name} {pk}: stored {stored.get(pk)} expected {fact}")
    stored_count = schema.fact_model.objects.count()
    if stored_count != seen:
        diffs.append(f"{stored_count} {name} rows stored for {seen} {schema.kind} cases")
    for table in schema.tables:
        keys, counters = table.key_fields, table.counter_fields
        if table.aggregates is not None:
            diffs.extend(_aggregates_verify(table))
            continue
        expected = deltas.tables[table.name]
        stored_rows: Deltas = {}
        for row in table.model.objects.values_list(*keys, *counters).iterator(chunk_size=batch):
            stored_rows[tuple(row[: len(keys)])] = list(row[len(keys) :])
        zero = [0] * len(counters)
        for key in sorted(set(stored_rows) | set(expected), key=str):
            got, want = stored_rows.get(key, zero), expected.get(key, zero)
            if got != want:
                diffs.append(
                    f"{table.model.__name__} {key}: "
                    + ", ".join(f"{c} {g}≠{w}" for c, g, w in zip(counters, got, want, strict=True) if g != w)
                )
    return diffs


def _aggregates_verify(table: RollupTable, limit: int = 50) -> list[str]:
    """The rows where the stored table and its aggregate over the stored facts differ, both ways (the facts are
    compared with a recomputation first, so equal here means equal to the recomputation). All-zero stored rows (left
    behind by deltas) count as absent."""
    assert table.aggregates is not None
    columns = ", ".join((*table.key_fields, *table.counter_fields))
    selects = table.aggregates()
    expected = " UNION ALL ".join(select for select, _p in selects)
    params = [p for _s, ps in selects for p in ps]
    nonzero = " OR ".join(f"{c} <> 0" for c in table.counter_fields)
    stored = f"SELECT {columns} FROM {table.model._meta.db_table} WHERE {nonzero}"  # noqa: S608
    diffs: list[str] = []
    name = table.model.__name__
    with connection.cursor() as cursor:
        for label, sql, sql_params in (
            ("stored, not expected", f"{stored} EXCEPT SELECT * FROM ({expected}) e", params),  # noqa: S608
            ("expected, not stored", f"SELECT * FROM ({expected}) e EXCEPT {stored}", params),  # noqa: S608
        ):
            cursor.execute(f"SELECT * FROM ({sql}) d LIMIT {int(limit)}", sql_params)  # noqa: S608
            diffs.extend(f"{name} {label}: {tuple(row)}" for row in cursor.fetchall())
    return diffs
