"""Pricing service: price elasticities and guarded price suggestions."""

from common.app import create_app
from pricing.endpoints import router

app = create_app(
    "pricing",
    [router],
    title="SmartRetail AI — pricing",
    description="Price elasticity per product, suggested prices within guardrails, what-if.",
)
