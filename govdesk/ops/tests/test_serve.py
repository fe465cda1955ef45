"""`manage.py serve` (`make serve`): the children's environment and command lines, the keys shared with `make run`, and
one real start: migrate, gunicorn answering, the task worker restarted after a kill, everything gone after SIGTERM."""

from __future__ import annotations

import importlib
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from contextlib import closing
from pathlib import Path
from typing import IO, Any

import pytest
from django.conf import settings
from django.db import connection

from govdesk.ops.management.commands.serve import (
    PROD_SETTINGS,
    default_workers,
    gunicorn_command,
    is_loopback,
    serve_environment,
    static_collected,
)
from govdesk.settings.local_secrets import LOCAL_SECRETS, local_secret, local_secrets_resolve

KEYS = {"DJANGO_SECRET_KEY": "s", "GOVDESK_FIELD_KEYS": "k1:f", "GOVDESK_BLIND_INDEX_KEY": "b"}
RELAXED = {
    "DJANGO_SECURE_SSL_REDIRECT": "0",
    "GOVDESK_BEHIND_PROXY": "0",
    "DJANGO_HSTS_SECONDS": "0",
    "DJANGO_SECURE_COOKIES": "0",
}


# --- the environment of the children ---------------------------------------------------------------------------------


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "localhost", "::1", "[::1]"])
def test_loopback_gets_production_settings_over_plain_http(host: str, tmp_path: Path) -> None:
    env = serve_environment({"PATH": "/bin"}, host=host, var_dir=tmp_path, local_secrets=KEYS)
    assert env["DJANGO_SETTINGS_MODULE"] == PROD_SETTINGS == "govdesk.settings.prod"
    assert env["GOVDESK_VAR_DIR"] == str(tmp_path)
    assert env["PATH"] == "/bin"
    assert {name: env[name] for name in KEYS} == KEYS
    assert {name: env[name] for name in RELAXED} == RELAXED
    hosts = env["DJANGO_ALLOWED_HOSTS"].split(",")
    assert hosts[:2] == ["127.0.0.1", "localhost"]
    assert ("[::1]" in hosts) == (":" in host)


@pytest.mark.parametrize("host", ["0.0.0.0", "10.1.2.3", "govdesk.intranet"])  # noqa: S104 (the value under test)
def test_a_reachable_address_keeps_the_strict_https_settings(host: str, tmp_path: Path) -> None:
    env = serve_environment({}, host=host, var_dir=tmp_path, local_secrets=KEYS)
    assert not set(RELAXED) & set(env)
    assert env["DJANGO_ALLOWED_HOSTS"] == f"127.0.0.1,localhost,{host}"


def test_the_environment_wins_over_the_defaults(tmp_path: Path) -> None:
    """Behind a TLS proxy on the same machine (forwarding to loopback) the documented variables restore strictness."""
    given = {
        "DJANGO_SECURE_COOKIES": "1",
        "DJANGO_SECURE_SSL_REDIRECT": "1",
        "GOVDESK_BEHIND_PROXY": "1",
        "DJANGO_HSTS_SECONDS": "31536000",
        "DJANGO_ALLOWED_HOSTS": "govdesk.example.gov.cn",
        "DJANGO_SECRET_KEY": "from-the-environment",
        "DJANGO_SETTINGS_MODULE": "govdesk.settings.dev",
    }
    env = serve_environment(given, host="127.0.0.1", var_dir=tmp_path, local_secrets=KEYS)
    assert {name: env[name] for name in given if name != "DJANGO_SETTINGS_MODULE"} == {
        name: value for name, value in given.items() if name != "DJANGO_SETTINGS_MODULE"
    }
    assert env["DJANGO_SETTINGS_MODULE"] == "govdesk.settings.prod"  # the children always run production settings


def test_is_loopback() -> None:
    assert all(map(is_loopback, ["127.0.0.1", "127.8.9.1", "localhost", "::1", "[::1]"]))
    assert not any(map(is_loopback, ["0.0.0.0", "192.168.1.5", "::", "example.org", ""]))  # noqa: S104


def test_prod_cookies_are_secure_unless_serve_says_plain_http_on_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {**KEYS, "DJANGO_ALLOWED_HOSTS": "govdesk.invalid"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("GOVDESK_FIELD_KEYS", "k1:" + "A" * 43 + "=")
    monkeypatch.setenv("GOVDESK_BLIND_INDEX_KEY", "B" * 43 + "=")
    monkeypatch.delenv("DJANGO_SECURE_COOKIES", raising=False)
    try:
        for given, secure in ((None, True), ("1", True), ("0", False)):
            if given is not None:
                monkeypatch.setenv("DJANGO_SECURE_COOKIES", given)
            sys.modules.pop("govdesk.settings.prod", None)
            prod = importlib.import_module("govdesk.settings.prod")
            assert (secure, secure) == (prod.SESSION_COOKIE_SECURE, prod.CSRF_COOKIE_SECURE)
    finally:
        sys.modules.pop("govdesk.settings.prod", None)


# --- command lines ---------------------------------------------------------------------------------------------------


def test_gunicorn_runs_sync_workers_with_one_thread(tmp_path: Path) -> None:
    command = gunicorn_command(
        python="/py", host="127.0.0.1", port=8123, workers=3, threads=1, pid_file=tmp_path / "g.pid"
    )
    assert command[:4] == ["/py", "-m", "gunicorn", "govdesk.wsgi:application"]
    text = " ".join(command)
    assert "--bind 127.0.0.1:8123" in text
    assert "--workers 3" in text
    assert "--worker-class sync" in text
    assert "--threads" not in text
    assert f"--pid {tmp_path / 'g.pid'}" in text
    assert "--graceful-timeout 10" in text
    assert "--access-logfile" not in text  # access log off (gunicorn's default)
    assert "--no-control-socket" in command


def test_gunicorn_runs_threaded_workers_with_more_threads_and_binds_ipv6(tmp_path: Path) -> None:
    command = gunicorn_command(python="/py", host="::1", port=9000, workers=2, threads=4, pid_file=tmp_path / "p")
    text = " ".join(command)
    assert "--worker-class gthread --threads 4" in text
    assert "--bind [::1]:9000" in text


def test_default_workers_are_twice_the_cores_capped_at_eight() -> None:
    assert [default_workers(cores) for cores in (1, 2, 3, 4, 16)] == [2, 4, 6, 8, 8]


# --- keys shared with `make run` -------------------------------------------------------------------------------------


def test_local_secrets_are_generated_once_mode_600_and_the_environment_wins(tmp_path: Path) -> None:
    first = local_secrets_resolve(var_dir=tmp_path, environ={})
    assert set(first) == set(LOCAL_SECRETS) == set(KEYS)
    assert first["GOVDESK_FIELD_KEYS"].startswith("dev1:")
    for file_name, _make in LOCAL_SECRETS.values():
        assert (tmp_path / file_name).stat().st_mode & 0o777 == 0o600
    assert local_secrets_resolve(var_dir=tmp_path, environ={}) == first
    assert local_secret("DJANGO_SECRET_KEY", "secret_key", str, var_dir=tmp_path, environ={"DJANGO_SECRET_KEY": "e"})
    assert local_secrets_resolve(var_dir=tmp_path, environ={"GOVDESK_BLIND_INDEX_KEY": "env"}) == {
        **first,
        "GOVDESK_BLIND_INDEX_KEY": "env",
    }


def test_dev_settings_read_the_same_files(tmp_path: Path) -> None:
    """`make run` (dev settings) and `make serve` open the same database with the same keys."""
    keys = local_secrets_resolve(var_dir=tmp_path, environ={})
    env = {k: v for k, v in os.environ.items() if k not in KEYS and k != "DATABASE_URL"}
    code = "from django.conf import settings as s; print(s.SECRET_KEY, s.GOVDESK_FIELD_KEYS, s.GOVDESK_BLIND_INDEX_KEY)"
    out = subprocess.run(  # noqa: S603 (our own interpreter)
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        env={**env, "DJANGO_SETTINGS_MODULE": "govdesk.settings.dev", "GOVDESK_VAR_DIR": str(tmp_path)},
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert out == [keys["DJANGO_SECRET_KEY"], keys["GOVDESK_FIELD_KEYS"], keys["GOVDESK_BLIND_INDEX_KEY"]]


def test_static_files_are_collected_again_only_when_the_sources_changed(tmp_path: Path) -> None:
    assert not static_collected(tmp_path, "abc")
    (tmp_path / "staticfiles.json").write_text("{}")
    assert not static_collected(tmp_path, "abc")
    (tmp_path / ".serve-static-stamp").write_text("abc\n")
    assert static_collected(tmp_path, "abc")
    assert not static_collected(tmp_path, "abd")


# --- one real start --------------------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (exited, not yet reaped) counts as gone.
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split(")")[-1].split()[0] == "Z")


def _wait_for(condition: Any, timeout: float, what: str, process: subprocess.Popen[str]) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        if process.poll() is not None:
            pytest.fail(f"serve exited ({process.returncode}) while waiting for {what}")
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}")


def _read_pid(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


def _get(url: str) -> tuple[int, list[str]] | None:
    try:
        with urllib.request.urlopen(url, timeout=5) as answer:  # noqa: S310 (loopback, our own server)
            return answer.status, answer.headers.get_all("Set-Cookie") or []
    except OSError:
        return None


@pytest.fixture
def var_dir(tmp_path: Path, db: None) -> Path:
    """A VAR_DIR with a database: on SQLite test runs a copy of the migrated test database (serve's migrate then has
    nothing to do), else empty (serve migrates a fresh SQLite file itself)."""
    if connection.vendor == "sqlite":
        with (
            closing(sqlite3.connect(connection.settings_dict["NAME"])) as source,
            closing(sqlite3.connect(tmp_path / "govdesk.sqlite3")) as target,
        ):
            source.backup(target)
    return tmp_path


def _serve(var_dir: Path, port: int, log: IO[str]) -> subprocess.Popen[str]:
    """`manage.py serve` as `make serve` runs it (dev settings in the command itself), on SQLite under var_dir."""
    env = {k: v for k, v in os.environ.items() if k not in KEYS and k not in ("DATABASE_URL", "PORT")}
    env.update({"DJANGO_SETTINGS_MODULE": "govdesk.settings.dev", "GOVDESK_VAR_DIR": str(var_dir)})
    return subprocess.Popen(  # noqa: S603 (our own manage.py)
        [sys.executable, "manage.py", "serve", "--port", str(port), "--workers", "1", "--task-workers", "1"],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_serve_starts_restarts_its_task_worker_and_stops_cleanly(var_dir: Path) -> None:
    port = _free_port()
    log = (var_dir / "serve.log").open("w")
    process = _serve(var_dir, port, log)
    try:
        status, cookies = _wait_for(lambda: _get(f"http://127.0.0.1:{port}/login/"), 240, "the login page", process)
        # Production settings over plain HTTP on loopback: the page itself (no redirect to https), cookies usable.
        assert status == 200
        assert any(cookie.startswith("csrftoken=") for cookie in cookies)
        assert not any("secure" in cookie.lower().split("; ") for cookie in cookies)
        gunicorn_pid = _read_pid(var_dir / "serve" / "gunicorn.pid")
        tasks_pid = _wait_for(lambda: _read_pid(var_dir / "serve" / "tasks.pid"), 10, "the task pid file", process)
        assert gunicorn_pid and _alive(gunicorn_pid) and _alive(tasks_pid)
        assert (var_dir / "secret_key").exists() and (var_dir / "tasks.log").exists()

        os.kill(tasks_pid, signal.SIGKILL)
        restarted = _wait_for(
            lambda: (pid := _read_pid(var_dir / "serve" / "tasks.pid")) not in (None, tasks_pid) and pid,
            10,
            "the task worker's restart",
            process,
        )
        assert _alive(restarted)

        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
        assert not _alive(gunicorn_pid)
        assert not _alive(restarted)
        assert not (var_dir / "serve" / "tasks.pid").exists()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        log.close()
    output = (var_dir / "serve.log").read_text()
    assert "task worker exited (-9); restarted" in output
    assert f"http://127.0.0.1:{port}/" in output


def test_when_gunicorn_cannot_start_serve_stops_the_task_worker_and_exits_with_its_code(var_dir: Path) -> None:
    with socket.socket() as taken, (var_dir / "serve.log").open("w") as log:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        process = _serve(var_dir, taken.getsockname()[1], log)
        try:
            # gunicorn tries to bind for a few seconds; the task worker starts meanwhile.
            tasks_pid = _wait_for(lambda: _read_pid(var_dir / "serve" / "tasks.pid"), 120, "the task worker", process)
            code = process.wait(timeout=60)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
    assert code == 1  # gunicorn's own exit code ("Can't connect")
    assert "serve: gunicorn exited (1); stopping the task worker" in (var_dir / "serve.log").read_text()
    assert not _alive(tasks_pid)
    assert not (var_dir / "serve" / "tasks.pid").exists()
    assert not (var_dir / "serve" / "gunicorn.pid").exists()
