"""Smart dispatch's work after a work order's transaction commits, run by the huey worker (`manage.py run_huey`).

`subscribers.py` only queues these, from `transaction.on_commit` hooks on the work orders' events, so the request
answers without running the classifier or the reply check. Each task is idempotent (a retried or duplicated task stores
no second suggestion, correction or assessment) and tolerates an order that moved on meanwhile (vanished, closed,
dispatched by hand). Transient database errors (a lost connection, a deadlock, SQLite busy) are retried; anything else
is logged by the service and dropped: a failure costs a suggestion, never an order.

Return values are None on purpose: huey would keep every non-None result in its result store, unread.
"""

from __future__ import annotations

from django.db import InterfaceError, OperationalError
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task, lock_task

from . import replycheck, services

# Worth retrying: the same call may well succeed a little later.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (OperationalError, InterfaceError)
RETRIES = 3
RETRY_DELAY_SECONDS = 30


@db_task(retries=RETRIES, retry_delay=RETRY_DELAY_SECONDS, name="dispatch.after_register")
def dispatch_after_register_task(order_pk: int) -> None:
    """The category suggestion for a new order, and auto-dispatch when switched on and sure."""
    services.dispatch_after_register(order_pk, reraise=TRANSIENT_ERRORS)


@db_task(retries=RETRIES, retry_delay=RETRY_DELAY_SECONDS, name="dispatch.after_dispatch")
def dispatch_after_dispatch_task(order_pk: int, actor_pk: int | None, unit_pk: int) -> None:
    """A correction when the dispatcher chose another unit or category than suggested."""
    services.dispatch_after_dispatch(order_pk, actor_pk, unit_pk, reraise=TRANSIENT_ERRORS)


@db_task(retries=RETRIES, retry_delay=RETRY_DELAY_SECONDS, name="dispatch.reply_check")
def reply_check_task(order_pk: int) -> None:
    """Score the order's reply and store the assessment (flagging weak replies before the return visit)."""
    # Looked up at call time (not imported by name) so that a replaced function is the one called.
    replycheck.reply_check_record(order_pk, reraise=TRANSIENT_ERRORS)


@db_periodic_task(crontab(minute="*"), name="dispatch.catch_up")
@lock_task("dispatch.catch_up")
def dispatch_catch_up_task() -> None:
    """Queue the suggestions and reply checks whose task never ran (a process or worker died in between)."""
    services.dispatch_catch_up()
