"""Mixed load and faults against `manage.py serve`: intake at a fixed rate plus the reads staff and Open311 clients do,
optionally with a gunicorn worker, the task worker and PostgreSQL killed mid-run; then nothing may be lost or doubled.

    BENCH=bench/load_mixed.py PGPORT=54341 bench/run_pg.sh --minutes 10 --rate 20 --faults   # PostgreSQL
    .venv/bin/python bench/load_mixed.py --db sqlite --minutes 10 --rate 20 --faults            # SQLite (no DB kill)
    BENCH=bench/load_mixed.py PGPORT=54341 bench/run_pg.sh --find-rate        # highest rate with read p99 ≤ 300 ms

Loopback only, bounded by --minutes (or the --find-rate steps) and --drain-timeout. Steps:
1. Prepare the database as bench/intake.py does (migrate, categories), plus an operator (intake), a dispatcher (order
   list and detail), a supervisor (statistics) with API tokens, an Open311 API key, and --existing orders registered
   through the services 2 to 30 days ago (older than the catch-up sweep's 24-hour window, so only the run's orders
   wait for suggestions).
2. Start `manage.py serve` (gunicorn + task worker) with GOVDESK_VAR_DIR a temporary directory.
3. Open-loop load: requests start at their scheduled moments whatever the answers take (latency is measured from the
   scheduled moment, so a stalled server shows as latency, not as fewer requests). Per intake, --reads-per-intake reads
   in fixed proportions over five classes: the work order list page (API), one order's detail (API), the statistics
   overview (the heaviest read a supervisor does), Open311's request list (page of 50) and one Open311 request.
   Every intake carries its own Idempotency-Key and a unique marker in its content; a connection error or a 5xx is
   retried with the same key and body (0.5 s, doubling to 4 s, for up to 60 s).
4. --faults: at 1/4, 2/4 and 3/4 of the run kill -9 one gunicorn worker, the task worker, and the PostgreSQL server
   (all its processes; started again after 5 s with bench/run_pg.sh's BENCH_PG_* variables; skipped on SQLite).
   Failed attempts within 30 s after a kill count as "during faults", others as "outside".
5. Wait (up to --drain-timeout) until every order of the run has its dispatch suggestion, then check: every order
   answered 201 is stored exactly once (by marker), no marker twice, suggestions for all, `manage.py audit_verify` and
   `manage.py stats_rollup_verify` exit 0. Prints a summary; writes bench/results/load-mixed-<db>-<time>.json.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import itertools
import json
import os
import queue
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import intake as base  # noqa: E402

READ_CLASSES = ("workorder_list", "workorder_detail", "stats_overview", "open311_list", "open311_request")
INTAKE = "intake"
MARKER_RE = re.compile(r"\[bench-marker ([0-9a-f]{32})\]")
FAULT_WINDOW_SECONDS = 30
RETRY_FIRST_DELAY, RETRY_MAX_DELAY, RETRY_GIVE_UP = 0.5, 4.0, 60.0
# The hotline centre's address as the proxy would report it; Open311 clients come from 10.17.0-3.x.
STAFF_ADDRESS = "10.16.0.10"
DEFAULT_MODEL = base.DEFAULT_MODEL


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--minutes", type=float, default=10, help="length of the load (default 10)")
    parser.add_argument("--rate", type=float, default=20, help="intakes per second (default 20)")
    parser.add_argument("--reads-per-intake", type=float, default=3, help="reads per intake, over 5 classes (3)")
    parser.add_argument("--existing", type=int, default=5000, help="orders registered before the run (5000)")
    parser.add_argument("--faults", action="store_true", help="kill a worker, the task worker, PostgreSQL")
    parser.add_argument("--find-rate", action="store_true", help="step the rate; report the highest that holds")
    parser.add_argument("--find-start", type=float, default=20, help="--find-rate: first rate (20)")
    parser.add_argument("--find-step", type=float, default=20, help="--find-rate: added per step (20)")
    parser.add_argument("--find-max", type=float, default=200, help="--find-rate: last rate tried (200)")
    parser.add_argument("--step-seconds", type=float, default=60, help="--find-rate: seconds per step (60)")
    parser.add_argument("--p99-limit-ms", type=float, default=300, help="--find-rate: read p99 limit (300 ms)")
    parser.add_argument("--drain-timeout", type=float, default=300, help="wait for suggestions up to N s (300)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers of serve (default 4)")
    parser.add_argument("--threads", type=int, default=1, help="threads per gunicorn worker (default 1)")
    parser.add_argument("--task-workers", type=int, default=2, help="serve's task workers (default 2)")
    parser.add_argument("--clients", type=int, default=128, help="client threads (bounds requests in flight)")
    parser.add_argument("--port", type=int, default=8770)
    parser.add_argument("--seed", type=int, default=17)
    args = parser.parse_args()
    args.server, args.keep = "serve", False
    return args


# --- preparation --------------------------------------------------------------------------------------------------


@dataclass
class Prepared:
    tokens: dict[str, str]  # role -> API token
    leaves: list[int]
    public_leaves: list[int]
    numbers: list[str]  # existing orders (API detail)
    public_numbers: list[str]  # existing orders Open311 shows
    open311_key: str


def prepare_database(existing: int, seed: int) -> Prepared:
    """intake.py's preparation, the accounts and tokens of the three roles, an Open311 key and the existing orders."""
    _username, _password, leaves = base.prepare_database()
    from django.contrib.auth.models import Group
    from django.db import connections
    from django.utils import timezone
    from huey.contrib.djhuey import HUEY

    from bench.intakes import intakes
    from govdesk.catalog.models import Category
    from govdesk.common import clock
    from govdesk.demo.open311 import demo_open311_ensure
    from govdesk.open311.services import api_key_create
    from govdesk.org.models import Role, Unit, User
    from govdesk.security.services import api_token_issue
    from govdesk.workorders.models import WorkOrder
    from govdesk.workorders.services import workorder_register

    centre = Unit.objects.get(code="BENCH-12345")
    tokens = {}
    for role in (Role.OPERATOR, Role.DISPATCHER, Role.SUPERVISOR):
        user, _created = User.objects.get_or_create(username=f"bench_{role.value}", defaults={"unit": centre})
        user.groups.add(Group.objects.get_or_create(name=role.value)[0])
        tokens[role.value] = api_token_issue(user=user, ip_address="127.0.0.1")[1]
    open311_key = api_key_create(name=f"bench-{uuid.uuid4().hex[:8]}")[1]
    demo_open311_ensure(None)  # the demo's public services: Open311 shows only their orders
    public_leaves = list(Category.objects.filter(public=True, children__isnull=True).values_list("id", flat=True))
    operator = User.objects.get(username=f"bench_{Role.OPERATOR.value}")
    have = WorkOrder.objects.count()
    rng = random.Random(seed)
    stream = with_public_share(intakes(leaves, seed=seed), public_leaves, rng)
    now = timezone.now()
    started = time.monotonic()
    for i in range(max(0, existing - have)):
        moment = now - timedelta(days=2, seconds=rng.randint(0, 28 * 86400))
        with clock.at(moment):
            workorder_register(actor=operator, data=next(stream))
        if i and i % 1000 == 0:
            print(
                f"  prepared {i} of {existing - have} existing orders ({time.monotonic() - started:.0f} s)", flush=True
            )
    # Their after-commit tasks went to the queue; the run is about its own orders (the sweep's window skips these).
    HUEY.flush()
    numbers = list(WorkOrder.objects.values_list("number", flat=True))
    public = list(
        WorkOrder.objects.filter(category__public=True, confidential=False).values_list("number", flat=True)[:2000]
    )
    connections.close_all()
    if not public:
        sys.exit("no order in a public Open311 service: the Open311 reads would all be 404")
    return Prepared(tokens, leaves, public_leaves, numbers, public, open311_key)


def with_public_share(
    stream: Iterator[dict[str, Any]], public_leaves: list[int], rng: random.Random, share: float = 0.3
) -> Iterator[dict[str, Any]]:
    """The intakes with `share` of them in a public Open311 service, so Open311's reads find orders."""
    for payload in stream:
        if public_leaves and rng.random() < share:
            payload = {**payload, "category": rng.choice(public_leaves)}
        yield payload


# --- the load -----------------------------------------------------------------------------------------------------


@dataclass
class ClassFigures:
    latencies: list[float] = field(default_factory=list)  # seconds from the scheduled moment to the final answer
    statuses: Counter[str] = field(default_factory=Counter)


@dataclass
class Failure:
    at: float  # monotonic
    kind: str
    what: str  # status or exception name
    server_error: bool  # a 5xx or a connection error (what a fault causes), not an answer such as a 404


class Load:
    """Open-loop load: a scheduler enqueues each request at its moment, `clients` threads send them."""

    def __init__(self, args: argparse.Namespace, prepared: Prepared, payloads: list[dict[str, Any]]):
        self.args, self.prepared, self.payloads = args, prepared, payloads
        self.rng = random.Random(args.seed)
        self.jobs: queue.Queue[tuple[str, float, int] | None] = queue.Queue()
        self.lock = threading.Lock()
        self.step = 0
        self.figures: dict[int, dict[str, ClassFigures]] = {}
        self.failures: list[Failure] = []
        self.retries = 0
        self.replays = 0
        self.gave_up = 0
        self.answered: dict[str, str] = {}  # marker -> order number of the 201 answer
        self.sample_errors: list[str] = []
        self.numbers = list(prepared.numbers)
        self.counter = itertools.count()
        self.started = 0.0

    # The scheduler: steps of (intake rate, seconds); the reads cycle through the classes in a fixed order.
    def run(self, steps: list[tuple[float, float]], on_step: Any = None) -> None:
        threads = [threading.Thread(target=self._client, daemon=True) for _ in range(self.args.clients)]
        for t in threads:
            t.start()
        self.started = time.monotonic()
        at = self.started
        last_progress = self.started
        for index, (rate, seconds) in enumerate(steps):
            self.step = index
            self.figures[index] = {name: ClassFigures() for name in (INTAKE, *READ_CLASSES)}
            step_end = at + seconds
            reads_per_s = rate * self.args.reads_per_intake
            total_per_s = rate + reads_per_s
            intake_share = rate / total_per_s
            read_cycle = itertools.cycle(READ_CLASSES)
            credit = 0.0
            while at < step_end:
                delay = at - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                # Fixed proportions without randomness: an intake whenever its share has accumulated.
                credit += intake_share
                if credit >= 1 - 1e-9:
                    credit -= 1
                    self.jobs.put((INTAKE, at, index))
                else:
                    self.jobs.put((next(read_cycle), at, index))
                now = time.monotonic()
                if now - last_progress >= 10:
                    last_progress = now
                    print(self.progress(now), flush=True)
                at += 1 / total_per_s
            # Requests the server could not keep up with are still sent (open loop: their latency shows the backlog)
            # and answered before the step is judged; the next step starts from an empty queue.
            while self.jobs.unfinished_tasks:
                time.sleep(0.2)
                now = time.monotonic()
                if now - last_progress >= 10:
                    last_progress = now
                    print(self.progress(now) + " (step's schedule done, finishing its requests)", flush=True)
            # --find-rate stops at the first step that does not hold: higher rates would only queue up more.
            if on_step is not None and on_step(index) is False:
                break
            at = max(at, time.monotonic())
        for _ in threads:
            self.jobs.put(None)
        for t in threads:
            t.join(timeout=RETRY_GIVE_UP + 120)

    def warm_up(self, rounds: int) -> None:
        """Each read class `rounds` times, unmeasured: first requests load code and caches in every worker."""
        conn = http.client.HTTPConnection("127.0.0.1", self.args.port, timeout=60)
        for _ in range(rounds):
            for kind in READ_CLASSES:
                conn, _status = self._read(conn, kind)
        conn.close()
        with self.lock:
            self.failures.clear()
            self.sample_errors.clear()

    def progress(self, now: float) -> str:
        with self.lock:
            figures = self.figures[self.step]
            done = {name: len(f.latencies) for name, f in figures.items()}
            failures = sum(1 for f in self.failures if f.server_error)
        return (
            f"  {now - self.started:5.0f} s: {done[INTAKE]} intakes, {sum(done.values()) - done[INTAKE]} reads "
            f"this step, {self.jobs.qsize()} waiting in the client, {failures} 5xx/connection errors, "
            f"{self.retries} retries"
        )

    def _client(self) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self.args.port, timeout=60)
        while True:
            job = self.jobs.get()
            if job is None:
                break
            kind, scheduled, step = job
            try:
                if kind == INTAKE:
                    conn, status = self._intake(conn, kind)
                else:
                    conn, status = self._read(conn, kind)
                finished = time.monotonic()
                with self.lock:
                    figures = self.figures[step][kind]
                    figures.latencies.append(finished - scheduled)
                    figures.statuses[status] += 1
            finally:
                self.jobs.task_done()  # run() waits for every request of a step before judging it
        conn.close()

    def _send(
        self, conn: http.client.HTTPConnection, method: str, path: str, body: bytes | None, headers: dict[str, str]
    ) -> tuple[http.client.HTTPConnection, int, bytes, dict[str, str], str]:
        """One attempt; on a connection error a fresh connection for the next one. Returns conn, status (0 on a
        connection error), body, headers (names in lower case), and the status or the error's name."""
        try:
            conn.request(method, path, body, headers)
            response = conn.getresponse()
            data = response.read()
            return conn, response.status, data, {k.lower(): v for k, v in response.getheaders()}, str(response.status)
        except (OSError, http.client.HTTPException) as exc:
            conn.close()
            fresh = http.client.HTTPConnection("127.0.0.1", self.args.port, timeout=60)
            return fresh, 0, str(exc).encode(), {}, type(exc).__name__

    def _failed(self, kind: str, status: int, what: str, data: bytes) -> None:
        with self.lock:
            self.failures.append(Failure(time.monotonic(), kind, what, status == 0 or status >= 500))
            if len(self.sample_errors) < 8:
                text = " ".join(data[:300].decode(errors="replace").split())  # an HTML page on one line
                self.sample_errors.append(f"{kind} {what}: {text[:200]}")

    def _intake(self, conn: http.client.HTTPConnection, kind: str) -> tuple[http.client.HTTPConnection, str]:
        i = next(self.counter)
        marker = uuid.uuid4().hex
        payload = dict(self.payloads[i % len(self.payloads)])
        payload["content"] = f"{payload['content']}\n[bench-marker {marker}]"
        body = json.dumps(payload, ensure_ascii=False).encode()
        headers = {
            "Content-Type": "application/json",
            "Authorization": f"Token {self.prepared.tokens['operator']}",
            "Idempotency-Key": marker,  # one key per intended order, kept across retries
            "X-Forwarded-For": STAFF_ADDRESS,
        }
        first = time.monotonic()
        delay = RETRY_FIRST_DELAY
        while True:
            conn, status, data, answer_headers, what = self._send(conn, "POST", "/api/v1/workorders/", body, headers)
            if status == 201:
                number = str(json.loads(data).get("number", ""))
                with self.lock:
                    self.answered[marker] = number
                    self.numbers.append(number)
                    if answer_headers.get("idempotent-replayed", "").lower() == "true":
                        self.replays += 1
                return conn, what
            self._failed(kind, status, what, data)
            retryable = status == 0 or status >= 500
            if not retryable or time.monotonic() - first + delay > RETRY_GIVE_UP:
                if retryable:
                    with self.lock:
                        self.gave_up += 1
                return conn, what
            time.sleep(delay)
            delay = min(delay * 2, RETRY_MAX_DELAY)
            with self.lock:
                self.retries += 1

    def _read(self, conn: http.client.HTTPConnection, kind: str) -> tuple[http.client.HTTPConnection, str]:
        tokens = self.prepared.tokens
        with self.lock:
            number = self.rng.choice(self.numbers)
            public = self.rng.choice(self.prepared.public_numbers)
            page = self.rng.randint(1, 5)
            open311 = {"X-Forwarded-For": f"10.17.{self.rng.randint(0, 3)}.{self.rng.randint(1, 254)}"}
        staff = {"Authorization": f"Token {tokens['dispatcher']}", "X-Forwarded-For": STAFF_ADDRESS}
        if kind == "workorder_list":
            path, headers = f"/api/v1/workorders/?page={page}", staff
        elif kind == "workorder_detail":
            path, headers = f"/api/v1/workorders/{number}/", staff
        elif kind == "stats_overview":
            path = "/api/v1/stats/overview/"
            headers = {"Authorization": f"Token {tokens['supervisor']}", "X-Forwarded-For": STAFF_ADDRESS}
        elif kind == "open311_list":
            path, headers = "/open311/v2/requests.json?" + urlencode({"page_size": 50, "page": page}), open311
        else:
            path, headers = f"/open311/v2/requests/{public}.json", open311
        conn, status, data, _headers, what = self._send(conn, "GET", path, None, headers)
        if status != 200:
            self._failed(kind, status, what, data)
        return conn, what


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def class_summary(figures: ClassFigures, seconds: float) -> dict[str, Any]:
    ms = [x * 1000 for x in figures.latencies]
    ok = sum(n for status, n in figures.statuses.items() if status in {"200", "201"})
    return {
        "requests": len(ms),
        "ok": ok,
        "per_s": round(len(ms) / seconds, 1) if seconds else None,
        "statuses": dict(figures.statuses),
        **{f"p{p}_ms": round(percentile(ms, p), 1) if ms else None for p in (50, 95, 99)},
        "max_ms": round(max(ms), 1) if ms else None,
    }


# --- faults -------------------------------------------------------------------------------------------------------


def children(pid: int) -> list[int]:
    """The direct children of `pid` (Linux /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name (2nd field) may hold spaces; the parent pid is the 2nd field after its closing ")".
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return found


def pid_from(path: Path) -> int:
    return int(path.read_text().split()[0])


def process_state(pid: int) -> str:
    """The state letter of /proc/<pid>/stat (R running, S sleeping, …); "" when it is gone."""
    try:
        return (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return ""


def connections_served(port: int) -> set[str]:
    """Socket inodes of the established TCP connections whose local port is `port` (the server's side)."""
    inodes: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "01":  # 01: ESTABLISHED
                inodes.add(fields[9])
    return inodes


def holds_connection(pid: int, inodes: set[str]) -> bool:
    """Whether the process has one of these sockets open: a sync worker holds a client's only while serving it."""
    try:
        fds = list((Path("/proc") / str(pid) / "fd").iterdir())
    except OSError:
        return False
    for fd in fds:
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:[") and target[8:-1] in inodes:
            return True
    return False


def kill_gunicorn_worker(var_dir: Path, port: int, look_for_busy: float = 5) -> str:
    """kill -9 a worker in the middle of a request (a sync worker idles between requests, and killing an idle one
    tests nothing), looked for during `look_for_busy` seconds; else any worker."""
    master = pid_from(var_dir / "serve" / "gunicorn.pid")
    deadline = time.monotonic() + look_for_busy
    while True:
        workers = children(master)
        served = connections_served(port)
        busy = [pid for pid in workers if holds_connection(pid, served)]
        if busy or time.monotonic() > deadline:
            break
        time.sleep(0.002)
    if not workers:
        return f"gunicorn master {master} has no workers to kill"
    victim = random.choice(busy or workers)
    os.kill(victim, signal.SIGKILL)
    return f"kill -9 gunicorn worker {victim} ({'serving a request' if busy else 'idle'}; master {master})"


def kill_task_worker(var_dir: Path) -> str:
    pid = pid_from(var_dir / "serve" / "tasks.pid")
    os.kill(pid, signal.SIGKILL)
    return f"kill -9 task worker {pid}"


def pg_control(*arguments: str) -> list[str]:
    """pg_ctl as run_pg.sh runs it (as the postgres user when it was started that way)."""
    command = [str(Path(os.environ["BENCH_PG_BIN"]) / "pg_ctl"), *arguments]
    as_user = os.environ.get("BENCH_PG_AS", "")
    return ["runuser", "-u", as_user, "--", *command] if as_user else command


def kill_postgres(pause: float = 5) -> str:
    """kill -9 the postmaster and every backend, wait, start it again with run_pg.sh's options (crash recovery)."""
    data = Path(os.environ["BENCH_PG_DATA"])
    postmaster = pid_from(data / "postmaster.pid")
    victims = [postmaster, *children(postmaster)]
    for pid in victims:
        with contextlib.suppress(ProcessLookupError):  # a backend that exited meanwhile
            os.kill(pid, signal.SIGKILL)
    time.sleep(pause)
    log = os.environ.get("BENCH_PG_LOG") or str(data.parent / "log")
    start = pg_control("-D", str(data), "-l", log, "-w", "-t", "120", "-o", os.environ["BENCH_PG_OPTIONS"], "start")
    result = subprocess.run(start, capture_output=True, text=True, check=False)
    state = "restarted" if result.returncode == 0 else f"restart FAILED ({result.stderr.strip()[:200]})"
    return f"kill -9 PostgreSQL ({len(victims)} processes, postmaster {postmaster}); {state} after {pause:.0f} s"


class Faults:
    """The three kills at 1/4, 2/4 and 3/4 of the run, in a thread of their own (the PostgreSQL restart waits)."""

    def __init__(self, db: str, var_dir: Path, port: int, minutes: float, started: float):
        total = minutes * 60
        self.plan = [
            (total / 4, "gunicorn_worker", lambda: kill_gunicorn_worker(var_dir, port)),
            (total / 2, "task_worker", lambda: kill_task_worker(var_dir)),
        ]
        if db == "postgres":
            self.plan.append((total * 3 / 4, "postgresql", kill_postgres))
        self.started = started
        self.log: list[dict[str, Any]] = []
        self.moments: list[float] = []
        self.thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        self.thread.start()

    def _run(self) -> None:
        for offset, name, action in self.plan:
            delay = self.started + offset - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            at = time.monotonic()
            self.moments.append(at)
            try:
                what = action()
            except (OSError, ValueError, KeyError) as exc:
                what = f"{name} not killed: {exc}"
            entry = {"fault": name, "at_s": round(at - self.started, 1), "what": what}
            self.log.append(entry)
            print(f"  FAULT at {entry['at_s']} s: {what}", flush=True)

    def during(self, moment: float) -> bool:
        return any(0 <= moment - at <= FAULT_WINDOW_SECONDS for at in self.moments)


# --- afterwards ---------------------------------------------------------------------------------------------------


def run_orders(run_started_at: Any) -> dict[str, list[str]]:
    """marker -> numbers of the orders holding it, for every order registered since the run started."""
    from django.db import connections

    from govdesk.workorders.models import WorkOrder

    found: dict[str, list[str]] = {}
    rows = WorkOrder.objects.filter(created_at__gte=run_started_at).values_list("number", "content")
    for number, content in rows.iterator():
        for marker in MARKER_RE.findall(content or ""):
            found.setdefault(marker, []).append(number)
    connections.close_all()
    return found


def model_usable() -> str | None:
    """None when the dispatch model loads, else why not."""
    from govdesk.dispatch import selectors
    from govdesk.dispatch.core.classifier import ModelUnavailable

    try:
        selectors.dispatch_model()
    except ModelUnavailable as exc:
        return str(exc)
    return None


def missing_suggestions(numbers: list[str]) -> int:
    """Open orders of `numbers` without a dispatch suggestion."""
    from django.db import connections

    from govdesk.workorders.models import WorkOrder

    count = (
        WorkOrder.objects.filter(number__in=numbers, is_open=True, dispatch_suggestions__isnull=True).distinct().count()
    )
    connections.close_all()
    return count


def drain(numbers: list[str], timeout: float) -> dict[str, Any]:
    started = time.monotonic()
    last_print = 0.0
    missing = missing_suggestions(numbers)
    while missing and time.monotonic() - started < timeout:
        if time.monotonic() - last_print >= 10:
            print(f"  draining: {missing} of {len(numbers)} orders still without a suggestion", flush=True)
            last_print = time.monotonic()
        time.sleep(2)
        missing = missing_suggestions(numbers)
    return {"seconds": round(time.monotonic() - started, 1), "without_suggestion": missing}


def manage_exit_code(env: dict[str, str], command: str) -> int:
    result = subprocess.run(
        [sys.executable, "manage.py", command], env=env, cwd=ROOT, capture_output=True, text=True, check=False
    )
    tail = (result.stdout + result.stderr).strip().splitlines()[-3:]
    print(f"  manage.py {command}: exit {result.returncode} {' | '.join(tail)[:300]}", flush=True)
    return result.returncode


# --- main ---------------------------------------------------------------------------------------------------------


def steps_for(args: argparse.Namespace) -> list[tuple[float, float]]:
    if not args.find_rate:
        return [(args.rate, args.minutes * 60)]
    rates, rate = [], args.find_start
    while rate <= args.find_max + 1e-9:
        rates.append((rate, args.step_seconds))
        rate += args.find_step
    return rates


def main() -> None:
    args = parse()
    load_at_start = os.getloadavg()
    if args.faults and args.find_rate:
        sys.exit("--faults and --find-rate measure different things: run them separately")
    if args.faults and args.db == "postgres" and not os.environ.get("BENCH_PG_DATA"):
        sys.exit("--faults on PostgreSQL needs bench/run_pg.sh's server (BENCH_PG_*): BENCH=bench/load_mixed.py …")
    model = os.environ.get("GOVDESK_DISPATCH_MODEL_PATH") or (str(DEFAULT_MODEL) if DEFAULT_MODEL.is_file() else "")
    if model:
        os.environ["GOVDESK_DISPATCH_MODEL_PATH"] = model
    os.environ.pop("GOVDESK_REDIS_URL", None)  # the queue is a file in the run's directory
    os.environ.pop("GOVDESK_TASKS_IMMEDIATE", None)
    env, tmp = base.prepare_environment(args)
    # serve runs the production settings: Open311 allows 3000 requests an hour per address. As behind the intranet's
    # proxy, the client's address comes from X-Forwarded-For, and the load's Open311 clients use many addresses.
    env["GOVDESK_BEHIND_PROXY"] = "1"
    assert tmp is not None  # serve: prepare_environment always makes the run's directory
    var_dir = Path(tmp)
    print(f"preparing the database ({args.db}, {args.existing} existing orders) in {var_dir}", flush=True)
    prepared = prepare_database(args.existing, args.seed)
    no_model = model_usable()
    if no_model:
        print(f"  no usable dispatch model ({no_model}): the suggestion check is skipped", flush=True)
    from django.utils import timezone

    from bench.intakes import intakes

    stream = with_public_share(intakes(prepared.leaves, seed=args.seed + 1), prepared.public_leaves, random.Random(1))
    payloads = [next(stream) for _ in range(2000)]
    steps = steps_for(args)
    # The server's own log (tracebacks of the requests a fault broke) in a file, the benchmark's progress on screen.
    serve_log = Path(tempfile.mkdtemp(prefix="govdesk-load-mixed-log-")) / "serve.log"
    print(f"starting manage.py serve on port {args.port} (its output: {serve_log})", flush=True)
    server = base.start_serve(args.port, args.workers, args.threads, env, task_workers=args.task_workers, log=serve_log)
    load = Load(args, prepared, payloads)
    faults: Faults | None = None
    step_figures: list[dict[str, Any]] = []
    run_started_at = timezone.now() - timedelta(seconds=1)

    def step_done(index: int) -> bool:
        rate, seconds = steps[index]
        with load.lock:
            figures = {name: class_summary(f, seconds) for name, f in load.figures[index].items()}
        reads_p99 = [figures[name]["p99_ms"] for name in READ_CLASSES]
        holds = all(p is not None and p <= args.p99_limit_ms for p in reads_p99) and all(
            figures[name]["ok"] == figures[name]["requests"] for name in READ_CLASSES
        )
        step_figures.append({"rate": rate, "seconds": seconds, "holds": holds, "classes": figures})
        if args.find_rate:
            print(f"  step {rate:g}/s: read p99 {reads_p99} ms -> {'holds' if holds else 'FAILS'}", flush=True)
        return holds or not args.find_rate

    try:
        load.warm_up(rounds=2 * args.workers)
        if args.faults:
            faults = Faults(args.db, var_dir, args.port, args.minutes, time.monotonic())
            faults.start()
        load.run(steps, on_step=step_done)
        if faults is not None:
            faults.thread.join(timeout=180)
        numbers = list(load.answered.values())
        drained: dict[str, Any] = {"skipped": no_model} if no_model else drain(numbers, args.drain_timeout)
    finally:
        base.stop_serve(server)
    found = run_orders(run_started_at)
    answered = load.answered
    stored_once = sum(1 for marker in answered if len(found.get(marker, [])) == 1)
    lost = [marker for marker in answered if marker not in found]
    doubled = {marker: numbers for marker, numbers in found.items() if len(numbers) > 1}
    wrong_number = [m for m, n in answered.items() if len(found.get(m, [])) == 1 and found[m][0] != n]
    audit_exit = manage_exit_code(env, "audit_verify")
    rollup_exit = manage_exit_code(env, "stats_rollup_verify")
    server_errors = [f for f in load.failures if f.server_error]
    during = sum(1 for f in server_errors if faults is not None and faults.during(f.at))
    checks = {
        "answered_201": len(answered),
        "stored_exactly_once": stored_once,
        "lost": len(lost),
        "markers_stored_twice": len(doubled),
        "answered_number_differs": len(wrong_number),
        "orders_of_run_in_db": sum(len(v) for v in found.values()),
        "without_suggestion": drained.get("without_suggestion"),
        "audit_verify_exit": audit_exit,
        "stats_rollup_verify_exit": rollup_exit,
    }
    passed = (
        stored_once == len(answered)
        and not lost
        and not doubled
        and not wrong_number
        and (no_model is not None or drained.get("without_suggestion") == 0)
        and audit_exit == 0
        and rollup_exit == 0
    )
    highest = None
    if args.find_rate:
        for step in step_figures:
            if not step["holds"]:
                break
            highest = step["rate"]
    summary: dict[str, Any] = {
        "db": args.db,
        "mode": "find-rate" if args.find_rate else ("faults" if args.faults else "steady"),
        "minutes": args.minutes,
        "rate": args.rate,
        "reads_per_intake": args.reads_per_intake,
        "existing_orders": args.existing,
        "serve": f"{args.workers}x{args.threads}, {args.task_workers} task workers",
        "clients": args.clients,
        "load_average_at_start": load_at_start,
        "steps": step_figures,
        "highest_rate_holding": highest,
        "p99_limit_ms": args.p99_limit_ms,
        "intake_retries": load.retries,
        "intake_replayed_answers": load.replays,
        "intake_gave_up": load.gave_up,
        # 5xx and connection errors (each attempt, retried ones included), by the time since the last kill.
        "server_errors": {
            "during_faults": during,
            "outside_faults": len(server_errors) - during,
            "by_class": dict(Counter(f"{f.kind} {f.what}" for f in server_errors)),
        },
        "other_failed_answers": dict(Counter(f"{f.kind} {f.what}" for f in load.failures if not f.server_error)),
        "faults": faults.log if faults else [],
        "drain": drained,
        "checks": checks,
        "passed": passed,
        "error_samples": load.sample_errors,
        "serve_log": str(serve_log),
        "model": model or None,
        "machine": base.machine(),
    }
    print_summary(summary)
    base.RESULTS.mkdir(parents=True, exist_ok=True)
    out = base.RESULTS / f"load-mixed-{args.db}-{time.strftime('%Y%m%dT%H%M%S')}.json"
    out.write_text(json.dumps(summary, indent=2, ensure_ascii=False))
    print(f"written {out.relative_to(ROOT)}")
    shutil.rmtree(var_dir, ignore_errors=True)
    if passed:
        shutil.rmtree(serve_log.parent, ignore_errors=True)
    else:
        print(f"  the server's log is kept: {serve_log}")
    sys.exit(0 if passed else 1)


def print_summary(summary: dict[str, Any]) -> None:
    print(
        f"\n{summary['db']} {summary['mode']}: serve {summary['serve']}; load average at start "
        f"{' '.join(f'{x:.2f}' for x in summary['load_average_at_start'])}"
    )
    for step in summary["steps"]:
        print(f"  rate {step['rate']:g} intakes/s for {step['seconds']:g} s:")
        for name, f in step["classes"].items():
            print(
                f"    {name:17} {f['requests']:6} req {f['per_s']:6}/s  p50 {f['p50_ms']} p95 {f['p95_ms']} "
                f"p99 {f['p99_ms']} max {f['max_ms']} ms  {f['statuses']}"
            )
    if summary["mode"] == "find-rate":
        print(
            f"  highest rate with every read class p99 ≤ {summary['p99_limit_ms']:g} ms: "
            f"{summary['highest_rate_holding']}"
        )
    failed = summary["server_errors"]
    print(
        f"  intake retries {summary['intake_retries']}, replayed answers {summary['intake_replayed_answers']}, "
        f"gave up {summary['intake_gave_up']}; 5xx/connection errors: {failed['during_faults']} during faults "
        f"(≤ {FAULT_WINDOW_SECONDS} s after a kill), {failed['outside_faults']} outside {failed['by_class']}; "
        f"other failed answers {summary['other_failed_answers']}"
    )
    for entry in summary["faults"]:
        print(f"  fault at {entry['at_s']} s: {entry['what']}")
    for sample in summary["error_samples"][:4]:
        print("  error sample:", sample)
    print(f"  drain: {summary['drain']}")
    print(f"  checks: {summary['checks']} -> {'PASSED' if summary['passed'] else 'FAILED'}")


if __name__ == "__main__":
    main()
