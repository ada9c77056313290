"""How every engine stage runs as a Celery task: progress, retries, failure reasons, fan-out."""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from celery import Task
from prometheus_client import Histogram
from sqlalchemy.exc import DBAPIError, OperationalError

from common import holds, jobs
from common.celery_app import celery_app

log = logging.getLogger("smartretail.pipeline")
TASK_SECONDS = Histogram(
    "task_duration_seconds",
    "Celery task duration",
    ["task", "outcome"],
    buckets=(0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600),
)
HEARTBEAT_S = 30.0
# Faults worth retrying: the database or broker went away for a moment.
TRANSIENT = (OperationalError, ConnectionError, TimeoutError)
# What a stage function returns when its stage had nothing to do (e.g. no customer ids to segment).
SKIPPED = "skipped"


class StageError(Exception):
    """An expected failure of a stage, with a reason a person can read."""


def stage_task(name: str, stage: str, *, part: bool = False) -> Callable[[Callable[..., Any]], Task]:
    """Register `fn(job_id, organization_id, report, *args)` as task `name` reporting on `stage`.

    The task receives the job id (and the arguments after it); the job's organization is looked
    up here, and a job that no longer exists fails the stage. The stage is
    marked succeeded when `fn` returns, or skipped when it returns SKIPPED.
    `report(progress)` advances the stage's progress bar. Transient faults are retried with
    backoff; anything else marks the stage (and so the job) failed with a readable reason.
    Tasks take ids only and must be idempotent: a redelivered task writes the same result once.
    `name` and `stage` are common.stages' (e.g. `stage_task(PRICING.task, PRICING.name)`).

    `part=True` registers one part of a stage that several tasks share (e.g. a chunk of series):
    it beats and fails the stage like any task, but never turns a finished stage back to running
    (a redelivered part after the stage ended) and never marks the stage done itself: `fn` reports
    its completion (common.jobs.complete_chunk) and the part completing last ends the stage.
    """

    def decorate(fn: Callable[..., Any]) -> Task:
        @celery_app.task(name=name, bind=True, acks_late=True, max_retries=4)
        @functools.wraps(fn)
        def run(self: Task, job_id: str, *args: Any) -> Any:
            started = time.perf_counter()
            jobs.update_stage(job_id, stage, status="running", keep_done=part)
            heartbeat = Heartbeat(job_id, stage)
            heartbeat.start()
            holds.hold_point(name, job_id)  # fault tests park a running task here
            last_report = [0.0]

            def report(progress: float) -> None:
                now = time.monotonic()
                if now - last_report[0] >= 0.5 or progress >= 1.0:
                    last_report[0] = now
                    jobs.update_stage(job_id, stage, progress=progress)

            try:
                try:
                    organization_id = jobs.job_organization(job_id)
                    if organization_id is None:  # deleted since the task was sent
                        raise StageError("the job no longer exists")
                    result = fn(job_id, organization_id, report, *args)
                finally:
                    heartbeat.stop()
            except TRANSIENT as exc:
                if self.request.retries < self.max_retries:
                    log.warning("%s for job %s hit a transient fault, retrying: %s", name, job_id, exc)
                    raise self.retry(exc=exc, countdown=2 ** (self.request.retries + 1)) from exc
                _fail(job_id, stage, f"the database or queue was unavailable ({type(exc).__name__})")
                TASK_SECONDS.labels(name, "failed").observe(time.perf_counter() - started)
                raise
            except StageError as exc:
                _fail(job_id, stage, str(exc))
                TASK_SECONDS.labels(name, "failed").observe(time.perf_counter() - started)
                return None
            except Exception as exc:
                log.exception("%s failed for job %s", name, job_id)
                reason = (
                    str(exc).splitlines()[0][:300] if not isinstance(exc, DBAPIError) else "database error"
                )
                _fail(
                    job_id,
                    stage,
                    f"unexpected error ({type(exc).__name__}: {reason}); upload again or contact support",
                )
                TASK_SECONDS.labels(name, "failed").observe(time.perf_counter() - started)
                return None
            if not part:
                jobs.update_stage(job_id, stage, status=SKIPPED if result == SKIPPED else "succeeded")
            TASK_SECONDS.labels(name, "succeeded").observe(time.perf_counter() - started)
            return result

        return run  # type: ignore[return-value]

    return decorate


class Heartbeat:
    """Touches a running stage every HEARTBEAT_S, so the reaper can tell it is alive."""

    def __init__(self, job_id: str, stage: str) -> None:
        self.job_id, self.stage = job_id, stage
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"heartbeat-{stage}", daemon=True)

    def start(self) -> None:
        """Begin beating in the background."""
        self._thread.start()

    def stop(self) -> None:
        """Stop beating (the task ended)."""
        self._stop.set()
        self._thread.join(timeout=5)

    def _beat(self) -> None:
        while not self._stop.wait(HEARTBEAT_S):
            try:
                jobs.update_stage(self.job_id, self.stage)
            except Exception as exc:  # a missed beat is not fatal; the next one may land
                log.warning("heartbeat of %s/%s failed: %s", self.job_id, self.stage, exc)


def _fail(job_id: str, stage: str, reason: str) -> None:
    try:
        jobs.update_stage(job_id, stage, status="failed", error=reason)
    except Exception:
        log.exception("could not record the failure of %s for job %s", stage, job_id)
