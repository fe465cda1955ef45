"""Intake with smart dispatch's after-commit work queued for the huey worker, against the same work run in the request
(the baseline), and how fast the worker drains what intake queued.

    GOVDESK_DISPATCH_MODEL_PATH=/path/to/model.joblib BENCH=bench/intake_queue.py bench/run_pg.sh --mode queue
    GOVDESK_DISPATCH_MODEL_PATH=... BENCH=bench/intake_queue.py bench/run_pg.sh --mode inline     # baseline
    GOVDESK_DISPATCH_MODEL_PATH=... .venv/bin/python bench/intake_queue.py --db sqlite --mode worker

Modes:
- `inline`: GOVDESK_TASKS_IMMEDIATE=1, so each request computes and stores its suggestion right after its commit, in
  the request's thread: what intake cost before the queue.
- `queue`: requests only queue the task; no worker runs during the intake. Then `manage.py run_huey` is started and
  the time until every order has its suggestion is measured (the drain rate).
- `worker`: the worker runs beside gunicorn during the intake (how a deployment runs), then the backlog left at the
  end of the intake is drained and timed.

Everything else is bench/intake.py (same database preparation, gunicorn, clients, intakes). The task queue is a
SQLite file in a temporary directory (never the checkout's var/). A trained model is required.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import intake as base  # noqa: E402


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--mode", choices=["inline", "queue", "worker"], default="queue")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--orders", type=int, default=2000)
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (default 4)")
    parser.add_argument("--threads", type=int, default=1, help="threads per gunicorn worker (default 1: sync)")
    parser.add_argument("--huey-workers", type=int, default=2, help="run_huey workers (default 2)")
    parser.add_argument("--huey-type", choices=["thread", "process"], default="thread")
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--drain-timeout", type=float, default=900, help="give up draining after N seconds")
    args = parser.parse_args()
    args.app, args.keep, args.duration = "govdesk.wsgi:application", False, 0
    return args


def start_server(args: argparse.Namespace, env: dict[str, str]) -> subprocess.Popen[bytes]:
    """intake.py's gunicorn, waited for longer: on a busy shared machine four workers take more than 30 s to start."""
    command = [
        sys.executable, "-m", "gunicorn", args.app, "--bind", f"127.0.0.1:{args.port}",
        "--workers", str(args.workers), "--threads", str(args.threads),
        "--worker-class", "gthread" if args.threads > 1 else "sync",
        "--keep-alive", "30", "--backlog", "2048", "--log-level", "warning",
    ]  # fmt: skip
    server = subprocess.Popen(command, env=env, cwd=ROOT)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", args.port, timeout=5)
            conn.request("GET", "/api/v1/me/")
            conn.getresponse().read()
            return server
        except OSError:
            time.sleep(0.5)
    server.terminate()
    sys.exit("gunicorn did not start")


def start_worker(args: argparse.Namespace, env: dict[str, str]) -> subprocess.Popen[bytes]:
    command = [
        sys.executable, "manage.py", "run_huey", "--quiet",
        "--workers", str(args.huey_workers), "--worker-type", args.huey_type,
    ]  # fmt: skip
    return subprocess.Popen(command, env=env, cwd=ROOT)


def stop(process: subprocess.Popen[bytes] | None) -> None:
    if process is not None and process.poll() is None:
        process.terminate()
        process.wait(timeout=60)


def counts() -> tuple[int, int, int]:
    """(orders, suggestions, tasks waiting in the queue), read fresh."""
    from django.db import connections
    from huey.contrib.djhuey import HUEY

    from govdesk.dispatch.models import DispatchSuggestion
    from govdesk.workorders.models import WorkOrder

    result = WorkOrder.objects.count(), DispatchSuggestion.objects.count(), HUEY.pending_count()
    connections.close_all()
    return result


def drain(args: argparse.Namespace, started: float) -> dict[str, Any]:
    """Wait until every order has its suggestion; report the time and the rate after the first one appeared."""
    orders, done, pending = counts()
    first_at, first_done, last_print = None, done, 0.0
    while done < orders:
        now = time.monotonic()
        if now - started > args.drain_timeout:
            print(f"  drain timed out: {done}/{orders} suggestions, {pending} queued")
            break
        if first_at is None and done > first_done:
            first_at, first_done = now, done
        if now - last_print >= 5:
            print(f"  draining: {done}/{orders} orders have their suggestion, {pending} tasks queued", flush=True)
            last_print = now
        time.sleep(0.25)
        orders, done, pending = counts()
    ended = time.monotonic()
    rate = (done - first_done) / (ended - first_at) if first_at and ended > first_at else None
    return {
        "drain_seconds": round(ended - started, 2),
        "drain_first_suggestion_after_s": round(first_at - started, 2) if first_at else None,
        "drain_tasks_per_s": round(rate, 1) if rate else None,
        "suggestions": done,
        "orders": orders,
    }


def main() -> None:
    args = parse()
    model = os.environ.get("GOVDESK_DISPATCH_MODEL_PATH", "")
    if not model or not Path(model).is_file():
        sys.exit("set GOVDESK_DISPATCH_MODEL_PATH to a trained model (manage.py dispatch_train --out FILE)")
    tmp = tempfile.mkdtemp(prefix="govdesk-bench-queue-")
    os.environ["GOVDESK_VAR_DIR"] = tmp  # the queue file (and, on SQLite, intake.py puts the database elsewhere)
    os.environ.pop("GOVDESK_REDIS_URL", None)
    if args.mode == "inline":
        os.environ["GOVDESK_TASKS_IMMEDIATE"] = "1"
    else:
        os.environ.pop("GOVDESK_TASKS_IMMEDIATE", None)
    env, sqlite_tmp = base.prepare_environment(args)
    env["GOVDESK_VAR_DIR"] = os.environ["GOVDESK_VAR_DIR"] = tmp  # one var dir for server, worker and this process
    username, password, leaves = base.prepare_database()
    from govdesk.dispatch import selectors
    from govdesk.dispatch.core.classifier import ModelUnavailable

    try:
        selectors.dispatch_model()  # a model the current code cannot load would measure nothing
    except ModelUnavailable as exc:
        sys.exit(f"the model cannot be used: {exc}")
    from bench.intakes import intakes

    stream = intakes(leaves)
    payloads = [json.dumps(next(stream), ensure_ascii=False).encode() for _ in range(2000)]
    server: subprocess.Popen[bytes] | None = start_server(args, env)
    worker = start_worker(args, env) if args.mode == "worker" else None
    drained: dict[str, Any] = {}
    try:
        token = base.obtain_token(args.port, username, password)
        common = {"port": args.port, "token": token, "payloads": payloads, "clients": args.clients, "duration": 0}
        base.Run(total=args.warmup, **common).go()
        run = base.Run(total=args.orders, **common).go()
        stop(server)
        server = None
        orders, suggestions, pending = counts()
        print(f"after intake: {orders} orders, {suggestions} suggestions, {pending} tasks queued", flush=True)
        backlog = {"orders": orders, "suggestions": suggestions, "queued": pending}
        if args.mode == "queue":
            started = time.monotonic()
            worker = start_worker(args, env)
            drained = drain(args, started)
        elif args.mode == "worker":
            drained = drain(args, time.monotonic())
    finally:
        stop(server)
        stop(worker)
    ok = run.statuses.get("201", 0)
    lat_ms = [x * 1000 for x in run.latencies]
    summary: dict[str, Any] = {
        "db": args.db,
        "mode": args.mode,
        "clients": args.clients,
        "gunicorn": f"{args.workers}x{args.threads}",
        "huey": f"{args.huey_workers} {args.huey_type}",
        "created_201": ok,
        "errors": sum(n for key, n in run.statuses.items() if key != "201"),
        "orders_per_s": round(ok / run.elapsed, 1) if run.elapsed else 0,
        "p50_ms": round(statistics.median(lat_ms), 1) if lat_ms else None,
        "p99_ms": round(base.percentile(lat_ms, 99), 1) if lat_ms else None,
        "after_intake": backlog,
        **drained,
        "load_average_at_end": os.getloadavg(),
        "machine": f"{platform.node()} {platform.machine()} {os.cpu_count()} CPUs, Python {platform.python_version()}",
    }
    print(
        f"{args.db} {args.mode}: {summary['orders_per_s']} orders/s | p50 {summary['p50_ms']} ms, p99 "
        f"{summary['p99_ms']} ms | {ok} created, {summary['errors']} errors | backlog {backlog['queued']} | "
        + (
            f"drained in {drained.get('drain_seconds')} s, {drained.get('drain_tasks_per_s')} tasks/s "
            f"(first after {drained.get('drain_first_suggestion_after_s')} s) | "
            if drained
            else ""
        )
        + f"{args.clients} clients, gunicorn {args.workers}×{args.threads}, huey {summary['huey']}"
    )
    base.RESULTS.mkdir(parents=True, exist_ok=True)
    out = base.RESULTS / f"intake-queue-{args.db}-{args.mode}-{time.strftime('%Y%m%dT%H%M%S')}.json"
    out.write_text(json.dumps(summary, indent=2, ensure_ascii=False))
    shutil.rmtree(tmp, ignore_errors=True)
    if sqlite_tmp:
        shutil.rmtree(sqlite_tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
