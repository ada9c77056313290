"""Pricing API."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query

from common.auth import CurrentIdentity
from common.db import SessionDep
from common.recommendations import RecommendationRepository
from pricing import schemas
from pricing.service import PricingService

router = APIRouter(tags=["pricing"])


def get_service(session: SessionDep, identity: CurrentIdentity) -> PricingService:
    """The pricing service for the caller's organization."""
    return PricingService(RecommendationRepository(session, "pricing"), identity)


ServiceDep = Annotated[PricingService, Depends(get_service)]


@router.get("/pricing-suggestions", response_model=schemas.PricingPage)
async def pricing_suggestions(
    service: ServiceDep,
    store: str | None = None,
    sku: str | None = None,
    sort: Literal["store", "profit"] = "store",
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000_000)] = 0,
) -> Any:
    """Suggested prices with elasticity, its interval, expected changes and an explanation."""
    return await service.suggestions(store, sku, sort, limit, offset)


@router.get("/pricing-suggestions/simulate", response_model=schemas.Simulation)
async def simulate_price(
    service: ServiceDep,
    store: str,
    sku: str,
    price: Annotated[float, Query(ge=0.01, le=1e6, description="price to simulate")],
) -> Any:
    """What-if: expected weekly units, revenue and profit at a price."""
    return await service.simulate(store, sku, price)
