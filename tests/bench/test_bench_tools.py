"""The benchmarks' own pieces: the bare endpoint exists only under the bench settings' URLs and stores one row; the
fault benchmark finds processes, classifies errors by time and steps the rate as documented (docs/reliability.md)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from argparse import Namespace
from pathlib import Path

import pytest
from django.db import connection
from django.test import override_settings
from django.urls import Resolver404, resolve

from bench import load_mixed
from bench.bare import BareInsertApi, bare_table_create


def test_the_product_urls_have_no_bare_endpoint() -> None:
    try:
        match = resolve("/bench/bare/", urlconf="govdesk.urls")
    except Resolver404:
        return
    assert getattr(match.func, "view_class", None) is not BareInsertApi


def test_the_bench_urls_route_the_bare_endpoint_and_the_product() -> None:
    assert resolve("/bench/bare/", urlconf="bench.urls").func.view_class is BareInsertApi  # type: ignore[attr-defined]
    assert resolve("/api/v1/workorders/", urlconf="bench.urls").url_name == "api-workorders"


@pytest.mark.django_db
@override_settings(ROOT_URLCONF="bench.urls")
def test_bare_endpoint_inserts_one_row_for_an_authenticated_client(people, api_client_for) -> None:
    bare_table_create()
    url = "/bench/bare/"
    assert api_client_for().post(url, {"title": "x"}, format="json").status_code in {401, 403}
    answer = api_client_for(people.operator).post(url, {"title": "路灯不亮"}, format="json")
    assert answer.status_code == 201
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, title FROM bench_bare")
        rows = cursor.fetchall()
    assert rows == [(answer.json()["id"], "路灯不亮")]


def test_children_and_process_state_see_a_child_process() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        assert child.pid in load_mixed.children(os.getpid())
        assert load_mixed.process_state(child.pid) in {"S", "R"}
    finally:
        child.kill()
        child.wait()
    assert load_mixed.process_state(child.pid) == ""


def test_errors_count_as_during_faults_only_within_30_seconds_after_a_kill(tmp_path: Path) -> None:
    faults = load_mixed.Faults("sqlite", tmp_path, 8770, minutes=1, started=time.monotonic())
    assert [name for _offset, name, _action in faults.plan] == ["gunicorn_worker", "task_worker"]
    assert [name for _o, name, _a in load_mixed.Faults("postgres", tmp_path, 8770, 1, 0).plan][-1] == "postgresql"
    faults.moments = [100.0]
    assert faults.during(100.0) and faults.during(130.0)
    assert not faults.during(99.0) and not faults.during(130.5)


def test_find_rate_steps_and_the_steady_run() -> None:
    steady = Namespace(find_rate=False, rate=20, minutes=10)
    assert load_mixed.steps_for(steady) == [(20, 600)]
    find = Namespace(find_rate=True, find_start=20, find_step=20, find_max=60, step_seconds=60)
    assert load_mixed.steps_for(find) == [(20, 60), (40, 60), (60, 60)]


def test_a_process_serving_a_connection_is_told_from_one_that_is_not() -> None:
    import socket

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    port = server.getsockname()[1]
    client = socket.create_connection(("127.0.0.1", port))
    accepted, _address = server.accept()
    try:
        served = load_mixed.connections_served(port)
        assert served  # the accepted socket's side, local port == the server's port
        assert load_mixed.holds_connection(os.getpid(), served)
        accepted.close()
        assert not load_mixed.holds_connection(os.getpid(), load_mixed.connections_served(port))
    finally:
        client.close()
        server.close()
