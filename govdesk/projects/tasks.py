"""Periodic job of the construction projects, run by the huey worker (`manage.py run_huey`).

A stage's clock runs in working days while nobody acts on it; the sweep refreshes the working days used, the
deadlines and the at-risk flags the portfolio lists. Idempotent: a missed run is caught up by the next, and
`manage.py projects_sweep` does the same from cron.
"""

from __future__ import annotations

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from .services import projects_sweep

logger = logging.getLogger(__name__)


@db_periodic_task(crontab(minute="7"), name="projects.sweep")
@lock_task("projects.sweep")
def projects_sweep_task() -> None:
    logger.info("projects sweep: %d refreshed", projects_sweep())
