"""Smart dispatch listens to the work orders' timeline (a case event listener, registered in `apps.py`).

`cases.services.case_event_record` calls `dispatch_case_event` inside the order's transaction, after the order and
its event are saved. On a new order it writes the duplicate-detection signature there and then (an order never
exists without it); for the suggestion, the correction after a dispatch and the reply check it only registers a
`transaction.on_commit(..., robust=True)` hook that queues the task (`tasks.py`): a rolled-back transaction queues
nothing, and a queue that cannot be reached is logged, never raised into the request.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction

from govdesk.cases.models import CaseKind

from . import duplicates

logger = logging.getLogger(__name__)

# (event action, the status it leads to): the work-order events smart dispatch acts on.
REGISTERED = ("register", "new")
DISPATCHED = ("dispatch", "dispatched")
REPLIED = ("reply", "replied")


def dispatch_case_event(case: Any, event: Any) -> None:
    """The listener: act on a work order's registration, dispatch and reply; ignore every other event."""
    if case.kind != CaseKind.WORKORDER:
        return
    happened = (event.action, event.to_status)
    order_pk: int = case.pk
    if happened == REGISTERED:
        duplicates.duplicate_signature_add(case)
        transaction.on_commit(lambda: _task_enqueue("dispatch_after_register_task", order_pk), robust=True)
    elif happened == DISPATCHED:
        # The unit chosen (case_units_assign set it before the event) and who chose it, for the correction.
        ids: tuple[int, int | None, int] = (order_pk, event.actor_id, case.primary_unit_id)
        transaction.on_commit(lambda: _task_enqueue("dispatch_after_dispatch_task", *ids), robust=True)
    elif happened == REPLIED:
        transaction.on_commit(lambda: _task_enqueue("reply_check_task", order_pk), robust=True)


def _task_enqueue(name: str, *args: int | None) -> None:
    """Queue one of the tasks; runs in on_commit. The order stands even if the queue is down: it only misses its
    suggestion or check, so the error is logged, not raised."""
    try:
        # On first use: loading the app (every management command) need not load the queue and the classifier.
        from . import tasks

        getattr(tasks, name)(*args)
    except Exception:
        logger.exception("could not queue %s%r; the work order is saved, the task is lost", name, args)
