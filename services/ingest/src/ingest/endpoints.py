"""Ingest API: sales uploads, jobs and their error reports, sales history."""

from __future__ import annotations

import os
import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import JSONResponse, StreamingResponse

from common.auth import CurrentIdentity, require_owner
from common.cache import cached
from common.db import SessionDep
from common.errors import AppError
from common.models import UploadJob
from common.settings import get_settings
from ingest import schemas
from ingest.service import IngestService, UploadOptions, spool

router = APIRouter(tags=["ingest"])


def get_service(session: SessionDep, identity: CurrentIdentity) -> IngestService:
    """The ingest service for the caller's organization."""
    return IngestService(session, identity)


ServiceDep = Annotated[IngestService, Depends(get_service)]


def _check_declared_size(request: Request) -> None:
    limit = get_settings().max_upload_bytes
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit + 1024 * 1024:
        raise AppError(f"the upload is larger than the limit of {limit:,} bytes", 413)


@router.post(
    "/upload-sales",
    status_code=202,
    response_model=schemas.UploadAccepted,
    responses={
        200: {
            "model": schemas.UploadPreview,
            "description": "dry run preview, or the earlier job of an identical file",
        },
        413: {"description": "file over the size limit"},
        422: {"description": "bad rows or columns; nothing stored"},
    },
)
async def upload_sales(
    request: Request,
    service: ServiceDep,
    identity: CurrentIdentity,
    file: Annotated[
        UploadFile, File(description="CSV (comma, semicolon or tab; optionally gzipped), XLSX or Parquet")
    ],
    mapping: Annotated[
        str | None, Form(description='JSON object canonical -> source column, e.g. {"sku": "Item"}')
    ] = None,
    dry_run: Annotated[bool, Query(description="validate and preview only; store nothing")] = False,
    on_error: Annotated[
        Literal["reject", "skip"], Query(description="reject the file on any bad row, or skip bad rows")
    ] = "reject",
    horizon_days: Annotated[
        int | None, Query(ge=1, le=366, description="forecast horizon in days (default 28)")
    ] = None,
) -> Any:
    """Upload sales history (validated whole; stored whole or not at all).

    Canonical columns: date, store, sku, quantity, unit_price; optional customer_id, transaction_id,
    product_name, category, promotion. Common header names are recognised automatically.
    """
    _check_declared_size(request)
    options = UploadOptions(
        on_error=on_error,
        dry_run=dry_run,
        horizon_days=horizon_days,
        mapping=UploadOptions.parse_mapping(mapping),
    )
    if not dry_run:
        require_owner(identity)
    spooled = await spool(file, get_settings().max_upload_bytes)
    try:
        if dry_run:
            return JSONResponse(_jsonable(await service.preview(spooled, options)), status_code=200)
        status, body = await service.upload_sales(spooled, options)
        return JSONResponse(_jsonable(body), status_code=status)
    finally:
        os.unlink(spooled.path)


def _jsonable(body: dict[str, Any]) -> dict[str, Any]:
    return {k: (str(v) if isinstance(v, uuid.UUID) else v) for k, v in body.items()}


def _job_out(job: UploadJob) -> schemas.Job:
    return schemas.Job.model_validate(
        {
            "id": job.id,
            "kind": job.kind,
            "status": job.status,
            "filename": job.filename,
            "created_at": job.created_at,
            "started_at": job.started_at,
            "finished_at": job.finished_at,
            "stages": job.stages,
            "rows_total": job.rows_total,
            "rows_accepted": job.rows_accepted,
            "rows_rejected": job.rows_rejected,
            "rows_new": job.rows_new,
            "rows_updated": job.rows_updated,
            "rows_unchanged": job.rows_unchanged,
            "error_counts": job.error_counts,
            "errors": job.errors,
            "error": job.error,
        }
    )


@router.get("/jobs", response_model=schemas.JobList)
async def list_jobs(
    service: ServiceDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> schemas.JobList:
    """Upload jobs of the organization, newest first."""
    jobs, total = await service.repository.list_jobs(service.identity.organization_id, limit, offset)
    return schemas.JobList(items=[_job_out(job) for job in jobs], total=total)


@router.get("/jobs/{job_id}", response_model=schemas.Job)
async def get_job(job_id: uuid.UUID, service: ServiceDep) -> schemas.Job:
    """An upload job with per-stage progress, row counts and the first 100 errors."""
    return _job_out(await service.get_job(job_id))


@router.get("/jobs/{job_id}/errors.csv", response_class=StreamingResponse)
async def job_errors_csv(job_id: uuid.UUID, service: ServiceDep) -> StreamingResponse:
    """Every rejected value of an upload as CSV (row, column, value, expected, kind)."""
    await service.get_job(job_id)
    return StreamingResponse(
        service.errors_csv(job_id),
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="errors-{job_id}.csv"'},
    )


@router.get("/sales/timeseries", response_model=schemas.SalesTimeseries)
async def sales_timeseries(
    service: ServiceDep, store: str | None = None, sku: str | None = None, freq: Literal["D", "W"] = "W"
) -> Any:
    """Units and revenue over time (products only), for one store, one sku, or everything."""
    org = str(service.identity.organization_id)

    async def load() -> dict[str, Any]:
        return {
            "points": await service.repository.sales_timeseries(
                service.identity.organization_id, store, sku, freq
            )
        }

    return await cached(org, "sales", {"store": store, "sku": sku, "freq": freq}, load)
