"""Ingest API: sales, products, plan and stock uploads, jobs and their error reports, sales history."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, StreamingResponse

from common.auth import CurrentIdentity, Identity, require_owner
from common.cache import cached
from common.db import SessionDep, StreamSessionDep
from common.errors import AppError
from common.models import UploadJob
from common.settings import get_settings
from ingest import schemas
from ingest.service import IngestService, UploadOptions
from ingest.upload_kinds import PLAN, PRODUCTS, SALES, STOCK, UploadKind

router = APIRouter(tags=["ingest"])


def get_service(session: SessionDep, identity: CurrentIdentity) -> IngestService:
    """The ingest service for the caller's organization."""
    return IngestService(session, identity)


ServiceDep = Annotated[IngestService, Depends(get_service)]


def get_stream_service(session: StreamSessionDep, identity: CurrentIdentity) -> IngestService:
    """The ingest service on a session that lives until a streamed body has been sent."""
    return IngestService(session, identity)


StreamServiceDep = Annotated[IngestService, Depends(get_stream_service)]


def check_declared_size(request: Request) -> None:
    """413 before reading a body whose declared length is over the upload limit."""
    limit = get_settings().max_upload_bytes
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit + 1024 * 1024:
        raise AppError(f"the upload is larger than the limit of {limit:,} bytes", 413)


def multipart_body(what: str) -> dict[str, Any]:
    """The OpenAPI description of an upload's multipart body (a file of `what`, an optional mapping)."""
    # The body is parsed as it streams in (ingest.receiving), so FastAPI cannot describe it.
    return {
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["file"],
                        "properties": {
                            "file": {
                                "type": "string",
                                "format": "binary",
                                "description": f"{what}: CSV (comma, semicolon or tab; UTF-8 or Windows-1252; "
                                "optionally gzipped), XLSX (first sheet) or Parquet",
                            },
                            "mapping": {
                                "type": "string",
                                "description": 'JSON object canonical -> source column, e.g. {"sku": "Item"}; '
                                'a canonical column mapped to null (or "") is not used even when a column '
                                'of the file would be detected for it, e.g. {"customer_id": null}',
                            },
                        },
                    }
                }
            },
        }
    }


UPLOAD_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "model": schemas.UploadPreview,
        "description": "dry run preview, or the earlier job of an identical file",
    },
    409: {"description": "the job_id given is already taken"},
    413: {"description": "file over the size limit"},
    422: {"description": "bad rows or columns; nothing stored"},
}

DryRun = Annotated[bool, Query(description="validate and preview only; store nothing")]
OnError = Annotated[
    Literal["reject", "skip"], Query(description="reject the file on any bad row, or skip bad rows")
]
HorizonDays = Annotated[int | None, Query(ge=1, le=366, description="forecast horizon in days (default 28)")]
JobId = Annotated[
    uuid.UUID | None,
    Query(
        description="optional id for the job, made by the client (a UUID): the job exists from the "
        "first byte, so GET /jobs/{job_id} shows the upload's progress while the file is still arriving"
    ),
]


async def _upload(
    request: Request,
    service: IngestService,
    identity: Identity,
    kind: UploadKind,
    *,
    dry_run: bool,
    on_error: str,
    horizon_days: int | None,
    job_id: uuid.UUID | None,
) -> JSONResponse:
    check_declared_size(request)
    if not dry_run:
        require_owner(identity)
    options = UploadOptions(on_error=on_error, dry_run=dry_run, horizon_days=horizon_days, job_id=job_id)
    status, body = await service.upload(request, kind, options)
    return JSONResponse(body, status_code=status)


@router.post(
    "/upload-sales",
    status_code=202,
    response_model=schemas.UploadAccepted,
    responses=UPLOAD_RESPONSES,
    openapi_extra=multipart_body("sales lines"),
)
async def upload_sales(
    request: Request,
    service: ServiceDep,
    identity: CurrentIdentity,
    dry_run: DryRun = False,
    on_error: OnError = "reject",
    horizon_days: HorizonDays = None,
    job_id: JobId = None,
) -> Any:
    """Upload sales history (validated whole; stored whole or not at all).

    Multipart field `file` (+ optional `mapping`, a JSON object canonical -> source column that
    overrides detection; a canonical column mapped to null or "" is left out even when a column of
    the file would be detected for it, e.g. `{"customer_id": null}`). Canonical columns: date, store, sku, quantity,
    unit_price (or a line total such as `spend`); optional customer_id, transaction_id,
    product_name, category, promotion, regular_price, feature, display, tpr_only. Common header
    names are recognised automatically. Returns (negative quantities, `C...` invoices) are kept as
    returns; free lines and non-product codes (postage, fees) are kept but flagged (`flag_counts`).

    Answers 202 with the job id once every row is validated and staged; the `ingest.merge` task then
    merges the rows into the sales history in one transaction and starts the engines. A
    byte-identical file already stored is answered 200 with the earlier job. Progress: give a
    `job_id` (a UUID you make) and poll `GET /jobs/{job_id}` during the upload: the ingest stage's
    progress goes 0-0.1 while the body arrives, 0.1-0.5 while the rows are read and staged (by
    bytes read), 0.5-1 during the merge.
    """
    return await _upload(
        request,
        service,
        identity,
        SALES,
        dry_run=dry_run,
        on_error=on_error,
        horizon_days=horizon_days,
        job_id=job_id,
    )


@router.post(
    "/upload-products",
    status_code=202,
    response_model=schemas.UploadAccepted,
    responses=UPLOAD_RESPONSES,
    openapi_extra=multipart_body("the product master"),
)
async def upload_products(
    request: Request,
    service: ServiceDep,
    identity: CurrentIdentity,
    dry_run: DryRun = False,
    on_error: OnError = "reject",
    job_id: JobId = None,
) -> Any:
    """Upload the product master: per store and sku, cost, price, stock and ordering constraints.

    Columns: sku (required), store (default store when absent), name, category, unit_cost, price,
    on_hand, on_order, lead_time_days, min_order_qty, pack_size, supplier; common header names are
    recognised. Stored in one transaction (upsert on store and sku; only the file's columns are
    written and an empty cell keeps the stored value; a repeated store and sku: the last row
    counts). Then pricing (which needs cost) and inventory (stock and lead time, from the current
    forecasts) run again; a stage with nothing to work on yet (no sales, no forecasts) is skipped.
    """
    return await _upload(
        request,
        service,
        identity,
        PRODUCTS,
        dry_run=dry_run,
        on_error=on_error,
        horizon_days=None,
        job_id=job_id,
    )


@router.post(
    "/upload-plan",
    status_code=202,
    response_model=schemas.UploadAccepted,
    responses=UPLOAD_RESPONSES,
    openapi_extra=multipart_body("planned prices and promotions"),
)
async def upload_plan(
    request: Request,
    service: ServiceDep,
    identity: CurrentIdentity,
    dry_run: DryRun = False,
    on_error: OnError = "reject",
    horizon_days: HorizonDays = None,
    job_id: JobId = None,
) -> Any:
    """Upload planned prices and promotions per store, sku and date after the last sale (known drivers).

    Columns: date (after the organization's last sales date; after today before any sales), sku,
    store (default store when absent), and at least one of
    unit_price, promotion, feature, display; same header recognition and validation as sales.
    Stored in one transaction (a later plan of a store, sku and date replaces it). Then
    forecasting runs again with the plan, and pricing and inventory after it; skipped when there
    are no sales.
    """
    return await _upload(
        request,
        service,
        identity,
        PLAN,
        dry_run=dry_run,
        on_error=on_error,
        horizon_days=horizon_days,
        job_id=job_id,
    )


@router.post(
    "/upload-stock",
    status_code=202,
    response_model=schemas.UploadAccepted,
    responses=UPLOAD_RESPONSES,
    openapi_extra=multipart_body("end-of-day stock per store, sku and date"),
)
async def upload_stock(
    request: Request,
    service: ServiceDep,
    identity: CurrentIdentity,
    dry_run: DryRun = False,
    on_error: OnError = "reject",
    job_id: JobId = None,
) -> Any:
    """Upload stock history: each item's end-of-day stock per date (stored whole or not at all).

    Columns: date, sku, store (default store when absent), and `on_hand` (units on hand at the end
    of the day, 0 or more; recognised as stock, soh, qty_on_hand, inventory, stock_level, ...) or
    an `in_stock` flag (0/1, true/false, yes/no) where the units are not known; where both are
    given the units decide (in stock = more than 0 on hand). Same header recognition and
    validation as sales. Stored in one transaction (a later snapshot of a store, sku and date
    replaces it). The latest snapshot of an item is its current stock for inventory unless a
    products file uploaded later gives its on_hand. Then forecasting runs again (periods out of
    stock are censored: their sales are a lower bound of demand), and pricing and inventory after
    it; skipped when there are no sales.
    """
    return await _upload(
        request,
        service,
        identity,
        STOCK,
        dry_run=dry_run,
        on_error=on_error,
        horizon_days=None,
        job_id=job_id,
    )


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
            "flag_counts": job.flag_counts or {},
            "errors_truncated": bool(job.errors_truncated),
            "errors": job.errors,
            "error": job.error,
        }
    )


@router.get("/jobs", response_model=schemas.JobList)
async def list_jobs(
    service: ServiceDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000_000)] = 0,
) -> schemas.JobList:
    """Upload jobs of the organization, newest first."""
    jobs, total = await service.list_jobs(limit, offset)
    return schemas.JobList(items=[_job_out(job) for job in jobs], total=total)


@router.get("/jobs/{job_id}", response_model=schemas.Job)
async def get_job(job_id: uuid.UUID, service: ServiceDep) -> schemas.Job:
    """An upload job with per-stage progress, row counts, flagged rows and the first 100 errors.

    `errors_truncated` is true when the file had more bad values than the 100,000 stored (the
    counts in `error_counts` are complete; errors.csv holds the first 100,000)."""
    return _job_out(await service.get_job(job_id))


@router.get("/jobs/{job_id}/errors.csv", response_class=StreamingResponse)
async def job_errors_csv(job_id: uuid.UUID, service: StreamServiceDep) -> StreamingResponse:
    """Every rejected value of an upload as CSV (row, column, value, expected, kind).

    Up to 100,000 values are kept per upload (a cap against garbage files); the job says
    `errors_truncated` when a file had more."""
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
        return {"points": await service.sales_timeseries(store, sku, freq)}

    return await cached(org, "sales", {"store": store, "sku": sku, "freq": freq}, load)
