"""Response bodies of the stock-outs API."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel

Source = Literal["stock", "inferred"]
# Orders of the list: `start` latest first, losses largest first, `store` and `sku` alphabetical.
Sort = Literal["start", "lost_units", "lost_revenue", "store", "sku"]


class Stockout(BaseModel):
    """One run of days an item was out of stock, and the demand it could not serve."""

    store: str
    sku: str
    start: date
    end: date
    # "stock": the stock history shows it; "inferred": a run of zero sales the item's demand makes improbable.
    source: Source
    probability: float
    sales: float
    estimated_demand: float
    lost_units: float
    lost_revenue: float


class StockoutPage(BaseModel):
    """A page of stock-outs, with the count and the losses of every run that matches the filters."""

    items: list[Stockout]
    total: int
    lost_units_total: float
    lost_revenue_total: float


class ItemStockouts(BaseModel):
    """How often an item ran out over the last 365 days of history, and what that cost."""

    count: int
    lost_units: float
    lost_revenue: float
