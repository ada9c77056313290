"""Segmentation service: customers grouped by buying behaviour, with lifetime value."""

from common.app import create_app
from segmentation.endpoints import router

app = create_app(
    "segmentation",
    [router],
    title="SmartRetail AI — customer segmentation",
    description="RFM + K-Means customer segments, lifetime value and segment migration.",
)
