"""Celery tasks of the ingest queue."""

from __future__ import annotations

from collections.abc import Callable

from common import jobs
from common.cache import invalidate
from common.celery_app import celery_app, enqueue
from common.db import sync_session
from common.pipeline import stage_task
from ingest.repository import merge_staged

app = celery_app
ENGINE_TASKS = ("forecasting.run", "segmentation.run", "pricing.run")


@stage_task("ingest.merge", "ingest")
def merge(job_id: str, report: Callable[[float], None]) -> None:
    """Merge an upload's staged rows into sales in one transaction, then start the engines."""
    report(0.6)
    with sync_session() as session:
        counts = merge_staged(session.connection(), job_id)
        # Same transaction as the merge, so the counts and the rows land together; a redelivered
        # task finds nothing staged and keeps the first counts.
        jobs.update_stage(
            job_id, "ingest", status="succeeded", session=session, **(counts if any(counts.values()) else {})
        )
    organization_id = jobs.job_organization(job_id)
    if organization_id is not None:
        invalidate(str(organization_id), "sales")
    # Forecasting, segmentation and pricing run in parallel; inventory follows forecasting.
    for task in ENGINE_TASKS:
        enqueue(task, job_id)
