"""Work-order numbers: the local date and a 6-digit daily sequence, unique and gap-free, also under concurrency."""

from __future__ import annotations

import threading
from datetime import datetime
from importlib import import_module
from typing import Any

import pytest
import time_machine
from django.apps import apps
from django.db import connection

from govdesk.calendar.core import SHANGHAI
from govdesk.common.errors import ValidationFailed
from govdesk.workorders import services
from govdesk.workorders.models import WorkOrder
from govdesk.workorders.tests.factories import intake


@pytest.mark.django_db
def test_number_is_the_local_date_and_a_daily_sequence(people: Any, categories: Any) -> None:
    data = intake(categories.facilities)
    with time_machine.travel(datetime(2026, 3, 2, 23, 30, tzinfo=SHANGHAI), tick=False):  # 15:30 UTC
        first = services.workorder_register(actor=people.operator, data=data)
        second = services.workorder_register(actor=people.operator, data=data)
    with time_machine.travel(datetime(2026, 3, 3, 0, 10, tzinfo=SHANGHAI), tick=False):  # still 2 March in UTC
        next_day = services.workorder_register(actor=people.operator, data=data)
    assert [first.number, second.number, next_day.number] == ["20260302000001", "20260302000002", "20260303000001"]


@pytest.mark.django_db
def test_a_refused_registration_leaves_no_gap(people: Any, categories: Any) -> None:
    with time_machine.travel(datetime(2026, 3, 2, 10, tzinfo=SHANGHAI), tick=False):
        services.workorder_register(actor=people.operator, data=intake(categories.facilities))
        with pytest.raises(ValidationFailed):
            services.workorder_register(actor=people.operator, data=intake(categories.facilities, title=""))
        last = services.workorder_register(actor=people.operator, data=intake(categories.facilities))
    assert last.number == "20260302000002"


THREADS = 8
PER_THREAD = 5


@pytest.mark.django_db(transaction=True)
def test_concurrent_registrations_get_distinct_consecutive_numbers(people: Any, categories: Any) -> None:
    # A transactional test that ran before this one flushed the catalogue migration's request types: seed them again
    # with the migration's own idempotent step (as tests/browser/conftest.py does).
    import_module("govdesk.catalog.migrations.0003_default_types_and_policies").forwards(apps, None)
    data = intake(categories.facilities)
    numbers: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    start = threading.Barrier(THREADS)

    def work() -> None:
        try:
            start.wait()
            for _ in range(PER_THREAD):
                order = services.workorder_register(actor=people.operator, data=data)
                with lock:
                    numbers.append(order.number)
        except BaseException as exc:  # reported below, with the thread's own traceback
            with lock:
                errors.append(exc)
        finally:
            connection.close()

    with time_machine.travel(datetime(2026, 3, 2, 10, tzinfo=SHANGHAI), tick=True):
        threads = [threading.Thread(target=work) for _ in range(THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a registration thread hung"
    assert errors == []
    total = THREADS * PER_THREAD
    assert len(numbers) == total and len(set(numbers)) == total
    assert sorted(numbers) == [f"20260302{i:06d}" for i in range(1, total + 1)]
    assert WorkOrder.objects.count() == total
    from govdesk.audit.services import audit_chain_verify

    report = audit_chain_verify()
    assert report.ok and report.checked == total
