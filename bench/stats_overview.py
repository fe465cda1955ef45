"""Statistics overview benchmark: GET /api/v1/stats/overview/ from the rollups vs a naive aggregation over the orders.

    .venv/bin/python bench/stats_overview.py --db sqlite --orders 1000000
    PGPORT=54341 BENCH=bench/stats_overview.py bench/run_pg.sh --orders 1000000     # throwaway PostgreSQL

Generates the orders with bench/stats_data.py (bulk rows; facts and rollups consistent with them), then for several
filter combinations times the overview endpoint through the Django test client (a supervisor's session, the whole
request: filters, rollup queries, the live overdue/due-soon lists, JSON rendering; p50/p95 over --runs runs), and a
naive aggregation computing the same cohort figures (total, eight rate parts, previous period, series, breakdowns by
status, channel, type, category and unit with rates) with GROUP BY queries directly over the orders table, in the
same run. Prints both and their ratio and writes a JSON summary to bench/results/. With --keep the SQLite file is
kept, and --reuse FILE measures an existing one without generating.

With --applications N (issue 11: `--orders 1000000 --applications 1000000`) the same database also gets N applications
(bench/stats_applications_data.py: bulk rows, then the application statistics rebuild), and after the work-order
overview the application overview (`GET /api/v1/stats/overview/?kind=application`) is timed the same way over its
filter combinations (period, unit, matter, channel, matter type) beside a naive GROUP BY over the applications, the
cases, their timeline events and suspensions, checked equal on the main figures (totals, status counts, breakdowns).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "bench" / "results"


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=20, help="timed overview requests per filter combination")
    parser.add_argument("--naive-runs", type=int, default=3, help="timed naive aggregations per combination")
    parser.add_argument("--keep", action="store_true", help="keep the SQLite database file")
    parser.add_argument(
        "--reuse",
        help="measure the existing database: a SQLite directory (GOVDESK_VAR_DIR), or any value on PostgreSQL",
    )
    parser.add_argument("--copies", type=int, default=0, help="PostgreSQL: then add this many shifted SQL copies")
    parser.add_argument(
        "--then-copies", type=int, default=0, help="PostgreSQL: after measuring, add this many copies and measure again"
    )
    parser.add_argument("--verify", action="store_true", help="run stats_rollup_verify after generating (slow)")
    parser.add_argument(
        "--applications",
        type=int,
        default=0,
        help="also generate this many applications and time the application overview (issue 11: 1000000)",
    )
    parser.add_argument("--generate-only", action="store_true", help="generate (use with --keep), do not measure")
    parser.add_argument(
        "--applications-only", action="store_true", help="with --applications: time only the application overview"
    )
    return parser.parse_args()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def naive_overview(params: dict[str, str], flt: Any) -> dict[str, Any]:
    """The same cohort figures computed straight from the orders table (no rollups), a GROUP BY per figure."""
    from django.db.models import Case, Count, IntegerField, Q, Sum, When
    from django.db.models.functions import TruncDate

    from govdesk.catalog.models import Category
    from govdesk.workorders.models import WorkOrder

    def flag(q: Q) -> Sum:
        return Sum(Case(When(q, then=1), default=0, output_field=IntegerField()))

    completed = Q(status__in=["replied", "closed"], master__isnull=True)
    done_at_ok = Q(replied_at__isnull=False, replied_at__lte=models_f("due_at")) | Q(
        replied_at__isnull=True, closed_at__lte=models_f("due_at")
    )
    parts = {
        "total": Count("pk"),
        "signed": flag(Q(signed_at__isnull=False)),
        "signed_on_time": flag(Q(signed_at__isnull=False, signed_at__lte=models_f("sign_due_at"))),
        "completed": flag(completed),
        "completed_on_time": flag(completed & done_at_ok),
        "responded": flag(Q(signed_at__isnull=False) | ~Q(answer="")),
        "response_base": flag(~Q(status="cancelled") & Q(master__isnull=True)),
        "visited": flag(Q(visited_at__isnull=False)),
        "resolved": flag(Q(visited_at__isnull=False, visit_resolved=True)),
        "sat_answered": flag(~Q(visit_satisfaction="")),
        "sat_positive": flag(Q(visit_satisfaction__in=["satisfied", "basically"])),
        "returned": flag(Q(return_count__gt=0)),
        "dispatched": flag(Q(dispatched_at__isnull=False)),
        "merged": flag(Q(master__isnull=False)),
        "replied": flag(Q(replied_at__isnull=False) | Q(visited_at__isnull=False)),
    }

    def cohort(date_from: date, date_to: date) -> Any:
        from govdesk.workorders.selectors import _day_start

        qs = WorkOrder.objects.filter(
            created_at__gte=_day_start(date_from), created_at__lt=_day_start(date_to + timedelta(days=1))
        )
        if flt.unit_ids is not None:
            qs = qs.filter(primary_unit_id__in=sorted(flt.unit_ids))
        if flt.category is not None:
            qs = qs.filter(category__path__startswith=flt.category.path)
        if flt.request_type is not None:
            qs = qs.filter(request_type_id=flt.request_type.pk)
        if flt.channel:
            qs = qs.filter(channel=flt.channel)
        return qs

    qs = cohort(flt.date_from, flt.date_to)
    days = (flt.date_to - flt.date_from).days + 1
    prev_to = flt.date_from - timedelta(days=1)
    out: dict[str, Any] = {
        "current": qs.aggregate(**parts),
        "previous": cohort(prev_to - timedelta(days=days - 1), prev_to).aggregate(**parts),
        "series": list(
            qs.annotate(d=TruncDate("created_at")).values("d").annotate(n=Count("pk"), c=flag(Q(status="closed")))
        ),
        "by_status": list(qs.values("status").annotate(n=Count("pk")).order_by()),
        "by_channel": list(qs.values("channel").annotate(n=Count("pk")).order_by()),
        "by_type": list(qs.values("request_type_id").annotate(n=Count("pk")).order_by()),
        "by_unit": list(qs.values("primary_unit_id").annotate(**parts).order_by()),
    }
    by_leaf = qs.values("category_id").annotate(n=Count("pk")).order_by()
    paths = dict(Category.objects.values_list("id", "path"))
    level1: dict[str, int] = {}
    for row in by_leaf:
        key = paths[row["category_id"]].split("/")[0]
        level1[key] = level1.get(key, 0) + row["n"]
    out["by_category"] = level1
    return out


def models_f(name: str) -> Any:
    from django.db.models import F

    return F(name)


# The figures both sides give, compared: the totals, the status counts and the totals of every breakdown.
APPLICATION_TOTAL_KEYS = (
    "received", "accepted", "corrected", "refused", "decided", "decided_on_time", "approved", "denied", "delivered",
    "suspended", "instant", "open",
)  # fmt: skip


def naive_application_overview(flt: Any) -> dict[str, Any]:
    """The application overview's main figures straight from the applications, their cases, timeline events and
    suspensions (no facts, no marginals): one aggregate for the totals and status counts, one GROUP BY per
    breakdown (unit, matter, channel, matter type, day)."""
    from django.db.models import Case, Count, Exists, F, IntegerField, OuterRef, Q, Sum, When
    from django.db.models.functions import TruncDate

    from govdesk.applications.models import Application
    from govdesk.applications.states import OPEN_STATUSES
    from govdesk.cases.models import CaseEvent, CaseSuspension
    from govdesk.workorders.selectors import _day_start

    def flag(q: Q) -> Sum:
        return Sum(Case(When(q, then=1), default=0, output_field=IntegerField()))

    def event_to(*statuses: str) -> Exists:
        return Exists(CaseEvent.objects.filter(case_id=OuterRef("pk"), to_status__in=statuses))

    qs = Application.objects.filter(
        created_at__gte=_day_start(flt.date_from), created_at__lt=_day_start(flt.date_to + timedelta(days=1))
    )
    if flt.unit_ids is not None:
        qs = qs.filter(primary_unit_id__in=sorted(flt.unit_ids))
    if flt.matter is not None:
        qs = qs.filter(matter_id=flt.matter.pk)
    if flt.matter_type:
        qs = qs.filter(matter_version__type=flt.matter_type)
    if flt.channel:
        qs = qs.filter(channel=flt.channel)
    decided = Q(decided_at__isnull=False)
    parts = {
        "received": Count("pk"),
        "accepted": flag(Q(accepted_at__isnull=False)),
        "corrected": flag(Q(_corrected=True)),
        "refused": flag(Q(status="refused")),
        "decided": flag(decided),
        "decided_on_time": flag(decided & (Q(decision_due_at__isnull=True) | Q(decided_at__lte=F("decision_due_at")))),
        "approved": flag(Q(_approved=True)),
        "denied": flag(Q(_denied=True)),
        "delivered": flag(Q(delivered_at__isnull=False)),
        "suspended": flag(Q(_suspended=True)),
        "instant": flag(Q(matter_version__instant=True)),
        "open": flag(Q(status__in=sorted(OPEN_STATUSES))),
    }
    annotated = qs.annotate(
        _corrected=event_to("correction"),
        _approved=event_to("approved"),
        _denied=event_to("denied"),
        _suspended=Exists(CaseSuspension.objects.filter(case_id=OuterRef("pk"))),
    )

    def grouped(column: str) -> dict[Any, int]:
        return dict(qs.values_list(column).annotate(n=Count("pk")).order_by().values_list(column, "n"))

    return {
        "totals": annotated.aggregate(**parts),
        "status_counts": grouped("status"),
        "by_unit": grouped("primary_unit_id"),
        "by_matter": grouped("matter_id"),
        "by_channel": grouped("channel"),
        "by_matter_type": grouped("matter_version__type"),
        "series": list(qs.annotate(d=TruncDate("created_at")).values("d").annotate(n=Count("pk")).order_by()),
    }


def applications_compare(overview: dict[str, Any], naive: dict[str, Any]) -> None:
    """Both sides give the same figures (AssertionError naming the first difference otherwise)."""
    for key in APPLICATION_TOTAL_KEYS:
        assert overview["totals"][key] == (naive["totals"][key] or 0), (key, overview["totals"][key], naive["totals"])
    counts = {k: v for k, v in overview["status_counts"].items() if v}
    assert counts == naive["status_counts"], (counts, naive["status_counts"])
    for name, key in (("by_unit", "id"), ("by_matter", "id"), ("by_channel", "code"), ("by_matter_type", "code")):
        got = {(row[key] or None): row["received"] for row in overview[name]}
        want = {k: n for k, n in naive[name].items() if n}
        assert got == want, (name, got, want)
    assert sum(p["received"] for p in overview["series"]) == naive["totals"]["received"]


def main() -> None:
    args = parse()
    env = dict(os.environ)
    os.environ["DJANGO_SETTINGS_MODULE"] = "govdesk.settings.bench"
    os.environ.setdefault("PYTHONWARNINGS", "ignore:No directory at")
    tmp = None
    if args.db == "sqlite":
        os.environ.pop("DATABASE_URL", None)
        tmp = args.reuse or tempfile.mkdtemp(prefix="govdesk-stats-bench-", dir=os.environ.get("BENCH_TMP"))
        os.environ["GOVDESK_VAR_DIR"] = tmp
    elif not env.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("--db postgres needs DATABASE_URL=postgres://… (bench/run_pg.sh starts a throwaway server)")
    import django

    django.setup()
    from django.contrib.auth.models import Group
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from govdesk.catalog.models import Category
    from govdesk.org.models import Role, Unit, User
    from govdesk.stats.selectors import stats_filter_parse
    from govdesk.workorders.models import WorkOrder

    sys.path.insert(0, str(ROOT / "bench"))
    from stats_applications_data import generate as applications_generate
    from stats_applications_data import setup_reference_data as applications_reference_data
    from stats_data import generate, replicate_postgres, setup_reference_data

    from govdesk.applications.models import Application

    load_at_start = os.getloadavg()
    print(f"database: {connection.vendor} {tmp or ''}; load average at start {load_at_start}", flush=True)
    started = time.monotonic()
    if not args.reuse:
        print(f"generating {args.orders:,} orders …", flush=True)
        generate(args.orders, progress=lambda line: print(line, flush=True))
    else:
        setup_reference_data()
    if args.copies:
        replicate_postgres(args.copies, progress=lambda line: print(line, flush=True))
    generation_s = time.monotonic() - started
    application_times: dict[str, float] = {}
    if args.applications and not args.reuse:
        print(f"generating {args.applications:,} applications …", flush=True)
        application_times = applications_generate(args.applications, progress=lambda line: print(line, flush=True))
    elif args.applications:
        applications_reference_data()
    if args.verify:
        call_command("stats_rollup_verify", limit=10)
    orders = WorkOrder.objects.count()
    applications = Application.objects.count() if args.applications else 0
    print(
        f"{orders:,} orders (generation {generation_s:.0f} s), {applications:,} applications {application_times}",
        flush=True,
    )
    if args.generate_only:
        print(f"generated; measure with --reuse {tmp or 'yes'}", flush=True)
        return

    user, _c = User.objects.get_or_create(username="bench_supervisor")
    user.groups.add(Group.objects.get_or_create(name=Role.SUPERVISOR.value)[0])
    client = Client(SERVER_NAME="localhost")
    client.force_login(user)

    today = timezone.localdate()
    dept = Unit.objects.get(code="B-D03")
    level1 = Category.objects.filter(level=1).order_by("path").first()
    level2 = Category.objects.filter(level=2).order_by("path").first()
    leaf = Category.objects.filter(level=3).order_by("path").first()
    assert level1 and level2 and leaf

    def span(days: int) -> dict[str, str]:
        return {"date_from": (today - timedelta(days=days - 1)).isoformat(), "date_to": today.isoformat()}

    combos: list[tuple[str, dict[str, str]]] = [
        ("default: last 30 days", {}),
        ("30 days, one department", {**span(30), "unit": dept.code}),
        ("90 days, level-1 category", {**span(90), "category": level1.path}),
        ("365 days, all", span(365)),
        ("30 days, one department's complaints", {**span(30), "unit": dept.code, "type": "complaint"}),
        ("365 days, complaint by phone", {**span(365), "type": "complaint", "channel": "phone"}),
        ("90 days, level-1 category by phone", {**span(90), "category": level1.path, "channel": "phone"}),
        (
            "365 days, department, complaint by phone",
            {**span(365), "unit": dept.code, "type": "complaint", "channel": "phone"},
        ),
        ("365 days, level-2 category", {**span(365), "category": level2.path}),
        ("365 days, level-2 category, complaints", {**span(365), "category": level2.path, "type": "complaint"}),
        ("365 days, one leaf category", {**span(365), "category": leaf.path}),
    ]

    application_combos: list[tuple[str, dict[str, str]]] = []
    if applications:
        from django.db.models import Count

        from govdesk.matters.models import Matter
        from govdesk.stats.models import StatsApplicationFact

        def busiest(column: str) -> int:
            row = StatsApplicationFact.objects.values(column).annotate(n=Count("case_id")).order_by("-n").first()
            assert row is not None
            return int(row[column])

        app_unit = Unit.objects.get(pk=busiest("unit_id"))
        app_matter = Matter.objects.get(pk=busiest("matter_id"))
        kind = {"kind": "application"}
        application_combos = [
            ("default: last 30 days", kind),
            ("365 days, all", {**kind, **span(365)}),
            ("30 days, one unit", {**kind, **span(30), "unit": app_unit.code}),
            ("365 days, one unit", {**kind, **span(365), "unit": app_unit.code}),
            ("365 days, one matter (the busiest)", {**kind, **span(365), "matter": app_matter.code}),
            ("90 days, online channel", {**kind, **span(90), "channel": "online"}),
            ("365 days, one unit at the window", {**kind, **span(365), "unit": app_unit.code, "channel": "window"}),
            ("365 days, matter type licensing", {**kind, **span(365), "matter_type": "licensing"}),
        ]

    def measure_applications() -> list[dict[str, Any]]:
        from govdesk.stats.selectors import stats_application_filter_parse

        results = []
        print(f"\napplications {'filters':44} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'naive p50 ms':>13} "
              f"{'ratio':>7} {'received':>9}", flush=True)  # fmt: skip
        for name, params in application_combos:
            for _warm in range(2):
                response = client.get("/api/v1/stats/overview/", params)
                assert response.status_code == 200, response.content[:300]
            times = []
            for _run in range(args.runs):
                t0 = time.perf_counter()
                response = client.get("/api/v1/stats/overview/", params)
                body = response.content
                times.append((time.perf_counter() - t0) * 1000)
            overview = json.loads(body)
            flt = stats_application_filter_parse(params, user)
            naive_times = []
            naive: dict[str, Any] = {}
            for _run in range(args.naive_runs):
                t0 = time.perf_counter()
                naive = naive_application_overview(flt)
                naive_times.append((time.perf_counter() - t0) * 1000)
            applications_compare(overview, naive)
            p50, p95, naive_p50 = statistics.median(times), percentile(times, 0.95), statistics.median(naive_times)
            received = overview["totals"]["received"]
            results.append({"filters": name, "params": params, "p50_ms": p50, "p95_ms": p95, "max_ms": max(times),
                            "naive_p50_ms": naive_p50, "ratio": naive_p50 / p50, "received": received,
                            "overdue_open": overview["totals"]["overdue_open"], "bytes": len(body)})  # fmt: skip
            print(f"applications {name:44} {p50:8.1f} {p95:8.1f} {max(times):8.1f} {naive_p50:13.1f} "
                  f"{naive_p50 / p50:6.0f}× {received:9,}", flush=True)  # fmt: skip
        return results

    def measure(orders: int) -> None:
        print(f"\nload average before measuring: {os.getloadavg()}", flush=True)
        results = []
        workorder_combos = [] if args.applications_only and application_combos else combos
        if workorder_combos:
            print(f"\n{'filters':44} {'p50 ms':>8} {'p95 ms':>8} {'naive p50 ms':>13} {'ratio':>7} {'total':>9}",
                  flush=True)  # fmt: skip
        for name, params in workorder_combos:
            for _warm in range(2):
                response = client.get("/api/v1/stats/overview/", params)
                assert response.status_code == 200, response.content[:300]
            times = []
            for _run in range(args.runs):
                t0 = time.perf_counter()
                response = client.get("/api/v1/stats/overview/", params)
                body = response.content
                times.append((time.perf_counter() - t0) * 1000)
            overview = json.loads(body)
            flt = stats_filter_parse(params, user)
            naive_times = []
            naive: dict[str, Any] = {}
            for _run in range(args.naive_runs):
                t0 = time.perf_counter()
                naive = naive_overview(params, flt)
                naive_times.append((time.perf_counter() - t0) * 1000)
            # The same figures: the benchmark also checks the rollups against the naive count.
            assert overview["total"] == naive["current"]["total"], (overview["total"], naive["current"]["total"])
            for key, part in overview["rate_parts"].items():
                assert part["denominator"] >= 0, key
            p50, p95, naive_p50 = statistics.median(times), percentile(times, 0.95), statistics.median(naive_times)
            results.append({"filters": name, "params": params, "p50_ms": p50, "p95_ms": p95, "max_ms": max(times),
                            "naive_p50_ms": naive_p50, "ratio": naive_p50 / p50, "total": overview["total"],
                            "bytes": len(body)})  # fmt: skip
            print(f"{name:44} {p50:8.1f} {p95:8.1f} {naive_p50:13.1f} {naive_p50 / p50:6.0f}× {overview['total']:9,}",
                  flush=True)  # fmt: skip
        summary = {
            "benchmark": "stats_overview",
            "db": connection.vendor,
            "orders": orders,
            "generation_s": round(generation_s, 1),
            "runs": args.runs,
            "naive_runs": args.naive_runs,
            "machine": {"python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count()},
            "results": results,
            "worst_p95_ms": max((r["p95_ms"] for r in results), default=None),
            "min_ratio": min((r["ratio"] for r in results), default=None),
            "load_average_at_start": load_at_start,
        }
        name = f"stats_overview-{connection.vendor}-{orders}"
        if application_combos:
            app_results = measure_applications()
            name += f"-applications-{applications}" + ("" if results else "-only")
            summary["applications"] = {
                "count": applications,
                "generation": application_times,
                "results": app_results,
                "worst_p95_ms": max(r["p95_ms"] for r in app_results),
                "min_ratio": min(r["ratio"] for r in app_results),
            }
        summary["load_average_at_end"] = os.getloadavg()
        RESULTS.mkdir(parents=True, exist_ok=True)
        out = RESULTS / f"{name}.json"
        out.write_text(json.dumps(summary, indent=2, ensure_ascii=False))
        worst, ratio = summary["worst_p95_ms"], summary["min_ratio"]
        if results:
            print(f"\nwork orders: worst p95 {worst:.1f} ms, smallest ratio {ratio:.0f}×", flush=True)
        if application_combos:
            apps = summary["applications"]
            print(f"applications: worst p95 {apps['worst_p95_ms']:.1f} ms, smallest ratio {apps['min_ratio']:.0f}×",
                  flush=True)  # fmt: skip
        print(f"load average at the end {summary['load_average_at_end']}; written {out.name}", flush=True)

    measure(orders)
    if args.then_copies:
        print(f"\nadding {args.then_copies} shifted copies of every order …", flush=True)
        replicate_postgres(args.then_copies, progress=lambda line: print(line, flush=True))
        measure(WorkOrder.objects.count())
    if tmp and not args.keep and not args.reuse:
        import shutil

        connection.close()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
