"""The ledgers and the annual work review (issue 14) at the demo year's scale.

    .venv/bin/python bench/review_year.py                                    # a fresh temporary SQLite database
    DATABASE_URL=postgres://postgres@127.0.0.1:PORT/DB .venv/bin/python bench/review_year.py --db postgres
    PGPORT=54346 BENCH=bench/review_year.py bench/run_pg.sh                  # a throwaway PostgreSQL

Builds its data with the demo year's own command, timed: `manage.py seed_review_demo` (the district, its accounts and
catalogues, then 2022: ~48,000 citizen matters, 36,8xx self-built houses, 33 major projects, the campaigns' rows, the
indicators and programmes, then the statistics' rebuild). A PostgreSQL database that already holds the year is
reused (the command adds nothing on a second run; its time is then the check's).

Then times, through Django's test client logged in as a supervisor (and as a leader for the review page): the review
page `/review/2022/` (49 figures), the drill-down pages of `houses_inspected` and `citizen_matters`, and the houses'
ledger `/ledgers/houses/?year=2022` (first page), each after one warm-up with its statements counted
(CaptureQueriesContext); the slowest page is profiled once (cProfile, top functions printed). Then the commands, each
in its own process, wall time: `work_review --year 2022 --out DIR` (file sizes), `ledger_export --kind houses --year
2022`, `ledger_import --kind houses FILE` as a dry run and with `--commit` of the unchanged file (which must write no
ledger version and no audit event). Prints the figures, the load average at the start and the end, and writes a JSON
summary to bench/results/.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.applications_intake import loadavg  # noqa: E402
from bench.intake import RESULTS, machine, percentile  # noqa: E402

YEAR = 2022
SETTINGS = "govdesk.settings.bench"


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default=None, help="default: from DATABASE_URL")
    parser.add_argument("--requests", type=int, default=20, help="timed requests of each page (at most)")
    parser.add_argument(
        "--budget", type=float, default=60.0, help="seconds of timed requests per page at most (keeps a run bounded)"
    )
    return parser.parse_args()


def main() -> None:
    args = parse()
    load_at_start = loadavg()
    print(f"loadavg at start: {load_at_start}", flush=True)
    os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS
    db = args.db or ("postgres" if os.environ.get("DATABASE_URL", "").startswith("postgres") else "sqlite")
    if db == "sqlite":
        os.environ.pop("DATABASE_URL", None)
    elif not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("--db postgres needs DATABASE_URL=postgres://… (bench/run_pg.sh starts a throwaway server)")
    tmp = tempfile.mkdtemp(prefix="govdesk-bench-review-")
    os.environ["GOVDESK_VAR_DIR"] = tmp
    try:
        run(args, db, load_at_start, Path(tmp))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def manage(*argv: str) -> tuple[float, str]:
    """Runs `manage.py ARGV` in its own process (the same settings, database and var dir): wall time and output."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *argv],
        cwd=ROOT,
        env=os.environ.copy(),
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(
            f"manage.py {' '.join(argv)} failed ({done.returncode}):\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
        )
    return wall, done.stdout + done.stderr


def manage_profiled(stats_file: Path, *argv: str) -> None:
    """Runs `manage.py ARGV` in its own process under cProfile, the statistics written to `stats_file`."""
    done = subprocess.run(
        [sys.executable, "-m", "cProfile", "-o", str(stats_file), str(ROOT / "manage.py"), *argv],
        cwd=ROOT,
        env=os.environ.copy(),
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        sys.exit(f"profiled manage.py {' '.join(argv)} failed:\n{done.stderr[-3000:]}")


def stats_of(times: list[float]) -> dict[str, Any]:
    return {
        "n": len(times),
        "p50_ms": round(statistics.median(times), 1),
        "p95_ms": round(percentile(times, 95), 1),
        "max_ms": round(max(times), 1),
    }


def statements_of(call: Callable[[], Any]) -> tuple[int, float]:
    """The statements one request runs. The test client's request signals reset the query log when a request starts
    and close the connection when it ends: both are held off for this one request."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections, connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    request_started.disconnect(reset_queries)
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        with CaptureQueriesContext(connection) as queries:
            call()
    finally:
        request_started.connect(reset_queries)
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    sql_ms = sum(float(q["time"] or 0) for q in queries.captured_queries) * 1000
    return len(queries.captured_queries), sql_ms


def timed(label: str, n: int, budget: float, call: Callable[[], Any]) -> dict[str, Any]:
    call()  # warm templates and caches
    statements, sql_ms = statements_of(call)
    times: list[float] = []
    started = time.perf_counter()
    while len(times) < n and (len(times) < 5 or time.perf_counter() - started < budget):
        t0 = time.perf_counter()
        call()
        times.append((time.perf_counter() - t0) * 1000)
    figures = stats_of(times)
    figures["statements"] = statements
    figures["sql_ms"] = round(sql_ms, 1)
    print(
        f"  {label:46} n={figures['n']:3}  p50 {figures['p50_ms']:8.1f} ms  p95 {figures['p95_ms']:8.1f} ms  "
        f"max {figures['max_ms']:8.1f} ms  {statements:4} statements ({sql_ms:.0f} ms)",
        flush=True,
    )
    return figures


def profile_lines(label: str, stats_source: Any, top: int = 15) -> list[str]:
    """The project's functions with the most cumulative time, then every function by its own time."""
    lines = []
    for order, restriction in (("cumulative", r"govdesk/"), ("tottime", None)):
        out = io.StringIO()
        stats = pstats.Stats(stats_source, stream=out).sort_stats(order)
        if restriction:
            stats.print_stats(restriction, top)
        else:
            stats.print_stats(top)
        text = out.getvalue()
        body = text[text.find("ncalls") :] if "ncalls" in text else text
        lines.append(f"--- {label}: by {order} ---\n{body.rstrip()}")
    print("\n".join(lines), flush=True)
    return lines


def profile(label: str, call: Callable[[], Any]) -> list[str]:
    """One request under cProfile."""
    profiler = cProfile.Profile()
    profiler.enable()
    call()
    profiler.disable()
    return profile_lines(label, profiler)


def run(args: argparse.Namespace, db: str, load_at_start: str, tmp: Path) -> None:
    import django

    django.setup()
    # The bench settings serve no static files: Django's warning about their missing directory is noise here.
    warnings.filterwarnings("ignore", message="No directory at")
    from django.contrib.auth.models import Group
    from django.core.management import call_command
    from django.test import Client

    from govdesk.audit.models import AuditEvent
    from govdesk.cases.models import Case
    from govdesk.ledgers.models import LedgerRowVersion, SelfBuiltHouse
    from govdesk.org.models import Role, User
    from govdesk.review.figures import figure_get

    results: dict[str, Any] = {}
    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    call_command("createcachetable", verbosity=0)
    migrate_s = time.perf_counter() - started
    print(f"{db}: migrated in {migrate_s:.1f} s; seed_review_demo …", flush=True)
    seed_s, seed_out = manage("seed_review_demo", "--password-file", str(tmp / "demo-password"))
    for line in seed_out.splitlines():
        if re.search(r"added:|already present:|statistics|finished|skipped", line):
            print(f"    {line.strip()}", flush=True)
    houses = SelfBuiltHouse.objects.filter(year=YEAR, is_void=False).count()
    cases = Case.objects.filter(created_at__year=YEAR).count()
    values = {code: figure_get(code, YEAR).value for code in ("citizen_matters", "houses_inspected")}
    print(
        f"{db}: seed_review_demo {seed_s:.1f} s wall (load {loadavg()}); {cases:,} cases created in {YEAR}, "
        f"{houses:,} houses; figures {values}",
        flush=True,
    )
    results["build"] = {"migrate_s": round(migrate_s, 1), "seed_review_demo_s": round(seed_s, 1)}
    results["data"] = {
        "cases_created_in_year": cases,
        "houses": houses,
        "figures": {k: str(v) for k, v in values.items()},
    }
    if db == "postgres":
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")

    def client_for(username: str, role: Role) -> Client:
        user, _created = User.objects.get_or_create(username=username, defaults={"display_name": username})
        user.groups.add(Group.objects.get_or_create(name=role.value)[0])
        client = Client(SERVER_NAME="localhost")
        client.force_login(user)  # supervisors and leaders need no second factor (only the administrator roles)
        return client

    supervisor = client_for("bench_review_supervisor", Role.SUPERVISOR)
    leader = client_for("bench_review_leader", Role.LEADER)

    def get(url: str, client: Client) -> Callable[[], Any]:
        def call() -> Any:
            response = client.get(url)
            if response.status_code != 200:
                sys.exit(f"{url} answered {response.status_code}")
            return response

        return call

    review_url = f"/review/{YEAR}/"
    page = get(review_url, supervisor)().content.decode()
    figures_linked = len(set(re.findall(r'data-figure="([a-z_]+)"', page)))
    print(f"  {review_url}: {len(page) / 1024:.0f} KiB, {figures_linked} figures linked", flush=True)
    results["review_page_figures_linked"] = figures_linked
    pages = {
        "review_year_supervisor": (f"GET {review_url} (supervisor)", get(review_url, supervisor)),
        "review_year_leader": (f"GET {review_url} (leader)", get(review_url, leader)),
        "figure_houses_inspected": (
            "GET …/figures/houses_inspected/",
            get(f"{review_url}figures/houses_inspected/", supervisor),
        ),
        "figure_citizen_matters": (
            "GET …/figures/citizen_matters/",
            get(f"{review_url}figures/citizen_matters/", supervisor),
        ),
        "ledger_houses": (
            f"GET /ledgers/houses/?year={YEAR}",
            get(f"/ledgers/houses/?year={YEAR}", supervisor),
        ),
    }
    requests: dict[str, Any] = {}
    for key, (label, call) in pages.items():
        requests[key] = timed(label, args.requests, args.budget, call)
    results["requests"] = requests
    slowest = max(requests, key=lambda key: requests[key]["p50_ms"])
    results["profile"] = {"page": slowest, "top": profile(pages[slowest][0], pages[slowest][1])}

    # The commands, each in its own process (Django's start-up included, as an operator sees it).
    commands: dict[str, Any] = {}
    out_dir = tmp / "review-out"
    wall, _out = manage("work_review", "--year", str(YEAR), "--out", str(out_dir))
    sizes = {p.name: p.stat().st_size for p in sorted(out_dir.iterdir())}
    commands["work_review"] = {"wall_s": round(wall, 1), "files": sizes}
    shown = ", ".join(f"{name} {size / 1024:.0f} KiB" for name, size in sizes.items())
    print(f"  work_review --year {YEAR}: {wall:.1f} s ({shown})", flush=True)
    workbook = tmp / "houses.xlsx"
    wall, _out = manage("ledger_export", "--kind", "houses", "--year", str(YEAR), "--out", str(workbook))
    commands["ledger_export_houses"] = {"wall_s": round(wall, 1), "bytes": workbook.stat().st_size}
    print(f"  ledger_export --kind houses: {wall:.1f} s ({workbook.stat().st_size / 1024:.0f} KiB)", flush=True)
    for key, extra in (("ledger_import_houses_dry_run", []), ("ledger_import_houses_commit", ["--commit"])):
        versions, events = LedgerRowVersion.objects.count(), AuditEvent.objects.count()
        wall, out = manage("ledger_import", "--kind", "houses", str(workbook), *extra)
        outcome = next((line.strip() for line in reversed(out.splitlines()) if "rows:" in line), out[-300:])
        written = {
            "ledger_versions": LedgerRowVersion.objects.count() - versions,
            "audit_events": AuditEvent.objects.count() - events,
        }
        commands[key] = {"wall_s": round(wall, 1), "summary": outcome, "written": written}
        print(f"  ledger_import {' '.join(extra) or '(dry run)'}: {wall:.1f} s: {outcome}; wrote {written}", flush=True)
    # Where a command's time goes: the export and the dry-run import once more under cProfile (not timed above).
    profiles: dict[str, list[str]] = {}
    for key, argv in (
        ("ledger_export_houses", ["ledger_export", "--kind", "houses", "--year", str(YEAR), "--out", str(workbook)]),
        ("ledger_import_houses_dry_run", ["ledger_import", "--kind", "houses", str(workbook)]),
    ):
        stats_file = tmp / f"{key}.prof"
        manage_profiled(stats_file, *argv)
        profiles[key] = profile_lines(" ".join(argv[:3]), str(stats_file))
    commands["profiles"] = profiles
    results["commands"] = commands
    load_at_end = loadavg()
    print(f"loadavg at end: {load_at_end}", flush=True)
    summary = {
        "benchmark": "review_year",
        "db": db,
        "loadavg_at_start": load_at_start,
        "loadavg_at_end": load_at_end,
        "results": results,
        "machine": machine(),
        "date": time.strftime("%Y-%m-%d"),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"review-year-{db}-{time.strftime('%Y%m%dT%H%M%S')}.json"
    path.write_text(json.dumps(summary, indent=2, ensure_ascii=False))
    print(f"written {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
