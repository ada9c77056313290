"""An upload's job while the request runs: opened at the first byte, its progress, its outcome.

Each step commits in its own short transaction (so the job and its progress are visible while
the rows are still arriving), except the outcome of a stored file, which commits with the rows.
Stage entries change only through common.jobs.record_stage, as in the workers.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from common import db
from common.errors import AppError
from common.jobs import record_stage
from common.models import UploadJob
from common.stages import INGEST, ready_tasks
from ingest.job_repository import UploadJobRepository
from ingest.validation import RowError

log = logging.getLogger("smartretail.ingest")


@dataclass
class UploadRecord:
    """What an upload's pass over its file leaves on the job: counts, flags and first errors."""

    rows_total: int
    rows_accepted: int
    rows_rejected: int
    error_counts: dict[str, int]
    flag_counts: dict[str, int]
    errors_truncated: bool
    errors: list[dict[str, Any]]
    counts: dict[str, int] = field(default_factory=dict)

    def as_columns(self) -> dict[str, Any]:
        """The job's columns this record sets."""
        return {
            "rows_total": self.rows_total,
            "rows_accepted": self.rows_accepted,
            "rows_rejected": self.rows_rejected,
            "error_counts": self.error_counts,
            "flag_counts": self.flag_counts,
            "errors_truncated": self.errors_truncated,
            "errors": self.errors,
            **self.counts,
        }


class UploadJobs:
    """The upload jobs of one organization, as the upload request keeps them."""

    def __init__(self, organization_id: uuid.UUID) -> None:
        self.organization_id = organization_id

    async def open(self, job: UploadJob, *, named: bool) -> UploadJob:
        """Store a new job with its ingest stage running; 409 when a client-named id is taken."""
        record_stage(job, INGEST.name, status="running")
        async with db.async_session_scope() as session:
            repository = UploadJobRepository(session)
            if named and await repository.job_exists(job.id):
                raise AppError(f"a job with id {job.id} already exists; send a new job_id", 409)
            await repository.add_job(job)
        return job

    async def describe(self, job_id: uuid.UUID, filename: str | None, sha256: str) -> None:
        """Name the file of a job opened before its body arrived."""

        def describe(job: UploadJob) -> None:
            job.filename, job.file_sha256 = filename, sha256

        await self._change(job_id, describe)

    async def delete(self, job_id: uuid.UUID) -> None:
        """Remove a job whose upload turned out to need none (a duplicate file)."""
        async with db.async_session_scope() as session:
            await UploadJobRepository(session).delete_job(job_id)

    async def progress(self, job_id: uuid.UUID, progress: float) -> None:
        """Advance the ingest stage's progress bar while it runs."""
        await self._change(
            job_id, lambda job: record_stage(job, INGEST.name, progress=progress), running=True
        )

    def receive_progress(self, job_id: uuid.UUID, share: float) -> Callable[[int, int | None], Any]:
        """A receive_file progress callback filling the first `share` of the bar."""

        async def report(received: int, total: int | None) -> None:
            if total:
                await self.progress(job_id, share * min(received / total, 1.0))

        return report

    async def fail_if_running(self, job_id: uuid.UUID, reason: str) -> None:
        """Fail the ingest stage (and the job) with a reason, unless it already ended."""
        # The failure may be the database going away: try for a while to say so on the job.
        for attempt in range(5):
            try:
                await self._change(
                    job_id,
                    lambda job: record_stage(job, INGEST.name, status="failed", error=reason),
                    running=True,
                )
                return
            except Exception as exc:  # the client still gets the original error
                log.warning("could not mark job %s failed (attempt %d): %s", job_id, attempt + 1, exc)
                await asyncio.sleep(2**attempt)

    async def finish(
        self,
        session: AsyncSession,
        job_id: uuid.UUID,
        record: UploadRecord,
        row_errors: list[RowError],
        *,
        failed: str | None = None,
        staged_progress: float | None = None,
        skipped: tuple[str, ...] = (),
    ) -> None:
        """Record a file's outcome and its rejected rows in the caller's transaction.

        A staged file's ingest stage stops at `staged_progress` (the merge task ends it); a stored
        one ends it, and the stages in `skipped` (engines it does not concern) are skipped.
        """
        repository = UploadJobRepository(session)
        job = await repository.get_job(self.organization_id, job_id, for_update=True)
        if job is None:
            return
        columns = record.as_columns()
        if failed:
            record_stage(job, INGEST.name, status="failed", error=failed, **columns)
        elif staged_progress is not None:
            record_stage(job, INGEST.name, progress=staged_progress, **columns)
        else:
            record_stage(job, INGEST.name, status="succeeded", **columns)
            for stage in skipped:
                record_stage(job, stage, status="skipped")
        await repository.add_errors(job_id, row_errors)

    async def tasks_to_run(self, job_id: uuid.UUID) -> list[str]:
        """The tasks of the job's stages that can start now (the rest follow them)."""
        job = await self._get(job_id)
        return ready_tasks(job.stages) if job is not None else []

    async def status(self, job_id: uuid.UUID) -> str:
        """The job's status ("failed" when it vanished)."""
        job = await self._get(job_id)
        return job.status if job is not None else "failed"

    async def _get(self, job_id: uuid.UUID) -> UploadJob | None:
        async with db.async_session_scope() as session:
            return await UploadJobRepository(session).get_job(self.organization_id, job_id)

    async def _change(
        self, job_id: uuid.UUID, change: Callable[[UploadJob], Any], *, running: bool = False
    ) -> None:
        # One short transaction on the locked job; `running`: only while ingest still runs.
        async with db.async_session_scope() as session:
            job = await UploadJobRepository(session).get_job(self.organization_id, job_id, for_update=True)
            if job is None or (running and job.stages[INGEST.name]["status"] != "running"):
                return
            change(job)
