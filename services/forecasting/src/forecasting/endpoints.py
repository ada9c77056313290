"""Forecast API."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query

from common.auth import CurrentIdentity
from common.db import SessionDep
from forecasting import schemas
from forecasting.repository import ForecastRepository
from forecasting.service import ForecastService

router = APIRouter(tags=["forecast"])


def get_service(session: SessionDep, identity: CurrentIdentity) -> ForecastService:
    """The forecast service for the caller's organization."""
    return ForecastService(ForecastRepository(session), identity)


# Unset fields are left out, so `drivers` appears only when asked for (the rest is always set).
@router.get("/forecast", response_model=schemas.ForecastPage, response_model_exclude_unset=True)
async def get_forecast(
    service: Annotated[ForecastService, Depends(get_service)],
    store: str | None = None,
    sku: str | None = None,
    level: Annotated[
        Literal["store", "category", "store_category", "total"] | None,
        Query(description="a level of the reconciled hierarchy instead of per store x sku"),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000_000)] = 0,
    drivers: Annotated[
        bool, Query(description="add each point's drivers: units of p50 per driver family, summing to p50")
    ] = False,
) -> Any:
    """Demand forecasts with p10/p50/p90 per period, the model chosen and its backtest accuracy."""
    if level is not None:
        return await service.aggregate(level)
    return await service.series_page(store, sku, limit, offset, drivers=drivers)
