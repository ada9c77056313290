"""Celery tasks of the ingest queue."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from common import jobs
from common.cache import invalidate
from common.celery_app import celery_app, enqueue
from common.db import sync_session
from common.holds import hold_point
from common.pipeline import StageError, stage_task
from common.stages import INGEST, followers, tasks_after
from ingest.repository import analyze_staging, lock_job, merge_staged, merge_state

app = celery_app


@stage_task(INGEST.task, INGEST.name)
def merge(job_id: str, organization_id: uuid.UUID, report: Callable[[float], None]) -> None:
    """Merge an upload's staged rows into sales in one transaction, then start the engines.

    Exactly once: merges of one job are serialised by a lock, and one that finds the merge's
    counts already recorded (a redelivered task after the first committed) changes nothing.
    """
    report(0.6)
    with sync_session() as session:
        analyze_staging(session.connection())
    with sync_session() as session:
        connection = session.connection()
        lock_job(connection, job_id)
        state = merge_state(connection, job_id)
        if state is None:
            raise StageError("the job no longer exists")
        if state.merged:
            # Merged by an earlier delivery of this task (whose counts committed with the rows);
            # start what it may not have started.
            for stage in followers(INGEST.name):
                if state.stages.get(stage.name, {}).get("status") == "queued":
                    enqueue(stage.task, job_id)
            return None
        counts = merge_staged(connection, job_id, organization_id)
        hold_point("ingest.merge.uncommitted", job_id)  # fault tests kill the worker mid-merge here
        if state.rows_accepted and not any(counts.values()):
            # Staging is unlogged: a database crash between upload and merge empties it.
            raise StageError("the uploaded rows were lost before they could be stored; upload the file again")
        # Same transaction as the merge, so the counts and the rows land together.
        jobs.update_stage(job_id, INGEST.name, status="succeeded", session=session, **counts)
    invalidate(str(organization_id), "sales")
    # Forecasting and segmentation run in parallel; pricing and inventory follow forecasting.
    for task in tasks_after(INGEST.name):
        enqueue(task, job_id)
    return None
