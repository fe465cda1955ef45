"""The rollups have one writer: a change leaves its (old fact, new fact) pair, the fold adds the pairs, and every reader
folds first. Registrations never write a rollup row, and the figures are exact whenever they are read."""

from __future__ import annotations

import sqlite3
import threading
from datetime import date, datetime
from importlib import import_module
from types import SimpleNamespace
from typing import Any

import pytest
import time_machine
from django.apps import apps
from django.db import connection

from govdesk.calendar.core import SHANGHAI
from govdesk.stats.maintenance import change_decode, change_encode
from govdesk.stats.models import StatsMarginal, StatsOrderFact, StatsPending, StatsRollup
from govdesk.stats.selectors import stats_filter_parse, stats_overview
from govdesk.stats.services import ORDER_SCHEMA, stats_fold, stats_rollup_verify
from govdesk.stats.tasks import stats_fold_task
from govdesk.workorders import services
from govdesk.workorders.models import WorkOrder
from govdesk.workorders.tests.factories import intake

from .conftest import at

DECEMBER = {"date_from": "2026-12-01", "date_to": "2026-12-31"}


def _total(user: Any) -> int:
    return int(stats_overview(user=user, flt=stats_filter_parse(DECEMBER, user))["total"])


@pytest.mark.django_db
def test_a_registration_writes_its_fact_and_a_change_but_no_rollup_row(
    people: SimpleNamespace, categories: SimpleNamespace
) -> None:
    with at(2026, 12, 3):
        order = services.workorder_register(actor=people.operator, data=intake(categories.facilities))
    # The fact is the order's own row: written at once (the order list filters by it).
    assert StatsOrderFact.objects.get(case_id=order.pk).status == "new"
    # The rows every order shares are not touched by the registration.
    assert not StatsRollup.objects.exists() and not StatsMarginal.objects.exists()
    pending = StatsPending.objects.get()
    assert (pending.kind, pending.case_id) == ("workorder", order.pk)
    # A reader folds first: it counts the order, and the change is gone.
    assert _total(people.supervisor) == 1
    assert not StatsPending.objects.exists()
    assert StatsRollup.objects.filter(grain="d", total=1).exists()


@pytest.mark.django_db
def test_changes_of_one_order_fold_to_its_last_state_in_batches_of_any_size(
    people: SimpleNamespace, district: SimpleNamespace, categories: SimpleNamespace
) -> None:
    with at(2026, 12, 3):
        first = services.workorder_register(actor=people.operator, data=intake(categories.facilities))
        second = services.workorder_register(actor=people.operator, data=intake(categories.wages))
        services.workorder_dispatch(order=first, actor=people.dispatcher, unit=district.dept_a)
        services.workorder_cancel(order=second, actor=people.dispatcher, reason="重复登记")
    assert StatsPending.objects.count() == 4  # two registrations, a dispatch, a cancellation
    assert stats_fold(batch=1) == 4  # one change per round, until none is left
    assert stats_fold() == 0
    day = StatsMarginal.objects.get(grain="d", a_dim="", b_dim="", c_dim="")
    assert (day.total, day.st_new, day.st_dispatched, day.st_cancelled) == (2, 0, 1, 1)
    assert stats_rollup_verify() == []


@pytest.mark.django_db
def test_a_fold_larger_than_sqlites_parameter_limit(
    people: SimpleNamespace, district: SimpleNamespace, categories: SimpleNamespace
) -> None:
    with at(2026, 12, 3):
        for category in (categories.facilities, categories.wages, categories.housing):
            order = services.workorder_register(actor=people.operator, data=intake(category, channel="web"))
            services.workorder_dispatch(order=order, actor=people.dispatcher, unit=district.dept_a)
    sqlite = connection.vendor == "sqlite"
    if sqlite:
        # A tiny limit: each upsert must be cut into statements of two rows (PostgreSQL passes arrays instead).
        connection.ensure_connection()
        previous = connection.connection.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 64)
    try:
        assert stats_fold() == 6
    finally:
        if sqlite:
            connection.connection.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, previous)
    assert stats_rollup_verify() == []
    assert StatsMarginal.objects.get(grain="d", a_dim="", b_dim="", c_dim="").st_dispatched == 3


def test_a_change_survives_its_text_form() -> None:
    fact: dict[str, Any] = dict.fromkeys(ORDER_SCHEMA.fact_fields, 0)
    fact.update(
        day=date(2026, 12, 3),
        channel="phone",
        status="new",
        open_due_at=datetime(2026, 12, 8, 18, tzinfo=SHANGHAI),
    )
    later = {**fact, "status": "closed", "open_due_at": None}
    old, new = change_decode(ORDER_SCHEMA, change_encode(ORDER_SCHEMA, fact, later))
    assert (old, new) == (fact, later)
    assert change_decode(ORDER_SCHEMA, change_encode(ORDER_SCHEMA, None, fact)) == (None, fact)


@pytest.mark.django_db
def test_the_workers_periodic_fold(people: SimpleNamespace, categories: SimpleNamespace) -> None:
    with at(2026, 12, 3):
        services.workorder_register(actor=people.operator, data=intake(categories.facilities))
    stats_fold_task.call_local()
    assert not StatsPending.objects.exists()
    assert StatsRollup.objects.filter(grain="m", total=1).exists()


THREADS = 4
PER_THREAD = 6


@pytest.mark.django_db(transaction=True)
def test_folding_while_orders_are_registered_and_dispatched_loses_nothing(
    people: SimpleNamespace, district: SimpleNamespace, categories: SimpleNamespace
) -> None:
    # A transactional test that ran before this one flushed the catalogue migration's request types: seed them again
    # with the migration's own idempotent step (as the work-order number test does).
    import_module("govdesk.catalog.migrations.0003_default_types_and_policies").forwards(apps, None)
    errors: list[BaseException] = []
    lock = threading.Lock()
    done = threading.Event()
    start = threading.Barrier(THREADS + 1)

    def register() -> None:
        try:
            start.wait()
            for i in range(PER_THREAD):
                order = services.workorder_register(actor=people.operator, data=intake(categories.facilities))
                if i % 2:
                    services.workorder_dispatch(order=order, actor=people.dispatcher, unit=district.dept_a)
        except BaseException as exc:  # reported below
            with lock:
                errors.append(exc)
        finally:
            connection.close()

    def fold() -> None:
        try:
            start.wait()
            # A fold now and then, as readers and the worker do: a fold in a tight loop would starve SQLite's
            # writers of its one write lock (its busy handler backs off, the loop does not).
            while not done.wait(0.02):
                stats_fold(batch=3)
        except BaseException as exc:
            with lock:
                errors.append(exc)
        finally:
            connection.close()

    with time_machine.travel(datetime(2026, 12, 3, 10, tzinfo=SHANGHAI), tick=True):
        writers = [threading.Thread(target=register) for _ in range(THREADS)]
        folder = threading.Thread(target=fold)
        for thread in (*writers, folder):
            thread.start()
        for thread in writers:
            thread.join(timeout=120)
        done.set()
        folder.join(timeout=60)
    assert not any(t.is_alive() for t in (*writers, folder)), "a thread hung"
    assert errors == []
    assert stats_rollup_verify() == []  # folds what is left, then compares with a recomputation
    total = WorkOrder.objects.count()
    assert total == THREADS * PER_THREAD
    month = StatsMarginal.objects.get(grain="m", a_dim="", b_dim="", c_dim="")
    assert (month.total, month.st_dispatched) == (total, THREADS * (PER_THREAD // 2))
