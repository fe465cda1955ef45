"""Duplicate-lookup benchmark: latency of finding duplicate candidates for a new order among N open orders.

    .venv/bin/python bench/duplicates.py --db sqlite --orders 1000000
    DATABASE_URL=postgres://postgres@127.0.0.1:54340/govdesk_dup .venv/bin/python bench/duplicates.py --db postgres
    bench/run_pg_duplicates.sh --orders 1000000    # the same against a throwaway PostgreSQL started for the run

Prepares the database (migrate, a category, one operator), then generates N open orders (bench/duplicates_data.py:
real titles and sentences, varied) created within the duplicate window, with their signatures, and bulk-loads them
(PostgreSQL: COPY into cases_case, workorders_workorder and dispatch_duplicatesignature, indexes of the signature table
rebuilt after the load; SQLite: executemany). Then it times `duplicate_candidates()` (the service behind
POST /api/v1/dispatch/duplicates/ and the console panel, all its queries included) for new orders: unrelated new
messages and near-duplicates of loaded orders (rewritten as a second caller would), and reports p50/p95/p99 and the
recall of the near-duplicates. A JSON summary goes to bench/results/.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "bench" / "results"
CHUNK = 50_000
SIG_TABLE = "dispatch_duplicatesignature"


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--orders", type=int, default=1_000_000, help="open orders to generate (default 1,000,000)")
    parser.add_argument("--queries", type=int, default=500, help="unrelated new orders looked up")
    parser.add_argument("--near", type=int, default=200, help="near-duplicates of loaded orders looked up")
    parser.add_argument("--jobs", type=int, default=max(1, os.cpu_count() or 1), help="processes computing signatures")
    parser.add_argument("--reuse", action="store_true", help="reuse orders already loaded (same --orders and seed)")
    parser.add_argument("--seed", type=int, default=12345)
    parser.add_argument("--sqlite-path", default="", help="SQLite file to use (default: a fresh temporary file)")
    return parser.parse_args()


def setup(args: argparse.Namespace) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "govdesk.settings.bench"
    if args.db == "sqlite":
        os.environ.pop("DATABASE_URL", None)
        path = args.sqlite_path or str(Path(tempfile.mkdtemp(prefix="govdesk-dup-")) / "bench.sqlite3")
        os.environ["DATABASE_URL"] = f"sqlite:///{path}"
        print(f"SQLite database: {path}")
    elif not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("--db postgres needs DATABASE_URL=postgres://… (bench/run_pg_duplicates.sh starts a throwaway server)")
    import django

    django.setup()


def signatures(batch: list[tuple[str, str]]) -> list[list[tuple[int, int]]]:
    from govdesk.dispatch.core import minhash

    return [minhash.band_values(minhash.duplicate_text(t, c)) for t, c in batch]


def _pg_copy(table: str, columns: list[str], rows: list[tuple[Any, ...]]) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        raw: Any = cursor.cursor
        with raw.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)


def _sqlite_insert(table: str, columns: list[str], rows: list[tuple[Any, ...]]) -> None:
    from django.db import connection

    marks = ", ".join("?" for _ in columns)
    with connection.cursor() as cursor:
        # Table and column names are this module's constants, never input.
        cursor.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)  # noqa: S608


CASE_COLUMNS = [
    "id", "kind", "number", "status", "title", "created_at", "updated_at",
    "is_due_soon", "is_overdue", "is_sign_overdue", "is_open",
]  # fmt: skip
ORDER_COLUMNS = [
    "case_ptr_id", "channel", "request_type_id", "category_id", "urgency", "content", "address",
    "citizen_name", "citizen_phone", "citizen_id_number", "confidential", "answer", "reply", "visit_satisfaction",
    "reopen_count", "return_count", "urge_count", "citizen_phone_index", "citizen_id_number_index", "address_id",
    "attributes", "source",
]  # fmt: skip
SIG_COLUMNS = ["case_id", "band", "value", "created_at"]


def _signature_indexes(drop: bool, saved: list[str] | None = None) -> list[str]:
    """Drop the signature table's secondary indexes before a bulk load (returning their definitions), or recreate
    them from those definitions."""
    from django.db import connection

    with connection.cursor() as cursor:
        if not drop:
            for sql in saved or []:
                cursor.execute(sql)
            return []
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s AND indexname NOT LIKE %s",
                [SIG_TABLE, "%pkey"],
            )
        else:
            cursor.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s AND sql IS NOT NULL",
                [SIG_TABLE],
            )
        found = cursor.fetchall()
        for name, _sql in found:
            cursor.execute(f'DROP INDEX "{name}"')
        return [sql for _name, sql in found]


def load(args: argparse.Namespace, near_at: set[int]) -> tuple[dict[int, Any], float]:
    """Generate and bulk-load the orders; returns the messages at `near_at` (index -> (number, message)) and seconds."""
    from django.db import connection, transaction

    from bench.duplicates_data import Generator
    from govdesk.catalog.models import Category, RequestType
    from govdesk.common import clock
    from govdesk.dispatch.models import DuplicateSignature
    from govdesk.workorders.models import WorkOrder

    generator = Generator(args.seed)
    category = Category.objects.filter(children__isnull=True).first()
    request_type = RequestType.objects.get(code="complaint")
    assert category is not None
    now = clock.now()
    start_id = (WorkOrder.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    kept: dict[int, Any] = {}
    is_pg = connection.vendor == "postgresql"
    write = _pg_copy if is_pg else _sqlite_insert
    began = time.perf_counter()
    with multiprocessing.Pool(args.jobs) as pool:
        saved = _signature_indexes(drop=True)
        for offset in range(0, args.orders, CHUNK):
            size = min(CHUNK, args.orders - offset)
            messages = [generator.message() for _ in range(size)]
            parts = [[(m.title, m.content) for m in messages[i : i + 2000]] for i in range(0, size, 2000)]
            sigs = [s for part in pool.map(signatures, parts) for s in part]
            cases, orders, sig_rows = [], [], []
            for k, (message, values) in enumerate(zip(messages, sigs, strict=True)):
                index = offset + k
                pk = start_id + index
                number = f"B{index:011d}"
                created = now - timedelta(seconds=generator.rng.randint(60, 25 * 86400))
                cases.append(
                    (pk, "workorder", number, "new", message.title, created, created, False, False, False, True)
                )
                orders.append(
                    (pk, "phone", request_type.pk, category.pk, "normal", message.content, message.address,
                     "", "", "", False, "", "", "", 0, 0, 0, "", "", "", "{}", "")
                )  # fmt: skip
                sig_rows.extend((pk, band, value, created) for band, value in values)
                if index in near_at:
                    kept[index] = (number, message)
            with transaction.atomic():
                if is_pg:
                    with connection.cursor() as cursor:
                        cursor.execute("SET LOCAL session_replication_role = replica")  # bench load: no FK triggers
                write("cases_case", CASE_COLUMNS, cases)
                write("workorders_workorder", ORDER_COLUMNS, orders)
                write(SIG_TABLE, SIG_COLUMNS, sig_rows)
            done = offset + size
            rate = done / (time.perf_counter() - began)
            print(f"  loaded {done:,} orders ({rate:,.0f}/s)", flush=True)
        print("  rebuilding the signature indexes…", flush=True)
        _signature_indexes(drop=False, saved=saved)
    with connection.cursor() as cursor:
        if is_pg:
            for table in ("cases_case", SIG_TABLE):
                sql = f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"  # noqa: S608
                cursor.execute(sql)
            cursor.execute("ANALYZE")
        else:
            cursor.execute("ANALYZE")
    print(f"  signatures: {DuplicateSignature.objects.count():,} rows")
    return kept, time.perf_counter() - began


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> None:
    args = parse()
    setup(args)
    from django.contrib.auth.models import Group
    from django.core.management import call_command
    from django.db import connection

    from bench.duplicates_data import Generator
    from govdesk.catalog.services import category_tree_import
    from govdesk.dispatch import duplicates
    from govdesk.org.models import Role, Unit, UnitKind, User
    from govdesk.workorders.models import WorkOrder

    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
    category_tree_import(text="level1,level2,level3\n城乡建设,城市建设和市政管理,市政设施\n", commit=True)
    centre, _created = Unit.objects.get_or_create(
        code="BENCH-12345",
        defaults={"name": "Benchmark centre", "kind": UnitKind.HOTLINE_CENTRE, "accepts_orders": False},
    )
    operator, _created = User.objects.get_or_create(username="bench_operator", defaults={"unit": centre})
    operator.groups.add(Group.objects.get_or_create(name=Role.OPERATOR.value)[0])

    import random

    rng = random.Random(args.seed + 1)
    near_at = set(rng.sample(range(args.orders), min(args.near, args.orders)))
    existing = WorkOrder.objects.count()
    load_seconds = 0.0
    if args.reuse and existing >= args.orders:
        print(f"Reusing {existing:,} orders; regenerating the near-duplicate sources…")
        generator = Generator(args.seed)
        kept = {}
        for index in range(args.orders):
            message = generator.message()
            generator.rng.randint(60, 25 * 86400)
            if index in near_at:
                kept[index] = (f"B{index:011d}", message)
    else:
        print(f"Generating and loading {args.orders:,} open orders ({args.db}, {args.jobs} processes)…")
        kept, load_seconds = load(args, near_at)
        print(f"  done in {load_seconds:,.0f} s")

    probe = Generator(args.seed + 2)
    unrelated = [probe.message() for _ in range(args.queries)]
    near = [(number, probe.near_duplicate(message)) for number, message in kept.values()]

    def lookup(message: Any) -> tuple[float, list[str]]:
        began = time.perf_counter()
        found = duplicates.duplicate_candidates(
            user=operator, title=message.title, content=message.content, address=message.address
        )
        return (time.perf_counter() - began) * 1000, [c.order.number for c in found]

    for message in unrelated[:20]:  # warm-up: connections, plans, caches
        lookup(message)
    latencies: list[float] = []
    unrelated_hits = 0
    for message in unrelated:
        ms, numbers = lookup(message)
        latencies.append(ms)
        unrelated_hits += bool(numbers)
    near_latencies: list[float] = []
    recalled = 0
    for number, message in near:
        ms, numbers = lookup(message)
        near_latencies.append(ms)
        recalled += number in numbers
    every = latencies + near_latencies
    summary = {
        "benchmark": "duplicates",
        "db": connection.vendor,
        "orders": WorkOrder.objects.filter(is_open=True).count(),
        "load_seconds": round(load_seconds, 1),
        "lookups": len(every),
        "p50_ms": round(statistics.median(every), 2),
        "p95_ms": round(percentile(every, 95), 2),
        "p99_ms": round(percentile(every, 99), 2),
        "max_ms": round(max(every), 2),
        "unrelated_p99_ms": round(percentile(latencies, 99), 2),
        "near_p99_ms": round(percentile(near_latencies, 99), 2) if near_latencies else None,
        "near_duplicates": len(near),
        "near_recall": round(recalled / len(near), 3) if near else None,
        "unrelated_with_candidates": unrelated_hits,
        "unrelated": len(unrelated),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
    }
    print(json.dumps(summary, indent=2))
    RESULTS.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%S")
    (RESULTS / f"duplicates-{connection.vendor}-{stamp}.json").write_text(json.dumps(summary, indent=2) + "\n")


if __name__ == "__main__":
    main()
