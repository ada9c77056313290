"""Finds pipeline stages whose worker died and re-runs them, or fails them with a reason.

A running stage beats every 30 s (common.pipeline.Heartbeat). A stage that has not beaten for
STALL_AFTER_S lost its worker: with acks late the broker usually redelivers the task by itself,
but a worker killed outright leaves its message unacknowledged until the visibility timeout
(hours). The reaper closes that gap: it re-enqueues the stage's task (tasks are idempotent) up
to MAX_ATTEMPTS times, then marks the stage failed. A stage still queued long after the stage it
waits for finished (its hand-over message was lost, e.g. in a Redis restart) is enqueued again too.

A stage split into chunks (its entry holds a common.stages.ChunkPlan, see
common.jobs.complete_chunk) is not restarted: only its chunks not yet done are enqueued again,
and a chunk that was in fact done is counted once however often it runs. Which task runs a stage
and what it waits for is common.stages'.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from common import jobs
from common.celery_app import celery_app, enqueue
from common.db import sync_session
from common.models import UploadJob
from common.stages import DONE, INGEST, STAGE_TASKS, WAITS_FOR, ChunkPlan

log = logging.getLogger("smartretail.reaper")
STALL_AFTER_S = 180
MAX_ATTEMPTS = 3


def _stale(entry: dict[str, Any], now: datetime, stall_after_s: float) -> bool:
    stamp = entry.get("updated_at")
    if not stamp:
        return True
    return now - datetime.fromisoformat(stamp) > timedelta(seconds=stall_after_s)


def stalled_stages(job: UploadJob, now: datetime, stall_after_s: float = STALL_AFTER_S) -> list[str]:
    """The stages of a running job that lost their worker or their hand-over."""
    stages = job.stages or {}
    out = []
    for name, entry in stages.items():
        status = entry.get("status")
        if status == "running" and _stale(entry, now, stall_after_s):
            out.append(name)
        elif status == "queued" and name in WAITS_FOR:
            before = stages.get(WAITS_FOR[name], {})
            if (
                before.get("status") in DONE
                and _stale(before, now, stall_after_s)
                and _stale(entry, now, stall_after_s)
            ):
                out.append(name)
    return out


def stage_restarts(stage: str, entry: dict[str, Any]) -> list[tuple[str, tuple[Any, ...]]]:
    """The tasks (name, arguments after the job id) that take a stalled stage up again."""
    plan = ChunkPlan.of(entry)
    missing = plan.missing() if plan.chunked else []
    if missing:
        return [(plan.task, (index,)) for index in missing]
    return [(STAGE_TASKS[stage], ())]


def reap_stalled(stall_after_s: float = STALL_AFTER_S, now: datetime | None = None) -> dict[str, int]:
    """Re-enqueue or fail every stalled stage of running jobs; returns what it did."""
    now = now or datetime.now(UTC)
    retried = failed = 0
    with sync_session() as session:
        running = (
            session.execute(
                select(UploadJob.id).where(
                    UploadJob.status.in_(("queued", "running")),
                    UploadJob.created_at > now - timedelta(days=2),
                )
            )
            .scalars()
            .all()
        )
    for job_id in running:
        with sync_session() as session:
            job = session.execute(
                select(UploadJob).where(UploadJob.id == job_id).with_for_update(skip_locked=True)
            ).scalar_one_or_none()
            if job is None:
                continue
            for stage in stalled_stages(job, now, stall_after_s):
                if stage == INGEST.name and float(job.stages[stage].get("progress", 0)) < 0.5:
                    # The first half of ingest runs inside the upload request: a silent one means the
                    # request died (nothing was committed), so there is no task to re-run.
                    jobs.update_stage(
                        job_id,
                        stage,
                        status="failed",
                        session=session,
                        error="the upload was interrupted before it was stored; nothing was "
                        "kept, upload the file again",
                    )
                    failed += 1
                    continue
                attempts = int(job.stages[stage].get("attempts", 0)) + 1
                if attempts > MAX_ATTEMPTS:
                    jobs.update_stage(
                        job_id,
                        stage,
                        status="failed",
                        session=session,
                        error=f"the worker stopped responding {MAX_ATTEMPTS} times; upload again "
                        "or contact support",
                    )
                    failed += 1
                    continue
                stages = {k: dict(v) for k, v in job.stages.items()}
                stages[stage].update(attempts=attempts, status="queued", updated_at=now.isoformat())
                job.stages = stages
                log.warning("job %s: stage %s stalled, re-enqueued (attempt %d)", job_id, stage, attempts)
                session.flush()
                for task, args in stage_restarts(stage, stages[stage]):
                    enqueue(task, str(job_id), *args)
                retried += 1
    return {"retried": retried, "failed": failed}


@celery_app.task(name="ingest.reap_stalled", ignore_result=True)
def reap_stalled_task() -> dict[str, int]:
    """Periodic (celery beat) sweep for stalled stages."""
    return reap_stalled()
