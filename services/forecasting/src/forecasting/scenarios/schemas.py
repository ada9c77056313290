"""Request and response bodies of the scenarios API (the contract of issue 19: extend, never rename)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Literal

from pydantic import BaseModel, Field, ValidationInfo, field_validator, model_validator

# A change longer than this is a typo more often than a plan (and would expand to a huge plan).
MAX_CHANGE_DAYS = 366
MAX_CHANGES = 2000
MAX_PRICE = 1e9


def _printable(value: str | None) -> str | None:
    """Refuse control characters (PostgreSQL cannot store NUL in text)."""
    if value is not None and any(ord(c) < 32 for c in value):
        raise ValueError("text without control characters")
    return value


class ScenarioChange(BaseModel):
    """A price and/or promotion for some items over a date range; no store/sku/category: every item."""

    store: str | None = Field(None, min_length=1, max_length=200)
    sku: str | None = Field(None, min_length=1, max_length=200)
    category: str | None = Field(None, min_length=1, max_length=300)
    start: date
    end: date
    price: float | None = Field(None, description="the price to charge (0 or more)")
    price_change_pct: float | None = Field(
        None, description="percent change from the price the baseline assumes for that date"
    )
    promotion: Literal[0, 1] | None = None

    _text = field_validator("store", "sku", "category")(_printable)

    @field_validator("end")
    @classmethod
    def _end_after_start(cls, end: date, info: ValidationInfo) -> date:
        start = info.data.get("start")
        if isinstance(start, date):
            if end < start:
                raise ValueError(f"end {end.isoformat()} is before start {start.isoformat()}")
            if (end - start).days >= MAX_CHANGE_DAYS:
                raise ValueError(f"a change covers at most {MAX_CHANGE_DAYS} days; split longer ones")
        return end

    @field_validator("price")
    @classmethod
    def _price_not_negative(cls, price: float | None) -> float | None:
        if price is not None and not 0 <= price <= MAX_PRICE:
            raise ValueError(f"a price of 0 or more (at most {MAX_PRICE:g}), not {price}")
        return price

    @field_validator("price_change_pct")
    @classmethod
    def _pct_above_minus_100(cls, pct: float | None) -> float | None:
        if pct is not None and not -100 <= pct <= 1000:
            raise ValueError(f"a change between -100 and 1000 percent, not {pct}")
        return pct

    @model_validator(mode="after")
    def _one_change(self) -> ScenarioChange:
        if self.price is None and self.price_change_pct is None and self.promotion is None:
            raise ValueError("no change given: set price, price_change_pct or promotion")
        if self.price is not None and self.price_change_pct is not None:
            raise ValueError("give price or price_change_pct, not both")
        return self


class ScenarioCreate(BaseModel):
    """A named set of changes, optionally starting from the current pricing suggestions."""

    name: str = Field(min_length=1, max_length=200)
    changes: list[ScenarioChange] = Field(default_factory=list, max_length=MAX_CHANGES)
    from_pricing_suggestions: bool = False

    _text = field_validator("name")(_printable)


class ScenarioAccepted(BaseModel):
    """A scenario taken on: computed in the background."""

    id: uuid.UUID
    status: str


class ScenarioFigures(BaseModel):
    """Units, revenue and gross margin over the forecast horizon."""

    units: float | None = None
    revenue: float | None = None
    gross_margin: float | None = None


class ScenarioItemFigures(ScenarioFigures):
    """An item's figures plus the inventory policy's order and stock-out risk on that demand."""

    order_quantity: float | None = None
    stockout_risk: float | None = None


class ScenarioTotals(BaseModel):
    """Sums over the scenario's items."""

    baseline: ScenarioFigures
    scenario: ScenarioFigures


class ScenarioPoint(BaseModel):
    """One forecast period: the scenario's band and the baseline's median."""

    date: date
    p10: float
    p50: float
    p90: float
    baseline_p50: float


class ScenarioItem(BaseModel):
    """One store x sku the scenario changes or affects through its substitutes."""

    store: str
    sku: str
    category: str | None = None
    changed: bool
    unit_cost_assumed: bool
    baseline: ScenarioItemFigures
    scenario: ScenarioItemFigures
    points: list[ScenarioPoint]


class ScenarioSummary(BaseModel):
    """A scenario in the list."""

    id: uuid.UUID
    name: str
    status: Literal["queued", "running", "succeeded", "failed"]
    progress: float
    error: str | None = None
    created_at: str
    horizon_start: date
    horizon_end: date
    totals: ScenarioTotals | None = None


class ScenarioList(BaseModel):
    """The organization's scenarios, newest first."""

    items: list[ScenarioSummary]
    total: int


class Scenario(ScenarioSummary):
    """A scenario with its changes, its totals and a page of its items."""

    changes: list[dict[str, object]]
    from_pricing_suggestions: bool
    assumptions: list[str]
    items: list[ScenarioItem]
    total: int


class AdoptAccepted(BaseModel):
    """The job that makes the scenario the plan and runs forecasting and inventory again."""

    job_id: uuid.UUID
