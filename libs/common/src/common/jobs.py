"""Job progress, shared by every worker: each stage reports on the same upload job row."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from common.db import sync_session
from common.models import UploadJob
from common.stages import DONE, FINISHED, STAGES, ChunkPlan

log = logging.getLogger("smartretail.jobs")


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


def record_stage(
    job: UploadJob,
    stage: str,
    *,
    status: str | None = None,
    progress: float | None = None,
    error: str | None = None,
    keep_done: bool = False,
    fields: dict[str, Any] | None = None,
    **counts: Any,
) -> str:
    """Apply a stage update to a loaded (row-locked) job and recompute its status; returns it.

    The one place a stage entry changes, for the workers (update_stage) and the async upload
    request alike. `keep_done` leaves the status of a finished stage alone; `fields` adds keys
    to the stage entry; `counts` set the job's row counts.
    """
    stages = {k: dict(v) for k, v in (job.stages or initial_stages()).items()}
    entry = stages.setdefault(stage, {"status": "queued", "progress": 0.0, "error": None})
    # The reaper tells a stalled stage from a slow one by this heartbeat.
    entry["updated_at"] = datetime.now(UTC).isoformat()
    if fields:
        entry.update(fields)
    if keep_done and entry.get("status") in FINISHED:
        status = progress = None
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


def update_stage(
    job_id: str | uuid.UUID,
    stage: str,
    *,
    status: str | None = None,
    progress: float | None = None,
    error: str | None = None,
    session: Session | None = None,
    keep_done: bool = False,
    fields: dict[str, Any] | None = None,
    **counts: Any,
) -> str | None:
    """Set a stage's status/progress (row-locked) and recompute the job's status; returns it.

    Pass `session` to record the stage in the caller's transaction (committed with its work).
    The other arguments are record_stage's. None when the job no longer exists.
    """
    if session is None:
        with sync_session() as own:
            return update_stage(
                job_id,
                stage,
                status=status,
                progress=progress,
                error=error,
                session=own,
                keep_done=keep_done,
                fields=fields,
                **counts,
            )
    job = _locked(session, job_id)
    if job is None:
        log.warning("job %s vanished; stage %s not recorded", job_id, stage)
        return None
    return record_stage(
        job,
        stage,
        status=status,
        progress=progress,
        error=error,
        keep_done=keep_done,
        fields=fields,
        **counts,
    )


def complete_chunk(job_id: str | uuid.UUID, stage: str, index: int) -> bool:
    """Count chunk `index` of a chunked stage done; True for the one call that ends the stage.

    The stage entry holds its ChunkPlan; the job row is locked, so two chunks finishing together
    and a redelivered chunk are each counted once, and only the call that finds every chunk done
    while the stage still runs marks it succeeded.
    """
    with sync_session() as session:
        job = _locked(session, job_id)
        if job is None:
            log.warning("job %s vanished; chunk %d of %s not recorded", job_id, index, stage)
            return False
        entry = dict((job.stages or {}).get(stage) or {})
        plan = ChunkPlan.of(entry).with_done(index)
        running = entry.get("status") not in FINISHED
        finishing = plan.finished and running
        fields = plan.done_fields()
        if running:
            fields["progress"] = round(len(plan.done) / plan.total, 4) if plan.total else 1.0
        record_stage(job, stage, status="succeeded" if finishing else None, fields=fields)
        return finishing


def _locked(session: Session, job_id: str | uuid.UUID) -> UploadJob | None:
    return session.execute(
        select(UploadJob).where(UploadJob.id == uuid.UUID(str(job_id))).with_for_update()
    ).scalar_one_or_none()


def stage_entry(job_id: str | uuid.UUID, stage: str) -> dict[str, Any]:
    """A stage's entry of a job as stored (empty when the job or stage is missing)."""
    with sync_session() as session:
        stages = session.execute(
            select(UploadJob.stages).where(UploadJob.id == uuid.UUID(str(job_id)))
        ).scalar_one_or_none()
    return dict((stages or {}).get(stage) or {})


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
