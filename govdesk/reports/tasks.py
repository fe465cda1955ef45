"""Report work for the huey worker: large order-list exports, and their upkeep (expiry, lost tasks)."""

from __future__ import annotations

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task, lock_task

from . import services

logger = logging.getLogger(__name__)


@db_task(retries=2, retry_delay=30, name="reports.export_job")
def export_job_task(job_pk: str) -> None:
    """Build one queued export. An error while taking the job (the database briefly unreachable) leaves it queued
    and huey retries; once taken, any failure marks the job failed and the requester sees why on the exports page."""
    services.export_job_run(job_pk)


@db_periodic_task(crontab(minute="*/10"), name="reports.export_upkeep")
@lock_task("reports.export_upkeep")
def export_upkeep_task() -> None:
    counts = services.export_jobs_maintain()
    if any(counts.values()):
        logger.info("export upkeep: %s", counts)
