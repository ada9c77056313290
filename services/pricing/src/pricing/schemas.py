"""Response bodies of the pricing API."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel


class CrossEffect(BaseModel):
    """How this item's units respond to a substitute's price (cross elasticity with its interval)."""

    sku: str
    elasticity: float | None
    low: float | None
    high: float | None


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
    # Where the elasticity and its interval come from: the forecast's demand model, or pricing's
    # own regression for items the forecast has no demand curve for.
    elasticity_source: Literal["demand_model", "regression"] | None = None
    cross_effects: list[CrossEffect] | None = None
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
