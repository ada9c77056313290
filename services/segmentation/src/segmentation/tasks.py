"""Celery tasks of the segmentation queue."""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Callable
from typing import Any

from common import jobs
from common.cache import invalidate
from common.celery_app import celery_app
from common.db import sync_session
from common.models import SegmentRun
from common.pipeline import SKIPPED, stage_task
from common.stages import SEGMENTATION
from segmentation.repository import load_customer_lines, save_run

app = celery_app
FEATURE_COLUMNS = ("tenure_days", "avg_basket", "inter_purchase_days", "return_rate", "expected_purchases")


def _clean(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None
    return value.item() if hasattr(value, "item") else value


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
    run_row = SegmentRun(
        id=uuid.uuid4(),
        organization_id=organization_id,
        job_id=uuid.UUID(job_id),
        k=int(result.k),
        silhouette=_clean(float(result.silhouette)),
        total_customers=len(result.customers),
        segments=[
            {k: _clean(v) for k, v in row.items()} for row in result.segments.to_dict(orient="records")
        ],
    )
    customers = result.customers.copy()
    present = [c for c in FEATURE_COLUMNS if c in customers]
    customers["features"] = [
        json.dumps({k: _clean(v) for k, v in row.items()})
        for row in customers[present].to_dict(orient="records")
    ]
    customers = customers.assign(run_id=str(run_row.id), organization_id=str(organization_id))
    with sync_session() as session:
        save_run(session.connection(), run_row, customers)
    invalidate(str(organization_id), "segments")
    return None
