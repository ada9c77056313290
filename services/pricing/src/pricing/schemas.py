"""Response bodies of the pricing API."""

from __future__ import annotations

from pydantic import BaseModel


class PricingSuggestion(BaseModel):
    """A suggested price for one store x sku, with the elasticity behind it and what to expect."""

    store: str
    sku: str
    current_price: float | None
    suggested_price: float | None
    elasticity: float | None
    elasticity_ci: list[float | None] | None = None
    expected_units_change: float | None = None
    expected_revenue_change: float | None = None
    expected_profit_change: float | None
    expected_profit_change_low: float | None = None
    expected_profit_change_high: float | None = None
    confidence: str | None = None
    n_price_changes: int | None = None
    unit_cost: float | None = None
    unit_cost_assumed: bool | None = None
    explanation: str


class PricingPage(BaseModel):
    """A page of suggestions."""

    items: list[PricingSuggestion]
    total: int


class Simulation(BaseModel):
    """Expected weekly outcome at a given price."""

    store: str
    sku: str
    price: float
    expected_units: float
    expected_revenue: float
    expected_profit: float
