"""Background work: registering the work orders of batch submissions (after the POST's commit)."""

from __future__ import annotations

from huey.contrib.djhuey import db_task


@db_task(retries=2, retry_delay=30)
def open311_submission_process_task(submission_pk: int) -> None:
    from .services import open311_submission_process

    open311_submission_process(submission_pk)
