"""The nightly assessment job, run by the huey worker (`manage.py run_huey`).

At 01:30 it recomputes the current month (so far) and the previous month (late visits and replies still change its
rates in the first days). Recomputing replaces a month's snapshot, so a missed or repeated run does no harm.
Deployments without the worker run `manage.py assessment_compute --month YYYY-MM` from cron.
"""

from __future__ import annotations

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from govdesk.common.errors import ApplicationError

from . import services
from .selectors import month_current, month_shift

logger = logging.getLogger(__name__)


@db_periodic_task(crontab(hour="1", minute="30"), name="assessment.compute")
@lock_task("assessment.compute")
def assessment_compute_task() -> None:
    """Score the previous and the current month (None: huey keeps no result)."""
    current = month_current()
    for month in (month_shift(current, -1), current):
        try:
            results = services.assessment_compute(month)
        except ApplicationError as exc:  # no rule set in force for that month: nothing to score
            logger.warning("assessment %s not computed: %s", f"{month:%Y-%m}", exc.message)
            continue
        logger.info("assessment %s: %s units scored", f"{month:%Y-%m}", len(results))
