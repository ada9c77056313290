"""SQL of upload jobs and their rejected rows."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from common.models import UploadError, UploadJob
from ingest.repository import raw_connection
from ingest.validation import RowError


class UploadJobRepository:
    """Upload job queries on one session (async)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add_job(self, job: UploadJob) -> UploadJob:
        """Insert a job."""
        self.session.add(job)
        await self.session.flush()
        return job

    async def get_job(
        self, organization_id: uuid.UUID, job_id: uuid.UUID, *, for_update: bool = False
    ) -> UploadJob | None:
        """A job of this organization (another organization's job does not exist for the caller).

        `for_update` locks its row until the transaction ends (a change of its stages).
        """
        query = select(UploadJob).where(UploadJob.id == job_id, UploadJob.organization_id == organization_id)
        return (
            await self.session.execute(query.with_for_update() if for_update else query)
        ).scalar_one_or_none()

    async def find_job_by_hash(self, organization_id: uuid.UUID, sha256: str, kind: str) -> UploadJob | None:
        """The latest upload of a byte-identical file whose rows were stored (or are being merged)."""
        # An upload whose request died mid-way never reached staging (ingest progress below 0.5)
        # and stored nothing: a retry of the same file must go through, not be called a duplicate.
        stored = UploadJob.stages["ingest"]["progress"].as_float() >= 0.5
        return (
            await self.session.execute(
                select(UploadJob)
                .where(
                    UploadJob.organization_id == organization_id,
                    UploadJob.file_sha256 == sha256,
                    UploadJob.kind == kind,
                    UploadJob.status != "failed",
                    stored,
                )
                .order_by(UploadJob.created_at.desc())
                .limit(1)
            )
        ).scalar_one_or_none()

    async def job_exists(self, job_id: uuid.UUID) -> bool:
        """Whether any organization has a job with this id."""
        found = await self.session.execute(select(UploadJob.id).where(UploadJob.id == job_id))
        return found.first() is not None

    async def list_jobs(
        self, organization_id: uuid.UUID, limit: int, offset: int
    ) -> tuple[Sequence[UploadJob], int]:
        """A page of jobs, newest first, and the total."""
        jobs = (
            (
                await self.session.execute(
                    select(UploadJob)
                    .where(UploadJob.organization_id == organization_id)
                    .order_by(UploadJob.created_at.desc())
                    .limit(limit)
                    .offset(offset)
                )
            )
            .scalars()
            .all()
        )
        total = (
            await self.session.execute(
                select(func.count())
                .select_from(UploadJob)
                .where(UploadJob.organization_id == organization_id)
            )
        ).scalar_one()
        return jobs, int(total)

    async def add_errors(self, job_id: uuid.UUID, errors: list[RowError]) -> None:
        """Store rejected rows for the downloadable report (COPY: up to 100,000 of them)."""
        if not errors:
            return
        raw = await raw_connection(self.session)
        await raw.copy_records_to_table(
            UploadError.__tablename__,
            records=[(job_id, e.row, e.column, e.value, e.expected, e.kind) for e in errors],
            columns=["job_id", "row", "column", "value", "expected", "kind"],
        )

    async def stream_errors(self, job_id: uuid.UUID) -> AsyncIterator[UploadError]:
        """Every stored error of a job, in row order."""
        result = await self.session.stream_scalars(
            select(UploadError).where(UploadError.job_id == job_id).order_by(UploadError.row, UploadError.id)
        )
        async for error in result:
            yield error

    async def delete_job(self, job_id: uuid.UUID) -> None:
        """Remove a job (used when its upload is abandoned before anything was stored)."""
        await self.session.execute(delete(UploadJob).where(UploadJob.id == job_id))
