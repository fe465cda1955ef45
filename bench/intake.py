"""Intake benchmark: concurrent API clients create work orders against gunicorn, on SQLite or PostgreSQL.

    .venv/bin/python bench/intake.py --db sqlite
    DATABASE_URL=postgres://postgres@127.0.0.1:54329/govdesk_bench .venv/bin/python bench/intake.py --db postgres
    bench/run_pg.sh            # the same against a throwaway PostgreSQL started for the run
    .venv/bin/python bench/intake.py --db sqlite --server serve   # through the real `manage.py serve`
    .venv/bin/python bench/intake.py --db sqlite --bare           # then the same load on a bare INSERT endpoint

It prepares the database (migrate, categories, one operator account), starts gunicorn with the `bench` settings
(production-like: no debug), obtains a token through POST /api/v1/auth/token/, warms up, then lets N client threads
(keep-alive `http.client` connections) POST realistic intakes to /api/v1/workorders/ until the count or the duration
is reached. Prints orders/s, latency percentiles and errors, checks the orders in the database, and writes a JSON
summary to bench/results/. The SQLite database is a fresh temporary file; PostgreSQL uses DATABASE_URL as given.

`--server serve` starts the stack with `manage.py serve` (the command a deployment runs: gunicorn and the task worker,
which computes suggestions with the trained model as after `make run`; GOVDESK_VAR_DIR the run's temporary directory)
instead of a bare gunicorn. `--bare` (bare gunicorn only: serve runs the production settings, without the bench URLs)
then lets the same clients POST the same number of requests to /bench/bare/ (bench/bare.py: authentication, JSON, one
INSERT) and reports both rates and their ratio. Answers whose body mentions "database is locked" are counted
separately.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import os
import platform
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "bench" / "results"
DEFAULT_MODEL = ROOT / "var" / "models" / "dispatch-classifier.joblib"  # what `make run` trains
# The throwaway keys of govdesk.settings.bench, given to `manage.py serve` through the environment: the database is
# prepared here under the bench settings, so the served processes must use the same keys (serve would otherwise
# generate its own under GOVDESK_VAR_DIR).
BENCH_KEYS = {
    "DJANGO_SECRET_KEY": "bench-only-secret-key-not-for-production-0123456789",
    "GOVDESK_FIELD_KEYS": "bench1:YmVuY2gtb25seS1maWVsZC1rZXktbm90LXNlY3JldCE=",
    "GOVDESK_BLIND_INDEX_KEY": "YmVuY2gtb25seS1ibGluZC1pbmRleC1rZXktbm90LXNlY3JldA==",
}


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--clients", type=int, default=16, help="concurrent client threads (default 16)")
    parser.add_argument("--orders", type=int, default=3000, help="orders to create in the measured phase")
    parser.add_argument("--duration", type=float, default=0, help="stop after this many seconds (0: no limit)")
    parser.add_argument("--warmup", type=int, default=200, help="orders created before measuring")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes (default 4)")
    parser.add_argument("--threads", type=int, default=2, help="threads per worker (default 2; 1 = sync worker)")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--keep", action="store_true", help="keep the temporary SQLite database")
    parser.add_argument("--app", default="govdesk.wsgi:application", help="WSGI application (for experiments)")
    parser.add_argument(
        "--server",
        choices=["gunicorn", "serve"],
        default="gunicorn",
        help="gunicorn: a bare gunicorn (default); serve: `manage.py serve` (gunicorn + task worker, as deployed)",
    )
    parser.add_argument("--bare", action="store_true", help="then the same load against POST /bench/bare/")
    return parser.parse_args()


def prepare_environment(args: argparse.Namespace) -> tuple[dict[str, str], str | None]:
    env = dict(os.environ)
    env["DJANGO_SETTINGS_MODULE"] = "govdesk.settings.bench"
    # The API needs no collected static files; WhiteNoise would warn once per worker that there are none.
    env.setdefault("PYTHONWARNINGS", "ignore:No directory at")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    tmp = None
    if args.db == "sqlite":
        env.pop("DATABASE_URL", None)
        tmp = tempfile.mkdtemp(prefix="govdesk-bench-")
        env["GOVDESK_VAR_DIR"] = tmp
    elif not env.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("--db postgres needs DATABASE_URL=postgres://… (bench/run_pg.sh starts a throwaway server)")
    if getattr(args, "server", "gunicorn") == "serve":
        if tmp is None:
            tmp = tempfile.mkdtemp(prefix="govdesk-bench-")
            env["GOVDESK_VAR_DIR"] = tmp
        env.update(BENCH_KEYS)  # serve's processes and this one must encrypt with the same keys
        # As after `make run`: the task worker computes suggestions with the trained model, beside the intake.
        if not env.get("GOVDESK_DISPATCH_MODEL_PATH") and DEFAULT_MODEL.is_file():
            env["GOVDESK_DISPATCH_MODEL_PATH"] = str(DEFAULT_MODEL)
    os.environ.clear()
    os.environ.update(env)
    return env, tmp


def prepare_database() -> tuple[str, str, list[int]]:
    """Migrate, load the category tree and create the operator the clients act as. Returns user, password, leaves."""
    import django

    django.setup()
    from django.contrib.auth.models import Group
    from django.core.management import call_command
    from django.db import connections

    from govdesk.catalog.models import Category
    from govdesk.catalog.services import category_tree_import
    from govdesk.demo.seed import CATEGORIES_CSV
    from govdesk.org.models import Role, Unit, UnitKind, User

    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
    category_tree_import(text=CATEGORIES_CSV.read_text(encoding="utf-8-sig"), commit=True)
    centre, _created = Unit.objects.get_or_create(
        code="BENCH-12345",
        defaults={"name": "Benchmark centre", "kind": UnitKind.HOTLINE_CENTRE, "accepts_orders": False},
    )
    password = "Bench-" + secrets.token_urlsafe(12)
    user, _created = User.objects.get_or_create(username="bench_operator", defaults={"unit": centre})
    user.set_password(password)
    user.save()
    user.groups.add(Group.objects.get_or_create(name=Role.OPERATOR.value)[0])
    leaves = list(Category.objects.filter(children__isnull=True, is_active=True).values_list("id", flat=True))
    from bench.bare import bare_table_create

    bare_table_create()
    connections.close_all()
    return user.username, password, leaves


def wait_for_server(server: subprocess.Popen[bytes], port: int, timeout: float) -> bool:
    """Until the server answers on `port` (any HTTP status), it exits, or `timeout` seconds pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and server.poll() is None:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/api/v1/me/")
            conn.getresponse().read()
            return True
        except (OSError, http.client.HTTPException):
            time.sleep(0.3)
    return False


def serve_command(port: int, workers: int, threads: int, *, task_workers: int = 2) -> list[str]:
    return [
        sys.executable, "manage.py", "serve", "--host", "127.0.0.1", "--port", str(port),
        "--workers", str(workers), "--threads", str(threads), "--task-workers", str(task_workers),
    ]  # fmt: skip


def start_serve(
    port: int,
    workers: int,
    threads: int,
    env: dict[str, str],
    *,
    task_workers: int = 2,
    log: Path | None = None,
    timeout: float = 240,
) -> subprocess.Popen[bytes]:
    """`manage.py serve` in its own process group (stopped with SIGTERM, as an operator would); it migrates and
    collects the static files first, so the wait is long on a busy machine. Its output goes to `log` when given."""
    command = serve_command(port, workers, threads, task_workers=task_workers)
    output = log.open("ab") if log is not None else None
    try:
        server = subprocess.Popen(
            command, env=env, cwd=ROOT, start_new_session=True, stdout=output, stderr=subprocess.STDOUT if log else None
        )
    finally:
        if output is not None:
            output.close()  # the child holds its own descriptor
    if not wait_for_server(server, port, timeout):
        stop_serve(server)
        sys.exit(f"manage.py serve did not start{f' (see {log})' if log else ''}")
    return server


def stop_serve(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def start_server(args: argparse.Namespace, env: dict[str, str]) -> subprocess.Popen[bytes]:
    if args.server == "serve":
        return start_serve(args.port, args.workers, args.threads, env)
    command = [
        sys.executable, "-m", "gunicorn", args.app,
        "--bind", f"127.0.0.1:{args.port}",
        "--workers", str(args.workers),
        "--threads", str(args.threads),
        "--worker-class", "gthread" if args.threads > 1 else "sync",
        "--keep-alive", "30",
        "--backlog", "2048",
        "--log-level", "warning",
    ]  # fmt: skip
    server = subprocess.Popen(command, env=env, cwd=ROOT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", args.port, timeout=2)
            conn.request("GET", "/api/v1/me/")
            conn.getresponse().read()
            return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    sys.exit("gunicorn did not start")


def request(
    conn: http.client.HTTPConnection, method: str, path: str, body: bytes | None, headers: dict[str, str]
) -> tuple[int, bytes]:
    conn.request(method, path, body, headers)
    response = conn.getresponse()
    return response.status, response.read()


def obtain_token(port: int, username: str, password: str) -> str:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    body = json.dumps({"username": username, "password": password}).encode()
    status, data = request(conn, "POST", "/api/v1/auth/token/", body, {"Content-Type": "application/json"})
    if status != 200:
        sys.exit(f"token request failed: HTTP {status} {data[:300]!r}")
    return str(json.loads(data)["token"])


class Run:
    """One phase: `total` POSTs shared by `clients` threads, each on its own keep-alive connection."""

    def __init__(
        self,
        *,
        port: int,
        token: str,
        payloads: list[bytes],
        total: int,
        clients: int,
        duration: float,
        path: str = "/api/v1/workorders/",
    ):
        self.port, self.payloads, self.total, self.clients, self.duration = port, payloads, total, clients, duration
        self.path = path
        self.headers = {"Content-Type": "application/json", "Authorization": f"Token {token}"}
        self.counter = itertools.count()
        self.latencies: list[float] = []
        self.statuses: dict[str, int] = {}
        self.sample_errors: list[str] = []
        self.database_locked = 0
        self.lock = threading.Lock()
        self.elapsed = 0.0

    def _client(self, stop_at: float) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        while True:
            i = next(self.counter)
            if i >= self.total or (self.duration and time.monotonic() > stop_at):
                break
            body = self.payloads[i % len(self.payloads)]
            started = time.perf_counter()
            try:
                status, data = request(conn, "POST", self.path, body, self.headers)
                key = str(status)
            except (OSError, http.client.HTTPException) as exc:
                status, data, key = 0, str(exc).encode(), type(exc).__name__
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            latency = time.perf_counter() - started
            with self.lock:
                self.latencies.append(latency)
                self.statuses[key] = self.statuses.get(key, 0) + 1
                if status != 201 and b"database is locked" in data:
                    self.database_locked += 1
                if status != 201 and len(self.sample_errors) < 3:
                    self.sample_errors.append(f"{key}: {data[:300].decode(errors='replace')}")
        conn.close()

    def go(self) -> Run:
        started = time.monotonic()
        stop_at = started + self.duration
        threads = [threading.Thread(target=self._client, args=(stop_at,)) for _ in range(self.clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.elapsed = time.monotonic() - started
        return self


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def phase_figures(run: Run, rate_key: str) -> dict[str, Any]:
    """A measured phase's figures for the summary: requests, 201s (per second under `rate_key`), errors, latencies."""
    ok = run.statuses.get("201", 0)
    lat_ms = [x * 1000 for x in run.latencies]
    return {
        "requests": len(run.latencies),
        "created_201": ok,
        "errors": sum(n for key, n in run.statuses.items() if key != "201"),
        "database_locked_errors": run.database_locked,
        "statuses": run.statuses,
        "seconds": round(run.elapsed, 2),
        rate_key: round(ok / run.elapsed, 1) if run.elapsed else 0,
        "p50_ms": round(statistics.median(lat_ms), 1) if lat_ms else None,
        "p95_ms": round(percentile(lat_ms, 95), 1) if lat_ms else None,
        "p99_ms": round(percentile(lat_ms, 99), 1) if lat_ms else None,
        "max_ms": round(max(lat_ms), 1) if lat_ms else None,
    }


def machine() -> str:
    return f"{platform.node()} {platform.machine()} {os.cpu_count()} CPUs, Python {platform.python_version()}"


def main() -> None:
    args = parse()
    if args.bare and args.server == "serve":
        # serve runs govdesk.settings.prod, whose URLs (the product's) have no bare endpoint.
        sys.exit("--bare needs the bench settings' URLs: use it with --server gunicorn")
    load_at_start = os.getloadavg()
    env, tmp = prepare_environment(args)
    username, password, leaves = prepare_database()
    from bench.intakes import intakes
    from govdesk.workorders.models import WorkOrder

    before = WorkOrder.objects.count()
    stream = intakes(leaves)
    payloads = [json.dumps(next(stream), ensure_ascii=False).encode() for _ in range(2000)]
    server = start_server(args, env)
    try:
        token = obtain_token(args.port, username, password)
        common = {"port": args.port, "token": token, "payloads": payloads, "clients": args.clients}
        Run(total=args.warmup, duration=0, **common).go()
        run = Run(total=args.orders, duration=args.duration, **common).go()
        bare = None
        if args.bare:
            # As many requests as the measured intake answered (its count or its duration), same clients and titles.
            bare_payloads = [
                json.dumps({"title": json.loads(p)["title"]}, ensure_ascii=False).encode() for p in payloads
            ]
            bare_common = {**common, "payloads": bare_payloads, "path": "/bench/bare/"}
            Run(total=args.warmup, duration=0, **bare_common).go()
            bare = Run(total=len(run.latencies), duration=0, **bare_common).go()
    finally:
        if args.server == "serve":
            stop_serve(server)
        else:
            server.terminate()
            server.wait(timeout=30)
    from django.db import connections

    connections.close_all()
    created = WorkOrder.objects.count() - before
    summary: dict[str, Any] = {
        "db": args.db,
        "clients": args.clients,
        "workers": args.workers,
        "threads": args.threads,
        "server": args.server,
        "dispatch_model": env.get("GOVDESK_DISPATCH_MODEL_PATH") if args.server == "serve" else None,
        "load_average_at_start": load_at_start,
        **phase_figures(run, "orders_per_s"),
        "orders_in_db_after_warmup_and_run": created,
        "machine": machine(),
    }
    if bare is not None:
        summary["bare"] = phase_figures(bare, "inserts_per_s")
        summary["bare_to_intake_ratio"] = (
            round(summary["bare"]["inserts_per_s"] / summary["orders_per_s"], 2) if summary["orders_per_s"] else None
        )
    ok, errors = summary["created_201"], summary["errors"]
    bare_text = (
        f" | bare: {summary['bare']['inserts_per_s']} inserts/s, p99 {summary['bare']['p99_ms']} ms, "
        f"{summary['bare']['errors']} errors; bare/intake {summary['bare_to_intake_ratio']}×"
        if bare is not None
        else ""
    )
    print(
        f"{args.db}: {summary['orders_per_s']} orders/s over {summary['seconds']} s | p50 {summary['p50_ms']} ms, "
        f"p95 {summary['p95_ms']} ms, p99 {summary['p99_ms']} ms, max {summary['max_ms']} ms | "
        f"{ok} created, {errors} errors {run.statuses}, {run.database_locked} 'database is locked' | "
        f"{args.clients} clients, {'manage.py serve' if args.server == 'serve' else 'gunicorn'} "
        f"{args.workers}×{args.threads}{bare_text}"
    )
    for sample in run.sample_errors:
        print("  error sample:", sample)
    if created != ok + args.warmup:
        print(f"  WARNING: {created} orders in the database, expected {ok + args.warmup} (warm-up included)")
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"intake-{args.db}-{time.strftime('%Y%m%dT%H%M%S')}.json"
    out.write_text(json.dumps(summary, indent=2, ensure_ascii=False))
    if tmp and not args.keep:
        shutil.rmtree(tmp, ignore_errors=True)
    sys.exit(1 if errors or (bare is not None and summary["bare"]["errors"]) else 0)


if __name__ == "__main__":
    main()
