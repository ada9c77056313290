"""Calendar API: stores (where they are, when they are open) and events (built-in and the retailer's own)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import JSONResponse

from common.auth import CurrentIdentity
from common.db import SessionDep
from ingest import schemas as upload_schemas
from ingest.calendar import schemas
from ingest.calendar.schemas import NO_NUL
from ingest.calendar.service import CalendarService
from ingest.endpoints import (
    UPLOAD_RESPONSES,
    DryRun,
    JobId,
    ServiceDep,
    check_declared_size,
    multipart_body,
)
from ingest.service import IngestService
from ingest.upload_kinds import UploadKind

router = APIRouter(tags=["calendar"])


def get_calendar_service(session: SessionDep, identity: CurrentIdentity) -> CalendarService:
    """The calendar service for the caller's organization."""
    return CalendarService(session, identity)


CalendarDep = Annotated[CalendarService, Depends(get_calendar_service)]
Limit = Annotated[int, Query(ge=1, le=1000)]
Offset = Annotated[int, Query(ge=0, le=1_000_000_000)]


def _upload_route(path: str, what: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    return router.post(
        path,
        status_code=202,
        response_model=upload_schemas.UploadAccepted,
        responses=UPLOAD_RESPONSES,
        openapi_extra=multipart_body(what),
    )


async def _upload(
    request: Request,
    service: IngestService,
    calendar: CalendarService,
    kind: UploadKind,
    dry_run: bool,
    job_id: uuid.UUID | None,
) -> JSONResponse:
    check_declared_size(request)
    options = await calendar.upload_options(dry_run=dry_run, job_id=job_id)
    status, body = await service.upload(request, kind, options)
    return JSONResponse(body, status_code=status)


@_upload_route("/upload-stores", "stores")
async def upload_stores(
    request: Request,
    service: ServiceDep,
    calendar: CalendarDep,
    dry_run: DryRun = False,
    job_id: JobId = None,
) -> Any:
    """Upload stores: where each is (its public holidays and retail events) and when it is open.

    Columns: store (required), name, country (ISO 3166-1 alpha-2, e.g. US, GB, DE), subdivision
    (a state or region code the holidays package knows, e.g. CA, BY, ENG; or its name, e.g.
    Bayern; read in the row's country, or the organization's default country when the row has
    none), city, opened_on, closed_on; common header names are recognised (`state`, `region`,
    `opening date`, ...). Every row is checked (an unknown country or subdivision, a closing date
    before the opening date, an unreadable date are named by row and column); one bad row rejects
    the file and nothing is stored. Stored in one transaction, by store code: new stores are added,
    only the file's columns are written, an empty cell keeps the stored value (PUT /stores/{store}
    clears one), a store moved to another country without a subdivision loses its old one;
    uploading the same file again changes nothing (`rows_unchanged`). Then forecasting runs again,
    and pricing and inventory after it (skipped before any sales). `dry_run=true` validates only.
    """
    return await _upload(request, service, calendar, await calendar.stores_kind(), dry_run, job_id)


@router.get("/stores", response_model=schemas.StoreList)
async def list_stores(calendar: CalendarDep, limit: Limit = 100, offset: Offset = 0) -> schemas.StoreList:
    """The organization's stores (from sales, products and stores uploads), by store code."""
    items, total = await calendar.list_stores(limit, offset)
    return schemas.StoreList(items=[schemas.Store.model_validate(item) for item in items], total=total)


@router.put(
    "/stores/{store}",
    response_model=schemas.StoreSaved,
    responses={404: {"description": "no such store in the organization"}},
)
async def update_store(
    store: Annotated[str, Path(max_length=200, pattern=NO_NUL)],
    data: schemas.StoreUpdate,
    calendar: CalendarDep,
) -> schemas.StoreSaved:
    """Change any of a store's fields (those sent; null clears one, and the default country applies).

    404 for a store the organization has no sales, products or stores row for (POST /upload-stores
    adds stores); 422 names the field (an unknown country or subdivision, closed_on before
    opened_on, an unknown field). A country changed without a subdivision clears the old one. Then
    forecasting, pricing and inventory run again: `job_id` (null before any sales).
    """
    saved, job_id = await calendar.update_store(store, data)
    return schemas.StoreSaved.model_validate({**saved, "job_id": job_id})


@_upload_route("/upload-events", "events")
async def upload_events(
    request: Request,
    service: ServiceDep,
    calendar: CalendarDep,
    dry_run: DryRun = False,
    job_id: JobId = None,
) -> Any:
    """Upload the retailer's own events, past and future: campaigns, local festivals, closures.

    Columns: name and start (required), end (default: start, a one-day event), store (default:
    every store), category (default: every category), kind (free text, e.g. campaign); common
    header names are recognised. An end before the start, an unreadable date or one more than ten
    years ahead is named by row and column, and rejects the file. A store the organization has no
    sales or stores row for yet is accepted (its sales may come later) and counted in
    `flag_counts.unknown_store`. An event is its name, start, end, store and category: uploading it
    again changes nothing (or only its kind). Then forecasting runs again, and pricing and
    inventory after it (skipped before any sales). `dry_run=true` validates only.
    """
    return await _upload(request, service, calendar, await calendar.events_kind(), dry_run, job_id)


@router.get("/events", response_model=schemas.EventList)
async def list_events(
    calendar: CalendarDep,
    since: Annotated[date | None, Query(description="first day (default: the first sales date)")] = None,
    until: Annotated[date | None, Query(description="last day (default: the forecast's last day)")] = None,
    store: Annotated[
        str | None, Query(max_length=200, pattern=NO_NUL, description="only what applies to this store")
    ] = None,
    source: Annotated[schemas.EventSource | None, Query(description="holiday, retail or own")] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> schemas.EventList:
    """Every event that applies, overlapping since..until, by start date.

    Public holidays and built-in retail events (with the days before and after them that demand
    usually moves) of each store's country and subdivision and of the organization's default
    country, and the retailer's own events (`store`: for one store, the events of its place and
    its own and all-store events). Built-in events have a stable string id (`holiday:US:2025-12-25:
    christmas-day`), own events their number. Without since/until the window runs from the first
    sales date to the end of the forecast horizon (today +/- 1 year before any sales); at most
    3,660 days.
    """
    items, total = await calendar.list_events(since, until, store, source, limit, offset)
    return schemas.EventList(items=[schemas.Event.model_validate(item) for item in items], total=total)


@router.delete(
    "/events/{event_id}",
    status_code=204,
    response_class=Response,
    responses={
        404: {"description": "no such event in the organization"},
        409: {"description": "a built-in event (public holiday or retail event)"},
    },
)
async def delete_event(event_id: str, calendar: CalendarDep) -> Response:
    """Delete one of the retailer's own events, then re-run forecasting, pricing and inventory.

    409 for a built-in event (a public holiday or retail event); 404 for an id the organization
    has no event with.
    """
    await calendar.delete_event(event_id)
    return Response(status_code=204)
