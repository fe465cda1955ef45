"""Periodic jobs of the case core, run by the huey worker (`manage.py run_huey`).

The deadline sweep refreshes the overdue / due-soon / sign-for-overdue flags every minute. It is idempotent, so a
missed minute (worker down) is caught up by the next run. Deployments without the worker can run
`manage.py cases_sweep_deadlines` from cron or a systemd timer instead (docs/deployment.md).
"""

from __future__ import annotations

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from .services import case_deadlines_sweep

logger = logging.getLogger(__name__)


@db_periodic_task(crontab(minute="*"), name="cases.deadline_sweep")
@lock_task("cases.deadline_sweep")
def cases_deadline_sweep_task() -> None:
    """Refresh the deadline flags of open cases. One sweep at a time: a slow sweep is not overlapped by the next."""
    counts = case_deadlines_sweep()
    changed = {key: value for key, value in counts.items() if value}
    if changed:
        logger.info("deadline sweep: %s", changed)
