"""The nightly expiry review of the knowledge base, run by the huey worker (`manage.py run_huey`); without the
worker, cron runs `manage.py knowledge_expiry_sweep`. Idempotent: an article with an open revision gets no second."""

from __future__ import annotations

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from . import services

logger = logging.getLogger(__name__)


@db_periodic_task(crontab(hour="1", minute="10"), name="knowledge.expiry_sweep")
@lock_task("knowledge.expiry_sweep")
def knowledge_expiry_sweep_task() -> None:
    """到期复核 for the articles whose answer stops being valid within 30 days (None: huey keeps no result)."""
    opened = services.knowledge_expiry_reviews_open()
    if opened:
        logger.info("knowledge expiry sweep: %d review(s) opened", opened)
