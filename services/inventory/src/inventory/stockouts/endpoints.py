"""Stock-outs API: the runs of days items were out of stock and what they lost."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from common.auth import CurrentIdentity
from common.db import SessionDep
from common.org_settings import OrganizationSettingsRepository
from inventory.stockouts import schemas
from inventory.stockouts.repository import StockoutFilter, StockoutRepository
from inventory.stockouts.service import StockoutService

router = APIRouter(tags=["inventory"])
# A code as stored: PostgreSQL text holds no NUL character, and codes are at most 200 characters.
Code = Annotated[str | None, Query(max_length=200, pattern=r"^[^\x00]*$")]


def get_service(session: SessionDep, identity: CurrentIdentity) -> StockoutService:
    """The stock-out service for the caller's organization."""
    return StockoutService(StockoutRepository(session), identity, OrganizationSettingsRepository(session))


ServiceDep = Annotated[StockoutService, Depends(get_service)]


@router.get(
    "/stockouts",
    response_model=schemas.StockoutPage,
    responses={
        200: {"content": {"text/csv": {}}, "description": "JSON page, or with format=csv every match"}
    },
)
async def stockouts(
    service: ServiceDep,
    store: Code = None,
    sku: Code = None,
    source: schemas.Source | None = None,
    since: Annotated[date | None, Query(description="runs that ended on or after this date")] = None,
    sort: schemas.Sort = "start",
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000_000)] = 0,
    format: Literal["json", "csv"] = "json",
) -> Any:
    """Stock-outs per store x sku, latest first: each run's dates, source, sales, estimated demand and losses.

    `sort`: `start` (latest first, the default), `lost_units` or `lost_revenue` (largest first),
    `store` or `sku` (alphabetical); ties go to the latest run. The CSV follows the same order.

    `source`: `stock` (the stock history shows the item out of stock) or `inferred` (a run of zero
    sales that the item's demand makes improbable, with its `probability`). `total`,
    `lost_units_total` and `lost_revenue_total` cover every run matching the filters, not only the
    page. `format=csv` exports every match, with the organization's currency in a last column.
    """
    where = StockoutFilter(store=store, sku=sku, source=source, since=since)
    if format == "csv":
        return Response(
            await service.csv(where, sort),
            media_type="text/csv",
            headers={"Content-Disposition": 'attachment; filename="stockouts.csv"'},
        )
    return await service.page(where, limit, offset, sort)
