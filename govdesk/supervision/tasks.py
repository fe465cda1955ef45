"""The supervision sweep, run by the huey worker (`manage.py run_huey`) every five minutes.

It is idempotent (each urge and escalation has a unique slot), so a missed run is caught up by the next one and a
duplicated run writes nothing twice. Deployments without the worker run `manage.py supervision_sweep` from cron.
"""

from __future__ import annotations

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from . import services

logger = logging.getLogger(__name__)


@db_periodic_task(crontab(minute="*/5"), name="supervision.sweep")
@lock_task("supervision.sweep")
def supervision_sweep_task() -> None:
    """催办 and escalation of due-soon and overdue work orders and applications (None: huey keeps no result)."""
    counts = services.supervision_sweep().counts()
    changed = {key: value for key, value in counts.items() if value}
    if changed:
        logger.info("supervision sweep: %s", changed)
