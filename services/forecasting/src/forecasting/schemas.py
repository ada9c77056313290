"""Response bodies of the forecast API."""

from __future__ import annotations

from pydantic import BaseModel


class Drivers(BaseModel):
    """Units of p50 explained by each driver family; they sum to p50."""

    base: float
    seasonality: float
    price: float
    promotion: float
    events: float
    substitutes: float


class ForecastPoint(BaseModel):
    """One future period with its 80% band (and with `drivers=true`, why p50 is what it is)."""

    date: str
    p10: float
    p50: float
    p90: float
    drivers: Drivers | None = None


class Accuracy(BaseModel):
    """Backtest error of the chosen model (rolling-origin, held-out windows)."""

    wape: float | None
    mase: float | None
    bias: float | None
    coverage_80: float | None


class SeriesForecast(BaseModel):
    """A store x sku forecast with the model chosen and how it did in backtests."""

    store: str
    sku: str
    model: str
    frequency: str
    accuracy: Accuracy
    points: list[ForecastPoint]


class AggregateForecast(BaseModel):
    """A store's, category's, store x category's or the total forecast: reconciled, so levels add up."""

    level: str
    key: str  # the store, the category, "store|category", or "total"
    store: str | None = None
    category: str | None = None
    sku: str | None = None
    model: str = "aggregate"
    # The reconciliation method chosen by backtest (e.g. mint_shrink, bottom_up); None: item sums.
    reconciliation: str | None = None
    points: list[ForecastPoint]


class ForecastPage(BaseModel):
    """A page of forecasts."""

    items: list[SeriesForecast] | list[AggregateForecast]
    total: int
