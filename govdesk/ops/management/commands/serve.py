"""`manage.py serve`: the production stack on one machine (gunicorn + the task worker), supervised (`make serve`).

Its children run `govdesk.settings.prod`, on the embedded SQLite (or DATABASE_URL). On a loopback address it needs no
configuration after `make run`: the keys come from the environment or the files under VAR_DIR that `make run` wrote
(govdesk/settings/local_secrets.py), and plain HTTP is allowed. docs/deployment.md has the variables for a server
behind the intranet's TLS proxy.
"""

from __future__ import annotations

import hashlib
import ipaddress
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from types import FrameType
from typing import Any

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.management.base import BaseCommand, CommandError, CommandParser

from govdesk.settings.local_secrets import local_secrets_resolve

PROD_SETTINGS = "govdesk.settings.prod"
# The children's static storage (govdesk/settings/prod.py): part of the collected files' fingerprint.
PROD_STATIC_STORAGE = "whitenoise.storage.CompressedManifestStaticFilesStorage"
# How often the supervisor looks at its children: a dead task worker is back within this (plus its start).
POLL_SECONDS = 0.5
GRACEFUL_TIMEOUT_SECONDS = 10
# A task worker that dies this soon after its start waits CRASH_LOOP_PAUSE_SECONDS before the next one (still within
# the 2 s the contract allows), so a broken configuration does not spin.
CRASH_LOOP_SECONDS = 10
CRASH_LOOP_PAUSE_SECONDS = 1.4
# Beyond this, more sync workers only add memory and database contention on a small server.
MAX_DEFAULT_WORKERS = 8


def is_loopback(host: str) -> bool:
    """Whether binding host keeps the server on this machine (no one else can reach it over plain HTTP)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def default_workers(cpu_count: int | None = None) -> int:
    """gunicorn's usual 2 × cores, capped."""
    cores = cpu_count if cpu_count is not None else (os.cpu_count() or 1)
    return max(1, min(2 * cores, MAX_DEFAULT_WORKERS))


def _host_for_header(host: str) -> str:
    return f"[{host.strip('[]')}]" if ":" in host else host


def serve_environment(
    environ: Mapping[str, str], *, host: str, var_dir: Path, local_secrets: Mapping[str, str]
) -> dict[str, str]:
    """The children's environment: production settings, the keys, and plain HTTP only on a loopback address.

    Values already in environ win (setdefault), so the documented variables restore the strict values when a TLS
    proxy on the same machine forwards to a loopback port."""
    env = dict(environ)
    env["DJANGO_SETTINGS_MODULE"] = PROD_SETTINGS
    env["GOVDESK_VAR_DIR"] = str(var_dir)
    for name, value in local_secrets.items():
        env.setdefault(name, value)
    hosts = ["127.0.0.1", "localhost"]
    if _host_for_header(host) not in hosts:
        hosts.append(_host_for_header(host))
    env.setdefault("DJANGO_ALLOWED_HOSTS", ",".join(hosts))
    if is_loopback(host):
        env.setdefault("DJANGO_SECURE_SSL_REDIRECT", "0")
        env.setdefault("GOVDESK_BEHIND_PROXY", "0")
        env.setdefault("DJANGO_HSTS_SECONDS", "0")
        env.setdefault("DJANGO_SECURE_COOKIES", "0")
    # The children's output reaches the terminal (or the log) at once, not when a buffer fills.
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


def gunicorn_command(*, python: str, host: str, port: int, workers: int, threads: int, pid_file: Path) -> list[str]:
    """The gunicorn command line: sync workers unless threads > 1, no access log, a short graceful stop."""
    command = [python, "-m", "gunicorn", "govdesk.wsgi:application"]
    command += ["--bind", f"{_host_for_header(host)}:{port}", "--workers", str(workers)]
    if threads > 1:
        command += ["--worker-class", "gthread", "--threads", str(threads)]
    else:
        command += ["--worker-class", "sync"]
    command += ["--pid", str(pid_file), "--graceful-timeout", str(GRACEFUL_TIMEOUT_SECONDS)]
    # gunicorn's control socket defaults to one path per user (~/.gunicorn/gunicorn.ctl): a second server on the
    # machine (a benchmark beside `make serve`) would take it over. This command supervises; the socket is not needed.
    command += ["--no-control-socket"]
    return command


def task_worker_command(*, python: str, manage: Path, task_workers: int) -> list[str]:
    """The huey consumer; --flush-locks frees the periodic tasks' locks a killed worker left behind."""
    return [python, str(manage), "run_huey", "--workers", str(task_workers), "--flush-locks"]


def _pid_in(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


STATIC_STAMP_NAME = ".serve-static-stamp"


def static_sources_fingerprint() -> str:
    """A digest of every static file the finders see (name, size, modification time) and the storage class.

    collectstatic with the compressing manifest storage takes most of a minute even when nothing changed (it
    compresses every file again); serve runs it only when this digest differs from the one of its last run."""
    digest = hashlib.sha256(PROD_STATIC_STORAGE.encode())
    entries = []
    for finder in finders.get_finders():
        for path, storage in finder.list([]):
            stat = os.stat(storage.path(path))
            prefix = getattr(storage, "prefix", None) or ""
            entries.append(f"{prefix}/{path}\0{stat.st_size}\0{stat.st_mtime_ns}")
    for entry in sorted(entries):
        digest.update(entry.encode() + b"\n")
    return digest.hexdigest()


def static_collected(static_root: Path, fingerprint: str) -> bool:
    """Whether static_root holds a finished collectstatic of exactly these sources."""
    stamp = static_root / STATIC_STAMP_NAME
    return (static_root / "staticfiles.json").exists() and stamp.exists() and stamp.read_text().strip() == fingerprint


class Command(BaseCommand):
    help = (
        "Run the production stack (gunicorn and the task worker) on this machine, supervised; see docs/deployment.md."
    )
    # The children run the checks that matter (with the production settings); this process only starts them.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
        parser.add_argument(
            "--port", type=int, default=int(os.environ.get("PORT") or 8000), help="port (default $PORT or 8000)"
        )
        parser.add_argument("--workers", type=int, default=None, help="gunicorn processes (default 2 × cores, ≤ 8)")
        parser.add_argument("--threads", type=int, default=1, help="threads per gunicorn process (default 1: sync)")
        parser.add_argument("--task-workers", type=int, default=2, help="task worker threads (default 2)")
        parser.add_argument("--no-tasks", action="store_true", help="start no task worker (one runs elsewhere)")

    def handle(self, *args: Any, **options: Any) -> None:
        workers = options["workers"] or default_workers()
        if workers < 1 or options["threads"] < 1 or options["task_workers"] < 1:
            raise CommandError("--workers, --threads and --task-workers must be at least 1.")
        if not 0 < options["port"] < 65536:
            raise CommandError("--port must be between 1 and 65535.")
        var_dir = Path(settings.VAR_DIR)
        run_dir = var_dir / "serve"
        run_dir.mkdir(parents=True, exist_ok=True)
        base_dir = Path(settings.BASE_DIR)
        manage = base_dir / "manage.py"
        python = sys.executable
        env = serve_environment(
            os.environ,
            host=options["host"],
            var_dir=var_dir,
            local_secrets=local_secrets_resolve(var_dir=var_dir),
        )
        static_root = Path(settings.STATIC_ROOT)
        static_fingerprint = static_sources_fingerprint()
        steps = [["migrate", "--noinput"], ["createcachetable"]]
        if not static_collected(static_root, static_fingerprint):
            steps.append(["collectstatic", "--noinput", "-v0"])
        for step in steps:
            self.stdout.write(f"serve: manage.py {' '.join(step)}")
            self.stdout.flush()
            done = subprocess.run([python, str(manage), *step], env=env, cwd=base_dir, check=False)  # noqa: S603 (our own manage.py)
            if done.returncode != 0:
                raise CommandError(f"manage.py {step[0]} failed (exit code {done.returncode}).")
            if step[0] == "collectstatic":
                (static_root / STATIC_STAMP_NAME).write_text(static_fingerprint + "\n")

        gunicorn_pid = run_dir / "gunicorn.pid"
        tasks_pid = run_dir / "tasks.pid"
        tasks_log = var_dir / "tasks.log"
        self._stopping = False
        previous = {sig: signal.signal(sig, self._on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
        gunicorn: subprocess.Popen[bytes] | None = None
        tasks: subprocess.Popen[bytes] | None = None
        try:
            gunicorn = subprocess.Popen(  # noqa: S603 (our own command line)
                gunicorn_command(
                    python=python,
                    host=options["host"],
                    port=options["port"],
                    workers=workers,
                    threads=options["threads"],
                    pid_file=gunicorn_pid,
                ),
                env=env,
                cwd=base_dir,
            )
            worker_command = task_worker_command(python=python, manage=manage, task_workers=options["task_workers"])
            tasks_started = time.monotonic()
            if not options["no_tasks"]:
                tasks = self._task_worker_start(worker_command, env, base_dir, tasks_log, tasks_pid)
            self.stdout.write(
                f"GovDesk: http://{_host_for_header(options['host'])}:{options['port']}/  "
                f"(gunicorn pid file: {gunicorn_pid}"
                + (f"; task worker pid file: {tasks_pid}, log: {tasks_log}" if tasks else "; no task worker")
                + ")"
            )
            self.stdout.flush()
            while not self._stopping:
                code = gunicorn.poll()
                if code is not None:
                    self.stderr.write(f"serve: gunicorn exited ({code}); stopping the task worker")
                    self._stop(tasks, signal.SIGINT)
                    # Killed by a signal: the shell's convention, 128 + its number.
                    sys.exit(code if code >= 0 else 128 - code)
                if tasks is not None and (tasks_code := tasks.poll()) is not None:
                    if time.monotonic() - tasks_started < CRASH_LOOP_SECONDS:
                        # It died right after starting (a broken configuration): do not restart it in a tight loop.
                        time.sleep(CRASH_LOOP_PAUSE_SECONDS)
                    tasks_started = time.monotonic()
                    tasks = self._task_worker_start(worker_command, env, base_dir, tasks_log, tasks_pid)
                    self.stderr.write(f"serve: task worker exited ({tasks_code}); restarted (pid {tasks.pid})")
                time.sleep(POLL_SECONDS)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            # SIGINT is huey's graceful stop: running tasks finish (SIGTERM would drop them).
            self._stop(tasks, signal.SIGINT)
            self._stop(gunicorn)
            tasks_pid.unlink(missing_ok=True)
            # gunicorn leaves its pid file behind when it fails to start (a taken port): a pid that may be reused.
            if gunicorn is not None and _pid_in(gunicorn_pid) == gunicorn.pid:
                gunicorn_pid.unlink(missing_ok=True)
        self.stdout.write("serve: stopped")

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        # Only a flag: the loop sees it within POLL_SECONDS and stops both children in order, outside the handler
        # (raising here could leave a task worker started but not yet recorded).
        self._stopping = True

    def _task_worker_start(
        self, command: list[str], env: dict[str, str], cwd: Path, log: Path, pid_file: Path
    ) -> subprocess.Popen[bytes]:
        with log.open("ab") as out:
            process = subprocess.Popen(command, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT)  # noqa: S603
        # Written whole, then renamed: a reader (a benchmark killing the worker) never sees a half-written pid.
        temporary = pid_file.with_suffix(".tmp")
        temporary.write_text(f"{process.pid}\n")
        temporary.replace(pid_file)
        return process

    @staticmethod
    def _stop(process: subprocess.Popen[bytes] | None, stop_signal: int = signal.SIGTERM) -> None:
        if process is None or process.poll() is not None:
            return
        process.send_signal(stop_signal)
        try:
            process.wait(timeout=GRACEFUL_TIMEOUT_SECONDS + 5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
