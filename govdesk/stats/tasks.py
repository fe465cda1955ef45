"""The statistics' one writer, run by the huey worker: the fold of the changes waiting since the last one.

Readers fold before they read, so this is not what keeps the dashboards exact; it keeps the waiting changes few, so a
reader after a quiet minute or a burst of calls finds little to fold.
"""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from .services import stats_fold


@db_periodic_task(crontab(minute="*"), name="stats.fold")
@lock_task("stats.fold")
def stats_fold_task() -> None:
    stats_fold()
