"""Application intake benchmark: window clerks register applications through the API under gunicorn.

    .venv/bin/python bench/applications_intake.py --db sqlite
    PGPORT=54340 BENCH=bench/applications_intake.py bench/run_pg.sh     # a throwaway PostgreSQL

The same machinery as bench/intake.py (imported from it: environment, gunicorn, token, client threads, percentiles)
for `POST /api/v1/applications/` instead of work orders. The database gets the demo district and the shipped
catalogue (216 matters with their real forms and checklists) and a window clerk whose token, obtained through
`POST /api/v1/auth/token/`, the clients use. Payloads come from bench/applications_data.py: valid applicants, form
answers valid for each matter's fields, most materials. Prints applications/s, latency percentiles, errors and the
load average at the start, checks that the database holds exactly the applications answered with 201, and writes a
JSON summary to bench/results/. Defaults are the settings of the work-order runs in docs/benchmarks.md: 4 clients,
gunicorn 4 sync workers, 2,000 applications after 200 of warm-up.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.intake import (  # noqa: E402
    RESULTS,
    Run,
    machine,
    obtain_token,
    phase_figures,
    prepare_environment,
    start_server,
)

PATH = "/api/v1/applications/"


def loadavg() -> str:
    path = Path("/proc/loadavg")
    return " ".join(path.read_text().split()[:3]) if path.exists() else "unknown"


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--clients", type=int, default=4, help="concurrent client threads (default 4)")
    parser.add_argument("--applications", type=int, default=2000, help="applications in the measured phase")
    parser.add_argument("--duration", type=float, default=0, help="stop after this many seconds (0: no limit)")
    parser.add_argument("--warmup", type=int, default=200, help="applications created before measuring")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes (default 4)")
    parser.add_argument("--threads", type=int, default=1, help="threads per worker (default 1: sync worker)")
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--keep", action="store_true", help="keep the temporary SQLite database")
    parser.add_argument("--app", default="govdesk.wsgi:application", help="WSGI application (for experiments)")
    return parser.parse_args()


def main() -> None:
    args = parse()
    load_at_start = loadavg()
    print(f"loadavg at start: {load_at_start}")
    env, tmp = prepare_environment(args)
    import django

    django.setup()
    from django.db import connections

    from bench.applications_data import applications, catalogue_matters, hall_prepare
    from govdesk.applications.models import Application

    hall = hall_prepare()
    matters = catalogue_matters()
    stream = applications(matters)
    payloads = [json.dumps(next(stream), ensure_ascii=False).encode() for _ in range(2000)]
    before = Application.objects.count()
    connections.close_all()
    server = start_server(args, env)
    try:
        token = obtain_token(args.port, hall.clerk.username, hall.clerk_password)
        common = {"port": args.port, "token": token, "payloads": payloads, "clients": args.clients, "path": PATH}
        warmup = Run(total=args.warmup, duration=0, **common).go()
        run = Run(total=args.applications, duration=args.duration, **common).go()
    finally:
        server.terminate()
        server.wait(timeout=30)
    connections.close_all()
    created = Application.objects.count() - before
    expected = warmup.statuses.get("201", 0) + run.statuses.get("201", 0)
    summary: dict[str, Any] = {
        "benchmark": "applications_intake",
        "db": args.db,
        "loadavg_at_start": load_at_start,
        "matters": len(matters),
        "mean_payload_bytes": round(statistics.mean(len(p) for p in payloads)),
        "clients": args.clients,
        "workers": args.workers,
        "threads": args.threads,
        **phase_figures(run, "applications_per_s"),
        "applications_in_db_after_warmup_and_run": created,
        "database_matches_201s": created == expected,
        "machine": machine(),
    }
    ok, errors = summary["created_201"], summary["errors"]
    print(
        f"{args.db}: {summary['applications_per_s']} applications/s over {summary['seconds']} s | "
        f"p50 {summary['p50_ms']} ms, p95 {summary['p95_ms']} ms, p99 {summary['p99_ms']} ms, "
        f"max {summary['max_ms']} ms | {ok} created, {errors} errors {run.statuses} | {args.clients} clients, "
        f"gunicorn {args.workers}×{args.threads} | {len(matters)} matters, "
        f"{summary['mean_payload_bytes']} bytes a payload"
    )
    for sample in [*warmup.sample_errors, *run.sample_errors][:3]:
        print("  error sample:", sample)
    if created == expected:
        print(f"  database: {created} applications, exactly the 201 answers (warm-up included)")
    else:
        print(f"  MISMATCH: {created} applications in the database, {expected} answered 201 (warm-up included)")
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"applications-intake-{args.db}-{time.strftime('%Y%m%dT%H%M%S')}.json"
    out.write_text(json.dumps(summary, indent=2, ensure_ascii=False))
    if tmp and not args.keep:
        shutil.rmtree(tmp, ignore_errors=True)
    sys.exit(1 if errors or created != expected else 0)


if __name__ == "__main__":
    main()
