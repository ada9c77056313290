"""Customer segment API."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse

from common.auth import CurrentIdentity
from common.db import SessionDep, StreamSessionDep
from common.org_settings import OrganizationSettingsRepository
from segmentation import schemas
from segmentation.repository import SegmentRepository
from segmentation.service import SegmentService

router = APIRouter(tags=["customer segments"])


def get_service(session: SessionDep, identity: CurrentIdentity) -> SegmentService:
    """The segment service for the caller's organization."""
    return SegmentService(SegmentRepository(session), identity, OrganizationSettingsRepository(session))


ServiceDep = Annotated[SegmentService, Depends(get_service)]


def get_stream_service(session: StreamSessionDep, identity: CurrentIdentity) -> SegmentService:
    """The segment service on a session that lives until a streamed export has been sent."""
    return SegmentService(SegmentRepository(session), identity, OrganizationSettingsRepository(session))


@router.get("/customer-segments", response_model=schemas.Segments)
async def customer_segments(service: ServiceDep) -> Any:
    """Customer segments (RFM + K-Means) with size, revenue share, lifetime value and recommended action."""
    return await service.segments()


@router.get("/customer-segments/customers", response_model=schemas.CustomerPage)
async def segment_customers(
    service: ServiceDep,
    segment: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000_000)] = 0,
) -> Any:
    """Customers with their features, segment, CLV and P(alive), most valuable first."""
    return await service.customers(segment, limit, offset)


@router.get("/customer-segments/migration", response_model=schemas.MigrationReport)
async def segment_migration(service: ServiceDep) -> Any:
    """How many customers moved between segments since the previous run."""
    return await service.migration()


@router.get("/customer-segments/export.csv", response_class=StreamingResponse)
async def export_segment(
    service: Annotated[SegmentService, Depends(get_stream_service)], segment: str | None = None
) -> StreamingResponse:
    """A segment's customers as CSV for a campaign tool."""
    return StreamingResponse(
        service.export_csv(segment),
        media_type="text/csv",
        headers={"Content-Disposition": 'attachment; filename="customers.csv"'},
    )
