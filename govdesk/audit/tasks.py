"""The nightly audit archive, run by the huey worker (`manage.py run_huey`); without the worker, cron runs
`manage.py audit_archive --commit`. Each segment is its own transaction, so an interrupted night resumes the next."""

from __future__ import annotations

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from .archive import audit_archive

logger = logging.getLogger(__name__)


@db_periodic_task(crontab(hour="2", minute="30"), name="audit.archive")
@lock_task("audit.archive")
def audit_archive_task() -> None:
    """Events older than the online period to archive segments (None: huey keeps no result)."""
    result = audit_archive(progress=logger.info)
    if result.events:
        logger.info("audit archive: %s events in %s segments", result.events, result.segments)
