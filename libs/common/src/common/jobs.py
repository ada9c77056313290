"""Job progress, shared by every worker: each stage reports on the same upload job row."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from common.db import sync_session
from common.models import STAGES, UploadJob

log = logging.getLogger("smartretail.jobs")
DONE = ("succeeded", "skipped")


def initial_stages() -> dict[str, dict[str, Any]]:
    """Every stage queued with no progress."""
    return {name: {"status": "queued", "progress": 0.0, "error": None} for name in STAGES}


def overall_status(stages: dict[str, dict[str, Any]]) -> str:
    """A job fails with any stage, succeeds when all are done, runs once any has started."""
    states = [stages.get(name, {}).get("status", "queued") for name in STAGES]
    if "failed" in states:
        return "failed"
    if all(state in DONE for state in states):
        return "succeeded"
    if any(state != "queued" for state in states):
        return "running"
    return "queued"


def update_stage(
    job_id: str | uuid.UUID,
    stage: str,
    *,
    status: str | None = None,
    progress: float | None = None,
    error: str | None = None,
    session: Session | None = None,
    **counts: Any,
) -> str | None:
    """Set a stage's status/progress (row-locked) and recompute the job's status; returns it.

    Pass `session` to record the stage in the caller's transaction (committed with its work).
    """
    if session is None:
        with sync_session() as own:
            return update_stage(
                job_id, stage, status=status, progress=progress, error=error, session=own, **counts
            )
    job = session.execute(
        select(UploadJob).where(UploadJob.id == uuid.UUID(str(job_id))).with_for_update()
    ).scalar_one_or_none()
    if job is None:
        log.warning("job %s vanished; stage %s not recorded", job_id, stage)
        return None
    stages = {k: dict(v) for k, v in (job.stages or initial_stages()).items()}
    entry = stages.setdefault(stage, {"status": "queued", "progress": 0.0, "error": None})
    # The reaper tells a stalled stage from a slow one by this heartbeat.
    entry["updated_at"] = datetime.now(UTC).isoformat()
    if status is not None:
        entry["status"] = status
        if status in DONE:
            entry["progress"] = 1.0
    if progress is not None:
        entry["progress"] = round(max(0.0, min(1.0, progress)), 4)
    if error is not None:
        entry["error"] = error
    job.stages = stages
    for name, value in counts.items():
        setattr(job, name, value)
    now = datetime.now(UTC)
    job.status = overall_status(stages)
    if job.status == "running" and job.started_at is None:
        job.started_at = now
    if job.status in ("succeeded", "failed"):
        job.finished_at = job.finished_at or now
        if job.status == "failed" and error and not job.error:
            job.error = f"{stage}: {error}"
    return job.status


def job_organization(job_id: str | uuid.UUID) -> uuid.UUID | None:
    """The organization that owns a job (workers receive only ids)."""
    with sync_session() as session:
        return session.execute(
            select(UploadJob.organization_id).where(UploadJob.id == uuid.UUID(str(job_id)))
        ).scalar_one_or_none()


def job_options(job_id: str | uuid.UUID) -> dict[str, Any]:
    """The options an upload was made with (e.g. horizon_days)."""
    with sync_session() as session:
        return dict(
            session.execute(
                select(UploadJob.options).where(UploadJob.id == uuid.UUID(str(job_id)))
            ).scalar_one_or_none()
            or {}
        )
