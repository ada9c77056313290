"""Response bodies of the inventory API."""

from __future__ import annotations

from pydantic import BaseModel

from inventory.stockouts.schemas import ItemStockouts


class InventoryRecommendation(BaseModel):
    """What to order for one store x sku, why, and how much risk there is."""

    store: str
    sku: str
    on_hand: float | None
    on_order: float | None = None
    reorder_point: float | None
    safety_stock: float | None
    order_up_to: float | None = None
    order_quantity: float | None
    days_of_cover: float | None = None
    stockout_risk: float | None = None
    expected_stockout_date: str | None = None
    excess_units: float | None = None
    excess_value: float | None = None
    urgency: int | None = None
    supplier: str | None = None
    # "forecast", or "history" where the item's own past lead time + review totals were used
    # (its Syntetos-Boylan demand_class chose so); null for results stored before these existed.
    demand_source: str | None = None
    demand_class: str | None = None
    # How often the item ran out over the last 365 days of history and what that cost; null for
    # results stored before stock-outs were recorded.
    stockouts: ItemStockouts | None = None
    explanation: str


class InventoryPage(BaseModel):
    """A page of recommendations."""

    items: list[InventoryRecommendation]
    total: int


class InventorySummary(BaseModel):
    """Stock value, items at risk and excess value across the organization."""

    stock_value: float
    items_at_risk: int
    excess_value: float
    items: int
    orders_due: int
    # The factor the last run scaled the forecast's spread by (1: not scaled), and how many ended
    # lead time + review windows with known demand it was calibrated on.
    spread_factor: float = 1.0
    calibration_windows: int = 0
    # The same for the items whose demand came from their own history, and how many those are.
    history_spread_factor: float = 1.0
    history_calibration_windows: int = 0
    history_items: int = 0
