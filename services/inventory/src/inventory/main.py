"""Inventory service: reorder points and order quantities from the forecast."""

from common.app import create_app
from inventory.endpoints import router

app = create_app(
    "inventory",
    [router],
    title="SmartRetail AI — inventory",
    description="Safety stock, reorder points, order quantities and purchase orders.",
)
