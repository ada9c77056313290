"""Celery tasks of the ingest queue."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from sqlalchemy import select

from common import jobs
from common.cache import invalidate
from common.celery_app import celery_app, enqueue
from common.db import sync_session
from common.holds import hold_point
from common.models import UploadJob
from common.pipeline import StageError, stage_task
from ingest.repository import analyze_staging, lock_job, merge_staged

app = celery_app
ENGINE_TASKS = ("forecasting.run", "segmentation.run", "pricing.run")


@stage_task("ingest.merge", "ingest")
def merge(job_id: str, report: Callable[[float], None]) -> None:
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
        job = session.execute(
            select(
                UploadJob.organization_id,
                UploadJob.stages,
                UploadJob.rows_accepted,
                (UploadJob.rows_new + UploadJob.rows_updated + UploadJob.rows_unchanged).label("merged"),
            ).where(UploadJob.id == uuid.UUID(job_id))
        ).one_or_none()
        if job is None:
            raise StageError("the job no longer exists")
        stages = job.stages or {}
        if job.merged:
            # Merged by an earlier delivery of this task (whose counts committed with the rows);
            # start what it may not have started.
            for task in ENGINE_TASKS:
                if stages.get(task.split(".")[0], {}).get("status") == "queued":
                    enqueue(task, job_id)
            return None
        counts = merge_staged(connection, job_id, job.organization_id)
        hold_point("ingest.merge.uncommitted", job_id)  # fault tests kill the worker mid-merge here
        if job.rows_accepted and not any(counts.values()):
            # Staging is unlogged: a database crash between upload and merge empties it.
            raise StageError("the uploaded rows were lost before they could be stored; upload the file again")
        # Same transaction as the merge, so the counts and the rows land together.
        jobs.update_stage(job_id, "ingest", status="succeeded", session=session, **counts)
        organization_id = job.organization_id
    invalidate(str(organization_id), "sales")
    # Forecasting, segmentation and pricing run in parallel; inventory follows forecasting.
    for task in ENGINE_TASKS:
        enqueue(task, job_id)
    return None
