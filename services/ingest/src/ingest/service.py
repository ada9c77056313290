"""Upload handling: spool, sniff, map, validate every row, stage with COPY, hand over to the queue."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import tempfile
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from fastapi import UploadFile
from sqlalchemy.ext.asyncio import AsyncSession

from common import db
from common.auth import Identity
from common.celery_app import enqueue
from common.csvsafe import csv_line
from common.errors import AppError, NotFound, Unprocessable
from common.jobs import initial_stages
from common.models import UploadJob
from common.settings import get_settings
from ingest import parsing
from ingest.mapping import ColumnMapping, detect_mapping
from ingest.repository import IngestRepository

log = logging.getLogger("smartretail.ingest")
FIRST_ERRORS = 100
MAX_STORED_ERRORS = 100_000
SPOOL_CHUNK = 1024 * 1024


@dataclass
class UploadOptions:
    """How the retailer wants the upload handled."""

    on_error: str = "reject"
    dry_run: bool = False
    horizon_days: int | None = None
    mapping: dict[str, str] = field(default_factory=dict)

    @staticmethod
    def parse_mapping(raw: str | None) -> dict[str, str]:
        """The `mapping` form field: a JSON object canonical -> source column."""
        if not raw:
            return {}
        try:
            value = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise Unprocessable(
                f'\'mapping\' is not valid JSON ({exc.msg}); expected an object like {{"sku": "Item Code"}}'
            ) from exc
        if not isinstance(value, dict) or not all(
            isinstance(k, str) and isinstance(v, str | None) for k, v in value.items()
        ):
            raise Unprocessable(
                '\'mapping\' must be a JSON object of column names, like {"sku": "Item Code"}'
            )
        return {k: v for k, v in value.items() if v}


@dataclass
class ValidationOutcome:
    """Row counts and errors of one pass over a file."""

    rows_total: int = 0
    rows_valid: int = 0
    errors: list[parsing.RowError] = field(default_factory=list)
    error_counts: dict[str, int] = field(default_factory=dict)

    @property
    def rows_rejected(self) -> int:
        """Rows with at least one bad value."""
        return self.rows_total - self.rows_valid


@dataclass
class SpooledFile:
    """An upload written to a temporary file, with its hash."""

    path: Path
    size: int
    sha256: str
    filename: str | None


async def spool(upload: UploadFile, max_bytes: int) -> SpooledFile:
    """Copy the upload to a temporary file while hashing it; 413 over the size limit."""
    digest = hashlib.sha256()
    size = 0
    fd, name = tempfile.mkstemp(prefix="upload-", suffix=".bin")
    try:
        with os.fdopen(fd, "wb") as out:
            while chunk := await upload.read(SPOOL_CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise AppError(f"the file is larger than the upload limit of {max_bytes:,} bytes", 413)
                digest.update(chunk)
                out.write(chunk)
    except BaseException:
        os.unlink(name)
        raise
    if size == 0:
        os.unlink(name)
        raise Unprocessable("the file is empty")
    return SpooledFile(Path(name), size, digest.hexdigest(), upload.filename)


class IngestService:
    """Sales uploads for one organization."""

    def __init__(self, session: AsyncSession, identity: Identity) -> None:
        self.session = session
        self.identity = identity
        self.repository = IngestRepository(session)
        self.settings = get_settings()

    def _mapping(self, file: SpooledFile, options: UploadOptions) -> tuple[parsing.FileFormat, ColumnMapping]:
        fmt = parsing.sniff(file.path)
        return fmt, detect_mapping(fmt.headers, options.mapping)

    def _state(self, mapping: ColumnMapping) -> parsing.ValidationState:
        return parsing.ValidationState(
            mapping=mapping,
            today=date.today(),
            future_tolerance_days=self.settings.future_date_tolerance_days,
        )

    async def preview(self, file: SpooledFile, options: UploadOptions) -> dict[str, Any]:
        """Dry run: mapping, counts and first errors, storing nothing."""
        fmt, mapping = await asyncio.to_thread(self._mapping, file, options)
        outcome = ValidationOutcome()
        state = self._state(mapping)
        async for _frame, _progress in self._validated(file.path, fmt, state, outcome):
            pass
        return {
            "mapping": mapping.columns,
            "columns_seen": list(mapping.columns_seen),
            "file_format": {
                "kind": fmt.kind,
                "compression": fmt.compression,
                "encoding": fmt.encoding,
                "delimiter": fmt.delimiter,
            },
            "rows_total": outcome.rows_total,
            "rows_valid": outcome.rows_valid,
            "rows_rejected": outcome.rows_rejected,
            "error_counts": state.error_counts,
            "errors": [e.as_dict() for e in outcome.errors[:FIRST_ERRORS]],
        }

    async def _validated(
        self, path: Path, fmt: parsing.FileFormat, state: parsing.ValidationState, outcome: ValidationOutcome
    ) -> AsyncIterator[tuple[Any, float]]:
        """Validated batches of a file, parsed off the event loop."""
        batches = parsing.read_batches(path, fmt)
        first_row = 2  # row 1 is the header
        while True:
            item = await asyncio.to_thread(next, batches, None)
            if item is None:
                break
            raw, progress = item
            good, errors = await asyncio.to_thread(parsing.validate_batch, raw, first_row, state)
            first_row += len(raw)
            outcome.rows_total += len(raw)
            outcome.rows_valid += len(good)
            room = MAX_STORED_ERRORS - len(outcome.errors)
            if room > 0:
                outcome.errors.extend(errors[:room])
            yield good, progress
        outcome.error_counts = state.error_counts
        if outcome.rows_total == 0:
            raise Unprocessable("the file has a header but no rows")

    async def upload_sales(self, file: SpooledFile, options: UploadOptions) -> tuple[int, dict[str, Any]]:
        """Validate and stage a sales file; returns (status code, body)."""
        fmt, mapping = await asyncio.to_thread(self._mapping, file, options)
        earlier = await self.repository.find_job_by_hash(self.identity.organization_id, file.sha256, "sales")
        if earlier is not None:
            return 200, {
                "job_id": earlier.id,
                "status": earlier.status,
                "rows_accepted": earlier.rows_accepted,
                "rows_rejected": earlier.rows_rejected,
                "duplicate": True,
                "mapping": mapping.columns,
            }
        job = await self._new_job(file, options)
        outcome = ValidationOutcome()
        state = self._state(mapping)
        rejected = False
        try:
            rejected = await self._stage(job.id, file, fmt, state, outcome, options)
        except BaseException as exc:
            await self._finish_job(
                job.id,
                outcome,
                failed=str(getattr(exc, "message", ""))
                or "the upload was interrupted; nothing was stored, upload again",
            )
            raise
        first = [e.as_dict() for e in outcome.errors[:FIRST_ERRORS]]
        if rejected:
            await self._finish_job(
                job.id,
                outcome,
                failed=(
                    f"{outcome.rows_rejected:,} of {outcome.rows_total:,} rows have errors; "
                    "nothing was stored (send on_error=skip to store the good rows)"
                ),
            )
            raise Unprocessable(
                f"{outcome.rows_rejected:,} of {outcome.rows_total:,} rows have errors, nothing was stored. "
                f"First: {outcome.errors[0].message}",
                job_id=str(job.id),
                errors=first,
                error_counts=state.error_counts,
                mapping=mapping.columns,
                columns_seen=list(mapping.columns_seen),
            )
        if outcome.rows_valid == 0:
            await self._finish_job(job.id, outcome, failed="no valid rows")
            raise Unprocessable(
                "no row of the file is valid; nothing was stored",
                job_id=str(job.id),
                errors=first,
                error_counts=state.error_counts,
                mapping=mapping.columns,
            )
        await self._finish_job(job.id, outcome, failed=None)
        enqueue("ingest.merge", str(job.id))
        return 202, {
            "job_id": job.id,
            "status": "running",
            "rows_accepted": outcome.rows_valid,
            "rows_rejected": outcome.rows_rejected,
            "mapping": mapping.columns,
        }

    async def _new_job(self, file: SpooledFile, options: UploadOptions) -> UploadJob:
        stages = initial_stages()
        stages["ingest"]["status"] = "running"
        job = UploadJob(
            organization_id=self.identity.organization_id,
            kind="sales",
            filename=file.filename,
            file_sha256=file.sha256,
            status="running",
            stages=stages,
            started_at=datetime.now(UTC),
            options={
                "on_error": options.on_error,
                "horizon_days": options.horizon_days or self.settings.default_horizon_days,
            },
        )
        # Committed at once, in its own transaction, so the job (and its progress) is visible
        # while the rows are still being validated and staged.
        async with db.async_session_scope() as session:
            await IngestRepository(session).add_job(job)
        return job

    async def _stage(
        self,
        job_id: uuid.UUID,
        file: SpooledFile,
        fmt: parsing.FileFormat,
        state: parsing.ValidationState,
        outcome: ValidationOutcome,
        options: UploadOptions,
    ) -> bool:
        """COPY valid rows into staging in one transaction; True when the file is rejected."""
        org = str(self.identity.organization_id)
        rejected = False
        last_progress = [0.0]

        async def chunks() -> AsyncIterator[bytes]:
            nonlocal rejected
            async for good, progress in self._validated(file.path, fmt, state, outcome):
                if outcome.errors and options.on_error == "reject":
                    rejected = True  # keep reading, only to count every error
                    continue
                if len(good):
                    good = good.assign(job_id=str(job_id), organization_id=org)
                    yield await asyncio.to_thread(parsing.to_copy_csv, good)
                if progress - last_progress[0] >= 0.05:
                    last_progress[0] = progress
                    await self._progress(job_id, 0.5 * progress)

        # The staging rows and nothing else share this transaction: a rejected or interrupted
        # upload rolls back whole, and a killed process leaves nothing (uncommitted) behind.
        async with db.async_session_scope() as session:
            await IngestRepository(session).copy_staged(chunks())
            if rejected:
                await session.rollback()
        return rejected

    async def _progress(self, job_id: uuid.UUID, progress: float) -> None:
        async with db.async_session_scope() as session:
            job = await session.get(UploadJob, job_id, with_for_update=True)
            if job is not None:
                stages = {k: dict(v) for k, v in job.stages.items()}
                stages["ingest"]["progress"] = round(progress, 4)
                job.stages = stages

    async def _finish_job(self, job_id: uuid.UUID, outcome: ValidationOutcome, failed: str | None) -> None:
        async with db.async_session_scope() as session:
            job = await session.get(UploadJob, job_id, with_for_update=True)
            if job is None:
                return
            stages = {k: dict(v) for k, v in job.stages.items()}
            job.rows_total = outcome.rows_total
            job.rows_accepted = 0 if failed else outcome.rows_valid
            job.rows_rejected = outcome.rows_rejected if not failed else outcome.rows_total
            job.error_counts = dict(outcome.error_counts)
            job.errors = [e.as_dict() for e in outcome.errors[:FIRST_ERRORS]]
            if failed:
                stages["ingest"].update(status="failed", error=failed)
                job.status, job.error, job.finished_at = "failed", f"ingest: {failed}", datetime.now(UTC)
            else:
                stages["ingest"].update(progress=0.5)
            job.stages = stages
            await IngestRepository(session).add_errors(job_id, outcome.errors)

    async def get_job(self, job_id: uuid.UUID) -> UploadJob:
        """A job of the caller's organization; 404 for anyone else's."""
        job = await self.repository.get_job(self.identity.organization_id, job_id)
        if job is None:
            raise NotFound("no such job")
        return job

    async def errors_csv(self, job_id: uuid.UUID) -> AsyncIterator[str]:
        """Every rejected value of a job as CSV lines (formula-safe)."""
        await self.get_job(job_id)
        yield csv_line(("row", "column", "value", "expected", "kind"))
        async for error in self.repository.stream_errors(job_id):
            yield csv_line((error.row, error.column, error.value, error.expected, error.kind))
