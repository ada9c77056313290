"""Forecasting service: demand forecasts per store and product, with uncertainty."""

from common.app import create_app
from forecasting.endpoints import router
from forecasting.scenarios.endpoints import router as scenarios_router

app = create_app(
    "forecasting",
    [router, scenarios_router],
    title="SmartRetail AI — forecasting",
    description="Demand forecasts per store x sku with p10/p50/p90 and backtest accuracy.",
)
