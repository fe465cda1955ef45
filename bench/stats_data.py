"""Generate N work orders for the statistics benchmark, fast: bulk rows straight into the tables.

Writes cases_case, workorders_workorder and the statistics facts and rollups (computed with the same
`govdesk.stats.services.fact_compute` the transactional path uses, so they are consistent with the orders;
`manage.py stats_rollup_verify` checks it). PostgreSQL: COPY through psycopg in chunks; SQLite: executemany in large
transactions. Distributions: a year of intake ending now (weekday and daytime peaks), ~100 units (22 departments,
12 streets with 6 communities each), the real category tree (Zipf-like popularity), the six request types, five
channels, statuses by age (old orders mostly closed; recent ones open), on-time and late sign-for and completion,
returns, merges, direct answers, return visits with satisfaction.

Used by bench/stats_overview.py; can also be run alone against a migrated database:
    DJANGO_SETTINGS_MODULE=govdesk.settings.bench .venv/bin/python bench/stats_data.py --orders 100000
"""

from __future__ import annotations

import argparse
import itertools
import random
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TYPES = [
    ("consultation", 25, 2),
    ("help", 20, 10),
    ("complaint", 35, 15),
    ("report", 5, 15),
    ("suggestion", 12, 10),
    ("praise", 3, 10),
]
CHANNELS = [("phone", 60), ("web", 20), ("api", 8), ("open311", 4), ("other", 8)]
TITLES = ["路灯不亮", "噪音扰民", "拖欠工资", "道路破损", "垃圾清运不及时", "物业服务纠纷", "供暖不热", "占道经营"]
CHUNK = 50_000


def setup_reference_data() -> dict[str, Any]:
    """Units, the real category tree and the request types; returns what the generator samples from."""
    from django.core.management import call_command

    from govdesk.catalog.models import Category, RequestType
    from govdesk.catalog.services import category_tree_import
    from govdesk.demo.seed import CATEGORIES_CSV
    from govdesk.org.models import Unit, UnitKind

    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
    if not Category.objects.exists():
        category_tree_import(text=CATEGORIES_CSV.read_text(encoding="utf-8-sig"), commit=True)
    gov, _c = Unit.objects.get_or_create(
        code="B", defaults={"name": "区人民政府", "kind": UnitKind.GOVERNMENT, "accepts_orders": False}
    )
    Unit.objects.get_or_create(
        code="B-12345",
        defaults={"name": "12345热线中心", "kind": UnitKind.HOTLINE_CENTRE, "parent": gov, "accepts_orders": False},
    )
    depts = [
        Unit.objects.get_or_create(
            code=f"B-D{i:02d}", defaults={"name": f"区第{i}局", "kind": UnitKind.DEPARTMENT, "parent": gov}
        )[0].pk
        for i in range(1, 23)
    ]
    streets: list[tuple[int, str, list[int]]] = []
    for i in range(1, 13):
        street, _c = Unit.objects.get_or_create(
            code=f"B-S{i:02d}",
            defaults={"name": f"第{i}街道", "kind": UnitKind.STREET, "parent": gov, "place_names": f"街{i}路"},
        )
        communities = [
            Unit.objects.get_or_create(
                code=f"B-S{i:02d}-{j}",
                defaults={"name": f"第{i}街道{j}社区", "kind": UnitKind.COMMUNITY, "parent": street},
            )[0].pk
            for j in range(1, 7)
        ]
        streets.append((street.pk, f"街{i}路", communities))
    leaves = list(Category.objects.filter(children__isnull=True).order_by("path").values_list("id", "path"))
    level1 = sorted({p.split("/")[0] for _i, p in leaves})
    dept_of_l1 = {name: depts[i % len(depts)] for i, name in enumerate(level1)}
    types = {t.code: t.pk for t in RequestType.objects.all()}
    return {"depts": depts, "streets": streets, "leaves": leaves, "dept_of_l1": dept_of_l1, "types": types}


def _columns(model: Any) -> list[str]:
    return [f.column for f in model._meta.local_concrete_fields]


def generate(n: int, *, seed: int = 5, now: datetime | None = None, progress: Callable[[str], None] = print) -> None:
    """Append `n` orders (with their facts) and add their rollups."""
    from django.db import connection

    from govdesk.cases.models import Case
    from govdesk.stats.models import (
        COUNTER_FIELDS,
        MARGINAL_KEY_FIELDS,
        ROLLUP_KEY_FIELDS,
        STREET_KEY_FIELDS,
        StatsMarginal,
        StatsOrderFact,
        StatsRollup,
        StatsStreetRollup,
    )
    from govdesk.stats.services import FACT_FIELDS, RollupDeltas, fact_compute, rollups_apply
    from govdesk.workorders.models import WorkOrder

    ref = setup_reference_data()
    # One citizen phone for every generated order, stored as the model stores it: encrypted, with its blind index.
    from govdesk.common.crypto import blind_index, encrypt

    phone, phone_index = encrypt("13800000000"), blind_index("phone", "13800000000")
    rng = random.Random(seed)
    now = (now or datetime.now(UTC)).replace(microsecond=0)
    start = now - timedelta(days=365)
    leaf_ids = [pk for pk, _p in ref["leaves"]]
    leaf_l1 = {pk: p.split("/")[0] for pk, p in ref["leaves"]}
    leaf_weights = [1 / (rank + 1) ** 0.9 for rank in range(len(leaf_ids))]
    rng.shuffle(leaf_weights)
    leaf_cum = list(itertools.accumulate(leaf_weights))
    type_cum = list(itertools.accumulate(w for _t, w, _d in TYPES))
    channel_cum = list(itertools.accumulate(w for _c, w in CHANNELS))
    type_codes = [t for t, _w, _d in TYPES]
    type_days = {t: d for t, _w, d in TYPES}
    channel_codes = [c for c, _w in CHANNELS]
    case_cols, order_cols = _columns(Case), _columns(WorkOrder)
    fact_cols = ["case_id", *FACT_FIELDS]
    postgres = connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        if not postgres:
            cursor.execute("PRAGMA cache_size = -500000")  # 500 MB of page cache: index pages stay in memory
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM cases_case")
        first_id = cursor.fetchone()[0] + 1

    def dt(value: datetime | None) -> Any:
        if value is None or postgres:
            return value
        return value.replace(tzinfo=None).isoformat(" ")  # the generator's moments are UTC, whole seconds

    def b(value: bool | None) -> Any:
        return value if postgres or value is None else int(value)

    deltas = RollupDeltas()
    started = time.monotonic()
    cases: list[tuple[Any, ...]] = []
    orders: list[tuple[Any, ...]] = []
    facts: list[tuple[Any, ...]] = []
    for k in range(n):
        pk = first_id + k
        # Intake: more on weekdays and in the daytime.
        created = start + timedelta(seconds=rng.random() * 365 * 86400)
        if created.weekday() >= 5 and rng.random() < 0.4:
            created -= timedelta(days=2)
        created = created.replace(hour=int(rng.triangular(0, 13, 3)))  # UTC: 08:00-21:00 Shanghai peak
        age_days = (now - created).total_seconds() / 86400
        leaf = rng.choices(leaf_ids, cum_weights=leaf_cum)[0]
        type_code = rng.choices(type_codes, cum_weights=type_cum)[0]
        channel = rng.choices(channel_codes, cum_weights=channel_cum)[0]
        street_pk, place, communities = ref["streets"][rng.randrange(12)]
        address = f"{place}{rng.randint(1, 300)}号"
        due = created + timedelta(days=type_days[type_code] * 7 / 5 + 0.3)
        r = rng.random()
        recent = age_days < 30
        if type_code == "consultation" and r < 0.4:
            status = "answered"
        elif recent:
            status = rng.choices(
                ["new", "dispatched", "handling", "returned", "replied", "closed", "cancelled", "merged"],
                [5, 10, 30, 2, 15, 33, 2, 3],
            )[0]
        else:
            status = rng.choices(["closed", "cancelled", "merged", "replied", "handling"], [92.5, 2, 4, 0.5, 1])[0]
        unit = sign_due = dispatched = signed = replied = visited = closed = None
        answer = reply = ""
        resolved: bool | None = None
        satisfaction = ""
        returns = 0
        master = None
        if status == "answered":
            closed = created + timedelta(minutes=rng.randint(2, 30))
            answer = "已答复"
            status = "closed"
        elif (status in ("cancelled", "merged") and rng.random() < 0.5) or status == "new":
            if status == "merged":
                master = pk - rng.randint(1, 50) if k > 60 else None
                status = "merged" if master else "new"
                if master and not recent:
                    status, closed = "closed", created + timedelta(days=rng.uniform(1, 10))
            elif status == "cancelled":
                closed = created + timedelta(hours=rng.uniform(0.1, 5))
        else:
            x = rng.random()
            unit = ref["dept_of_l1"][leaf_l1[leaf]] if x < 0.7 else street_pk if x < 0.9 else rng.choice(communities)
            dispatched = created + timedelta(minutes=rng.uniform(3, 90))
            if status == "returned" or rng.random() < 0.04:
                returns = 1
                if status != "returned":
                    dispatched += timedelta(hours=rng.uniform(1, 4))
                    unit = rng.choice(ref["depts"])
            sign_due = dispatched + timedelta(hours=2)
            if status == "merged":
                master = pk - rng.randint(1, 50) if k > 60 else None
                status = "merged" if master else "handling"
                if master and not recent:
                    status, closed = "closed", created + timedelta(days=rng.uniform(1, 10))
            if status not in ("dispatched", "returned", "new") and not (status == "cancelled" and rng.random() < 0.5):
                signed = dispatched + timedelta(hours=rng.lognormvariate(0, 1.0))
            if status == "cancelled":
                closed = (signed or dispatched) + timedelta(hours=rng.uniform(1, 48))
            if status in ("replied", "closed") and master is None:
                replied = signed + timedelta(days=rng.uniform(0.2, 1.0) * (due - created).days * 1.15)  # type: ignore[operator]
                reply = "已办理"
            if status == "closed" and master is None:
                visited = replied + timedelta(hours=rng.uniform(2, 72))  # type: ignore[operator]
                closed = visited
                resolved = True
                satisfaction = rng.choices(["satisfied", "basically"], [80, 20])[0]
            elif status == "handling" and rng.random() < 0.1:
                visited = signed + timedelta(days=2)  # type: ignore[operator]
                resolved, satisfaction = False, "unsatisfied"
        # Whole seconds, as the SQLite rows are written, so the facts see exactly the stored moments.
        dispatched, signed, replied, visited, closed, sign_due, due = (
            v.replace(microsecond=0) if v is not None else None
            for v in (dispatched, signed, replied, visited, closed, sign_due, due)
        )
        created = created.replace(microsecond=0)
        if status == "merged" and unit is None and master is None:
            status = "new"
        is_open = status not in ("closed", "cancelled")
        overdue = is_open and due < now
        due_soon = is_open and now <= due < now + timedelta(days=1)
        case_row = {
            "id": pk, "kind": "workorder", "number": f"B{pk:013d}", "status": status, "title": rng.choice(TITLES),
            "primary_unit_id": unit, "created_by_id": None, "created_at": dt(created),
            "updated_at": dt(closed or created), "dispatched_at": dt(dispatched), "signed_at": dt(signed),
            "closed_at": dt(closed), "sign_due_at": dt(sign_due),
            "due_at": dt(due), "is_due_soon": b(due_soon), "is_overdue": b(overdue),
            "is_sign_overdue": b(is_open and signed is None and sign_due is not None and sign_due < now),
            "is_open": b(is_open),
        }  # fmt: skip
        order_row = {
            "case_ptr_id": pk, "channel": channel, "request_type_id": ref["types"][type_code], "category_id": leaf,
            "urgency": "normal", "content": "市民反映的问题内容。", "address": address, "address_id": "",
            "latitude": None, "longitude": None, "citizen_name": "张**", "citizen_phone": phone,
            "citizen_phone_index": phone_index, "citizen_id_number": "", "citizen_id_number_index": "",
            "confidential": b(False), "attributes": "{}", "source": "",
            "citizen_user_id": None, "master_id": master, "answer": answer, "reply": reply, "replied_at": dt(replied),
            "visit_resolved": b(resolved), "visit_satisfaction": satisfaction, "visited_at": dt(visited),
            "reopen_count": 0, "return_count": returns, "urge_count": 0,
        }  # fmt: skip
        cases.append(tuple(case_row[c] for c in case_cols))
        orders.append(tuple(order_row[c] for c in order_cols))
        fact = fact_compute(
            {
                "pk": pk, "created_at": created, "primary_unit_id": unit, "address": address, "category_id": leaf,
                "request_type_id": ref["types"][type_code], "channel": channel, "status": status, "is_open": is_open,
                "dispatched_at": dispatched, "signed_at": signed, "sign_due_at": sign_due, "due_at": due,
                "replied_at": replied, "closed_at": closed, "answer": answer, "master_id": master,
                "return_count": returns, "visited_at": visited, "visit_resolved": resolved,
                "visit_satisfaction": satisfaction,
            }
        )  # fmt: skip
        deltas.add(fact, +1)
        fact_row = {**fact, "day": fact["day"] if postgres else fact["day"].isoformat()}
        fact_row["open_due_at"] = dt(fact["open_due_at"])
        facts.append((pk, *(fact_row[c] for c in FACT_FIELDS)))
        if len(cases) >= CHUNK or k == n - 1:
            _write(connection, "cases_case", case_cols, cases)
            _write(connection, "workorders_workorder", order_cols, orders)
            _write(connection, StatsOrderFact._meta.db_table, fact_cols, facts)
            cases, orders, facts = [], [], []
            rate = (k + 1) / (time.monotonic() - started)
            progress(f"  {k + 1:,}/{n:,} orders ({rate:,.0f}/s)")
    if postgres:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence('cases_case', 'id'), (SELECT MAX(id) FROM cases_case))"
            )
    # Rollups: added to whatever is there (so generating twice adds up).
    if StatsRollup.objects.exists():
        rollups_apply(deltas)
    else:
        day = lambda v: v if postgres else v.isoformat()  # noqa: E731
        _write(
            connection,
            StatsRollup._meta.db_table,
            [*ROLLUP_KEY_FIELDS, *COUNTER_FIELDS],
            [(k[0], day(k[1]), *k[2:], *v) for k, v in deltas.rollup.items()],
        )
        _write(
            connection,
            StatsStreetRollup._meta.db_table,
            [*STREET_KEY_FIELDS, "total"],
            [(k[0], day(k[1]), *k[2:], v[0]) for k, v in deltas.street.items()],
        )
        _write(
            connection,
            StatsMarginal._meta.db_table,
            [*MARGINAL_KEY_FIELDS, *COUNTER_FIELDS],
            [(k[0], day(k[1]), *k[2:], *v) for k, v in deltas.marginal.items()],
        )
    if postgres:
        # What autovacuum does after a bulk load: statistics, and the visibility map index-only scans rely on.
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    progress(
        f"  {len(deltas.rollup):,} rollup rows, {len(deltas.street):,} street rollup rows, "
        f"{len(deltas.marginal):,} marginal rows; {time.monotonic() - started:.0f} s"
    )


def replicate_postgres(copies: int, progress: Callable[[str], None] = print) -> None:
    """PostgreSQL, for the 10M run: add `copies` exact copies of every generated order with SQL (INSERT … SELECT;
    new ids and numbers, same moments and buckets) and multiply the rollup counters accordingly, which keeps them
    consistent (`stats_rollup_verify` passes). Much faster than generating each order in Python. Caveat: the
    rollups keep the row count of the original orders, while the orders table grows (copies + 1)-fold."""
    from django.db import connection, transaction

    from govdesk.cases.models import Case
    from govdesk.stats.models import COUNTER_FIELDS
    from govdesk.stats.services import FACT_FIELDS
    from govdesk.workorders.models import WorkOrder

    case_cols, order_cols = _columns(Case), _columns(WorkOrder)
    with connection.cursor() as cursor:
        cursor.execute("SELECT MIN(id), MAX(id) FROM cases_case WHERE number LIKE 'B%%'")
        low, high = cursor.fetchone()
        span = high - low + 1
        for k in range(1, copies + 1):
            started = time.monotonic()

            def expr(col: str, k: int = k) -> str:
                if col in ("id", "case_ptr_id", "master_id", "case_id"):
                    return f"{col} + {k * span}"
                if col == "number":
                    return f"'C{k:02d}' || number"
                return col

            with transaction.atomic():
                for table, cols, pk in (
                    ("cases_case", case_cols, "id"),
                    ("workorders_workorder", order_cols, "case_ptr_id"),
                    ("stats_statsorderfact", ["case_id", *FACT_FIELDS], "case_id"),
                ):
                    cursor.execute(
                        f"INSERT INTO {table} ({', '.join(cols)}) SELECT {', '.join(map(expr, cols))} "  # noqa: S608
                        f"FROM {table} WHERE {pk} BETWEEN {low} AND {high}"
                    )
            progress(f"  copy {k}/{copies}: {span:,} orders in {time.monotonic() - started:.0f} s")
        cursor.execute("SELECT setval(pg_get_serial_sequence('cases_case', 'id'), (SELECT MAX(id) FROM cases_case))")
        factor = copies + 1
        with transaction.atomic():
            for table, counters in (
                ("stats_statsrollup", COUNTER_FIELDS),
                ("stats_statsmarginal", COUNTER_FIELDS),
                ("stats_statsstreetrollup", ("total",)),
            ):
                sets = ", ".join(f"{c} = {c} * {factor}" for c in counters)
                cursor.execute(f"UPDATE {table} SET {sets}")  # noqa: S608
        cursor.execute("VACUUM ANALYZE")
        progress(f"  rollup counters multiplied by {factor}")


def _write(connection: Any, table: str, columns: Sequence[str], rows: Iterable[tuple[Any, ...]]) -> None:
    from django.db import transaction

    with transaction.atomic():
        if connection.vendor == "postgresql":
            raw = connection.connection.cursor()
            with raw.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(['?'] * len(columns))})"  # noqa: S608
            connection.connection.executemany(sql, rows)


def main() -> None:
    import os

    import django

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=100_000)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "govdesk.settings.bench")
    django.setup()
    generate(args.orders)


if __name__ == "__main__":
    main()
