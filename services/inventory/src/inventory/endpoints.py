"""Inventory API."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from common.auth import CurrentIdentity
from common.db import SessionDep
from common.org_settings import OrganizationSettingsRepository
from common.recommendations import RecommendationRepository
from inventory import schemas
from inventory.service import InventoryService

router = APIRouter(tags=["inventory"])


def get_service(session: SessionDep, identity: CurrentIdentity) -> InventoryService:
    """The inventory service for the caller's organization."""
    return InventoryService(
        RecommendationRepository(session, "inventory"), identity, OrganizationSettingsRepository(session)
    )


ServiceDep = Annotated[InventoryService, Depends(get_service)]


@router.get(
    "/inventory-recommendations",
    response_model=schemas.InventoryPage,
    responses={
        200: {
            "content": {"text/csv": {}},
            "description": "JSON page, or with format=csv a purchase-order file per supplier and store",
        }
    },
)
async def inventory_recommendations(
    service: ServiceDep,
    store: str | None = None,
    urgent_only: bool = False,
    sort: Literal["urgency", "value", "store"] = "urgency",
    format: Literal["json", "csv"] = "json",
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000_000)] = 0,
) -> Any:
    """Reorder points, safety stock and order quantities per store x sku, most urgent first."""
    if format == "csv":
        return Response(
            await service.purchase_orders_csv(store),
            media_type="text/csv",
            headers={"Content-Disposition": 'attachment; filename="purchase-orders.csv"'},
        )
    return await service.recommendations(store, urgent_only, sort, limit, offset)


@router.get("/inventory-recommendations/summary", response_model=schemas.InventorySummary)
async def inventory_summary(service: ServiceDep) -> Any:
    """Stock value, items at stockout risk, excess stock value, and the spread factor in use."""
    return await service.summary()
