"""Periodic job of the common app, run by the huey worker (`manage.py run_huey`)."""

from __future__ import annotations

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from .idempotency import idempotency_keys_purge

logger = logging.getLogger(__name__)


@db_periodic_task(crontab(minute="17"), name="common.idempotency_purge")
@lock_task("common.idempotency_purge")
def idempotency_purge_task() -> None:
    logger.info("idempotency keys purged: %d", idempotency_keys_purge())
