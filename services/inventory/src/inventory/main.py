"""Inventory service: reorder points and order quantities from the forecast."""

from common.app import create_app
from inventory.endpoints import router
from inventory.stockouts.endpoints import router as stockouts_router

app = create_app(
    "inventory",
    [router, stockouts_router],
    title="SmartRetail AI — inventory",
    description="Safety stock, reorder points, order quantities, purchase orders and stock-outs.",
)
