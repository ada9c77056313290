"""Upload handling: receive, sniff, map, validate every row, store in one transaction, hand over.

Several kinds of file share the path: sales (staged with COPY, then merged by the `ingest.merge`
task), and kinds with a `RowTarget`: the product master, the price/promotion plan, the stock
history and the calendar's stores and events (ingest.calendar), each upserted in the request's own
transaction, then the engines that read them re-run. The kinds are defined in upload_kinds.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pyarrow as pa
from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession

from common import db, holds
from common.auth import Identity
from common.celery_app import enqueue
from common.csvsafe import csv_line
from common.errors import AppError, NotFound, Unprocessable
from common.models import UploadJob
from common.settings import get_settings
from common.stages import FORECASTING, INGEST, INVENTORY, PIPELINE, PRICING
from ingest import parsing, validation
from ingest.job_repository import UploadJobRepository
from ingest.mapping import ColumnMapping, detect_mapping
from ingest.receiving import ReceivedFile, receive_file
from ingest.repository import IngestRepository
from ingest.stall import StallWatch
from ingest.upload_jobs import UploadJobs, UploadRecord
from ingest.upload_kinds import ONE_OF, PLAN, PRODUCTS, SALES, UploadKind

FIRST_ERRORS = 100
MAX_STORED_ERRORS = validation.MAX_ERRORS
# Share of the ingest stage's progress bar: receiving the body, then reading and storing it; the
# merge task (sales) takes it from 0.5 to 1.
RECEIVE_SHARE = 0.1
STAGED_PROGRESS = 0.5


@dataclass
class UploadOptions:
    """How the retailer wants the upload handled."""

    on_error: str = "reject"
    dry_run: bool = False
    horizon_days: int | None = None
    mapping: dict[str, str] = field(default_factory=dict)
    job_id: uuid.UUID | None = None

    @staticmethod
    def parse_mapping(raw: str | None) -> dict[str, str]:
        """The `mapping` form field: a JSON object canonical -> source column ("" when mapped to null)."""
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
        # null or "" un-maps: the canonical column is not taken from any column of the file, not
        # even the one detection would pick (kept as "", which detect_mapping reads as "none").
        return {k: v or "" for k, v in value.items()}


@dataclass
class ValidationOutcome:
    """Row counts and errors of one pass over a file."""

    rows_total: int = 0
    rows_valid: int = 0
    errors: list[validation.RowError] = field(default_factory=list)

    @property
    def rows_rejected(self) -> int:
        """Rows with at least one bad value."""
        return self.rows_total - self.rows_valid


class IngestService:
    """Uploads for one organization."""

    def __init__(self, session: AsyncSession, identity: Identity) -> None:
        self.session = session
        self.identity = identity
        self.repository = IngestRepository(session)
        self.job_repository = UploadJobRepository(session)
        self.jobs = UploadJobs(identity.organization_id)
        self.settings = get_settings()

    # -- the request -------------------------------------------------------------------------

    async def upload(
        self, request: Request, kind: UploadKind, options: UploadOptions
    ) -> tuple[int, dict[str, Any]]:
        """Receive a file and store it (or preview it); returns (status code, body)."""
        job: UploadJob | None = None
        if options.job_id is not None and not options.dry_run:
            # The client named the job: it exists from the first byte, so its progress can be
            # followed while the body is still arriving.
            job = await self.jobs.open(self._new_job(kind, options, job_id=options.job_id), named=True)
        received: ReceivedFile | None = None
        try:
            progress = self.jobs.receive_progress(job.id, RECEIVE_SHARE) if job is not None else None
            received = await receive_file(request, self.settings.max_upload_bytes, progress)
            options.mapping = UploadOptions.parse_mapping(received.fields.get("mapping"))
            fmt, mapping = await asyncio.to_thread(self._detect, received, kind, options)
            if options.dry_run:
                return 200, await self.preview(received, fmt, mapping, kind)
            if kind is SALES:
                earlier = await self.job_repository.find_job_by_hash(
                    self.identity.organization_id, received.sha256, kind.name
                )
                if earlier is not None:
                    if job is not None:
                        await self.jobs.delete(job.id)
                    return 200, {
                        "job_id": str(earlier.id),
                        "status": earlier.status,
                        "rows_accepted": earlier.rows_accepted,
                        "rows_rejected": earlier.rows_rejected,
                        "duplicate": True,
                        "mapping": mapping.columns,
                    }
            if job is None:
                job = await self.jobs.open(self._new_job(kind, options, received=received), named=False)
            else:
                await self.jobs.describe(job.id, received.filename, received.sha256)
            return await self._store(job.id, received, fmt, mapping, kind, options)
        except BaseException as exc:
            if job is not None:
                reason = (
                    exc.message
                    if isinstance(exc, AppError)
                    else "the upload was interrupted; nothing was stored, upload again"
                )
                await asyncio.shield(self.jobs.fail_if_running(job.id, reason))
            raise
        finally:
            if received is not None:
                received.discard()

    def _detect(
        self, received: ReceivedFile, kind: UploadKind, options: UploadOptions
    ) -> tuple[parsing.FileFormat, ColumnMapping]:
        fmt = parsing.sniff(received.path, self.settings.max_upload_decompressed_bytes)
        mapping = detect_mapping(
            fmt.headers, options.mapping, kind.required, kind.synonyms, kind.alternatives
        )
        one_of = ONE_OF.get(kind.name, ())
        if one_of and not any(mapping.source(c) for c in one_of):
            raise Unprocessable(
                f"a {kind.name} file needs at least one of the columns {list(one_of)}; "
                f"columns seen: {fmt.headers}",
                columns_seen=fmt.headers,
                mapping=mapping.columns,
            )
        return fmt, mapping

    async def _state(self, mapping: ColumnMapping, kind: UploadKind) -> validation.ValidationState:
        # Plans are relative to the data: a history that ended years ago is planned from its end.
        plan_after = None
        if kind is PLAN:
            plan_after = await self.repository.last_sales_date(self.identity.organization_id)
        return validation.ValidationState(
            mapping=mapping,
            today=date.today(),
            future_tolerance_days=self.settings.future_date_tolerance_days,
            plan_after=plan_after,
            error_room=MAX_STORED_ERRORS,
        )

    async def preview(
        self, received: ReceivedFile, fmt: parsing.FileFormat, mapping: ColumnMapping, kind: UploadKind
    ) -> dict[str, Any]:
        """Dry run: mapping, counts and first errors, storing nothing."""
        outcome = ValidationOutcome()
        state = await self._state(mapping, kind)
        async for _table, _progress in self._validated(received, fmt, state, outcome, kind):
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
            "flag_counts": state.flag_counts,
            "errors": [e.as_dict() for e in outcome.errors[:FIRST_ERRORS]],
        }

    async def _validated(
        self,
        received: ReceivedFile,
        fmt: parsing.FileFormat,
        state: validation.ValidationState,
        outcome: ValidationOutcome,
        kind: UploadKind,
    ) -> AsyncIterator[tuple[pa.Table, float]]:
        """Validated batches of a file, read and checked in a thread; the next one is prepared
        while the caller stores the current one."""
        batches = parsing.read_batches(received.path, fmt, self.settings.max_upload_decompressed_bytes)
        first_row = [2]  # row 1 is the header

        def step() -> tuple[pa.Table, list[validation.RowError], int, float] | None:
            item = next(batches, None)
            if item is None:
                return None
            raw, progress = item
            good, errors = kind.validate(raw, first_row[0], state)
            first_row[0] += raw.num_rows
            return good, errors, raw.num_rows, progress

        pending = asyncio.ensure_future(asyncio.to_thread(step))
        try:
            while True:
                item = await pending
                if item is None:
                    break
                pending = asyncio.ensure_future(asyncio.to_thread(step))
                good, errors, n_rows, progress = item
                outcome.rows_total += n_rows
                outcome.rows_valid += good.num_rows
                outcome.errors.extend(errors)
                yield good, progress
        finally:
            if not pending.done():
                pending.cancel()
                # The thread runs on; wait for it so the file is not deleted under the reader.
                await asyncio.gather(pending, return_exceptions=True)
        if outcome.rows_total == 0:
            raise Unprocessable("the file has a header but no rows")

    # -- storing -----------------------------------------------------------------------------

    async def _store(
        self,
        job_id: uuid.UUID,
        received: ReceivedFile,
        fmt: parsing.FileFormat,
        mapping: ColumnMapping,
        kind: UploadKind,
        options: UploadOptions,
    ) -> tuple[int, dict[str, Any]]:
        """Load every valid row in one transaction; commit it only when the file is accepted."""
        organization_id = self.identity.organization_id
        state = await self._state(mapping, kind)
        outcome = ValidationOutcome()
        rejected = False
        last = [RECEIVE_SHARE]
        end = STAGED_PROGRESS if kind is SALES else 0.9
        columns = kind.target.columns if kind.target is not None else validation.STAGED_COLUMNS

        watch = StallWatch(self.settings.ingest_database_stall_timeout_s)

        async def chunks() -> AsyncIterator[bytes]:
            nonlocal rejected
            async for good, progress in self._validated(received, fmt, state, outcome, kind):
                watch.beat()  # the driver took the previous chunk
                if state.error_counts and options.on_error == "reject":
                    rejected = True  # keep reading, only to count every error
                elif good.num_rows:
                    yield await asyncio.to_thread(validation.to_copy_csv, good, columns)
                # Short of `end`: STAGED_PROGRESS is set with the staging commit, and a retry of a
                # file whose job shows it is answered as a duplicate (repository.find_job_by_hash).
                share = RECEIVE_SHARE + (end - RECEIVE_SHARE) * min(progress, 0.99)
                if share - last[0] >= 0.02:
                    last[0] = share
                    await self.jobs.progress(job_id, share)
                await holds.async_hold_point("ingest.staging", str(job_id))  # fault tests cut the COPY here

        counts: dict[str, int] = {}
        failure: str | None = None

        async def load(session: AsyncSession) -> None:
            nonlocal failure, counts
            repository = IngestRepository(session)
            if kind.target is None:
                await repository.copy_staged(job_id, organization_id, chunks())
            else:
                await kind.target.copy(session, chunks())
            watch.beat()
            failure = self._failure(outcome, state, rejected)
            if failure is not None:
                # Nothing of the file is kept: the staged or loaded rows go with the transaction.
                await session.rollback()
                return
            mapped = [c for c, source in mapping.columns.items() if source]
            if kind.target is not None:
                counts = await kind.target.upsert(session, organization_id, job_id, mapped)
            state.flag("duplicate_keys", counts.pop("duplicate_keys", 0))
            # The job's record of this step commits with the rows themselves.
            skipped = () if kind is SALES else await self._skipped_stages(repository, kind)
            record = self._record(outcome, state, counts, failed=False)
            staged = STAGED_PROGRESS if kind is SALES else None
            await self.jobs.finish(
                session, job_id, record, outcome.errors, staged_progress=staged, skipped=skipped
            )
            watch.beat()
            await session.commit()

        async with db.async_session_scope() as session:
            # The COPY and the commit are bounded: a restart of the database that the driver does
            # not notice must not leave the request (and the client) waiting forever.
            await watch.run(load(session), session)
        if failure is not None:
            async with db.async_session_scope() as session:
                record = self._record(outcome, state, counts, failed=True)
                await self.jobs.finish(session, job_id, record, outcome.errors, failed=failure)
            raise self._rejection(job_id, outcome, state, mapping, failure)
        if kind is SALES:
            enqueue(INGEST.task, str(job_id))
        else:
            for task in await self.jobs.tasks_to_run(job_id):
                enqueue(task, str(job_id))
        return 202, {
            "job_id": str(job_id),
            "status": "running" if kind is SALES else await self.jobs.status(job_id),
            "rows_accepted": outcome.rows_valid,
            "rows_rejected": outcome.rows_rejected,
            "mapping": mapping.columns,
            "error_counts": state.error_counts,
            "flag_counts": state.flag_counts,
            **counts,
        }

    @staticmethod
    def _failure(outcome: ValidationOutcome, state: validation.ValidationState, rejected: bool) -> str | None:
        if rejected:
            return (
                f"{outcome.rows_rejected:,} of {outcome.rows_total:,} rows have errors; "
                "nothing was stored (send on_error=skip to store the good rows)"
            )
        if outcome.rows_valid == 0:
            return "no row of the file is valid; nothing was stored"
        return None

    @staticmethod
    def _rejection(
        job_id: uuid.UUID,
        outcome: ValidationOutcome,
        state: validation.ValidationState,
        mapping: ColumnMapping,
        failure: str,
    ) -> Unprocessable:
        first = sorted(outcome.errors[:MAX_STORED_ERRORS], key=lambda e: e.row)[:FIRST_ERRORS]
        message = failure if not first else f"{failure}. First: {first[0].message}"
        return Unprocessable(
            message,
            job_id=str(job_id),
            errors=[e.as_dict() for e in first],
            error_counts=state.error_counts,
            errors_truncated=_truncated(state),
            mapping=mapping.columns,
            columns_seen=list(mapping.columns_seen),
        )

    async def _skipped_stages(self, repository: IngestRepository, kind: UploadKind) -> tuple[str, ...]:
        """The engines a products, plan or stock upload does not re-run (their stages are skipped)."""
        has_sales = await repository.organization_has(self.identity.organization_id, "sales_lines")
        if kind is PRODUCTS:
            # Pricing needs cost with sales; inventory re-plans stock from the forecasts there are.
            has_forecasts = await repository.organization_has(
                self.identity.organization_id, "forecast_series"
            )
            reruns = {PRICING.name: has_sales, INVENTORY.name: has_forecasts}
        else:
            # A plan (known prices and promotions), stock history (censored days, stock on hand)
            # or a calendar (stores, events) changes the forecast and the demand curves pricing
            # reads; forecasting hands on to pricing and inventory.
            reruns = {FORECASTING.name: has_sales, PRICING.name: has_sales, INVENTORY.name: has_sales}
        return tuple(s.name for s in PIPELINE if s is not INGEST and not reruns.get(s.name, False))

    def _new_job(
        self,
        kind: UploadKind,
        options: UploadOptions,
        *,
        job_id: uuid.UUID | None = None,
        received: ReceivedFile | None = None,
    ) -> UploadJob:
        return UploadJob(
            id=job_id or uuid.uuid4(),
            organization_id=self.identity.organization_id,
            kind=kind.name,
            filename=received.filename if received else None,
            file_sha256=received.sha256 if received else None,
            options={
                "on_error": options.on_error,
                "horizon_days": options.horizon_days or self.settings.default_horizon_days,
            },
        )

    @staticmethod
    def _record(
        outcome: ValidationOutcome, state: validation.ValidationState, counts: dict[str, int], *, failed: bool
    ) -> UploadRecord:
        # A rejected file stores none of its rows.
        return UploadRecord(
            rows_total=outcome.rows_total,
            rows_accepted=0 if failed else outcome.rows_valid,
            rows_rejected=outcome.rows_total if failed else outcome.rows_rejected,
            error_counts=dict(state.error_counts),
            flag_counts=dict(state.flag_counts),
            errors_truncated=_truncated(state),
            errors=[e.as_dict() for e in sorted(outcome.errors, key=lambda e: e.row)[:FIRST_ERRORS]],
            counts={} if failed else counts,
        )

    async def list_jobs(self, limit: int, offset: int) -> tuple[Sequence[UploadJob], int]:
        """A page of the organization's jobs, newest first, and the total."""
        return await self.job_repository.list_jobs(self.identity.organization_id, limit, offset)

    async def sales_timeseries(self, store: str | None, sku: str | None, freq: str) -> list[dict[str, Any]]:
        """Units and revenue of products per day or week, optionally for one store and/or sku."""
        return await self.repository.sales_timeseries(self.identity.organization_id, store, sku, freq)

    async def get_job(self, job_id: uuid.UUID) -> UploadJob:
        """A job of the caller's organization; 404 for anyone else's."""
        job = await self.job_repository.get_job(self.identity.organization_id, job_id)
        if job is None:
            raise NotFound("no such job")
        return job

    async def errors_csv(self, job_id: uuid.UUID) -> AsyncIterator[str]:
        """Every stored rejected value of a job as CSV lines (formula-safe)."""
        await self.get_job(job_id)
        yield csv_line(("row", "column", "value", "expected", "kind"))
        async for error in self.job_repository.stream_errors(job_id):
            yield csv_line((error.row, error.column, error.value, error.expected, error.kind))


def _truncated(state: validation.ValidationState) -> bool:
    return state.error_room <= 0 and sum(state.error_counts.values()) > MAX_STORED_ERRORS
