"""Celery tasks of the segmentation queue."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from common import jobs
from common.cache import invalidate
from common.celery_app import celery_app
from common.db import sync_session
from common.pipeline import SKIPPED, stage_task
from common.stages import SEGMENTATION
from segmentation.repository import load_customer_lines, save_run

app = celery_app


@stage_task(SEGMENTATION.task, SEGMENTATION.name)
def run(job_id: str, organization_id: uuid.UUID, report: Callable[[float], None]) -> str | None:
    """Segment the organization's customers and keep the run (for migration)."""
    from segmentation.engine import segment_customers

    with sync_session() as session:
        lines = load_customer_lines(session.connection(), organization_id)
    if lines.empty:
        jobs.update_stage(
            job_id,
            SEGMENTATION.name,
            error="no customer ids in the sales uploaded: add a customer_id column to segment customers",
        )
        return SKIPPED
    report(0.2)
    result = segment_customers(lines)
    report(0.8)
    with sync_session() as session:
        save_run(session.connection(), organization_id, job_id, result)
    invalidate(str(organization_id), "segments")
    return None
