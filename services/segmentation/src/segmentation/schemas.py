"""Response bodies of the customer segment API."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


class Segment(BaseModel):
    """A named group of customers with its RFM profile, value and recommended action."""

    name: str
    customers: int
    revenue_share: float
    recency_days: float
    frequency: float
    monetary: float
    clv_mean: float | None = None
    p_alive_mean: float | None = None
    description: str | None = None
    action: str | None = None


class Segments(BaseModel):
    """The latest segmentation run."""

    segments: list[Segment]
    total_customers: int
    run_at: datetime | None = None
    k: int | None = None
    silhouette: float | None = None


class Customer(BaseModel):
    """One customer's features, segment and value."""

    customer_id: str
    segment: str
    recency_days: float
    frequency: float
    monetary: float
    clv: float | None
    p_alive: float | None


class CustomerPage(BaseModel):
    """A page of customers."""

    items: list[Customer]
    total: int


class Migration(BaseModel):
    """How many customers moved from one segment to another between two runs."""

    from_segment: str
    to_segment: str
    customers: int


class MigrationReport(BaseModel):
    """Movements between the two latest runs."""

    items: list[Migration]
    previous_run_at: datetime | None
    current_run_at: datetime | None
