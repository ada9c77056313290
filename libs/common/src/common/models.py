"""The shared PostgreSQL schema: every row belongs to an organization."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Computed,
    Date,
    DateTime,
    Double,
    ForeignKey,
    Identity,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from common.db import Base
from common.stages import STAGES


def _uuid() -> uuid.UUID:
    return uuid.uuid4()


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Organization(TimestampMixin, Base):
    """A retailer: the tenant every other row belongs to."""

    __tablename__ = "organizations"
    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=_uuid)
    name: Mapped[str] = mapped_column(String(200))
    settings: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")


class User(TimestampMixin, Base):
    """A person who signs in to an organization."""

    __tablename__ = "users"
    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=_uuid)
    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20), default="owner")


class RefreshToken(TimestampMixin, Base):
    """A rotating refresh token (by its id); reuse of a rotated one revokes its family."""

    __tablename__ = "refresh_tokens"
    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    family_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), index=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ApiKey(TimestampMixin, Base):
    """A partner's API key: stored only as a hash, with the scopes it grants."""

    __tablename__ = "api_keys"
    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=_uuid)
    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    created_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    prefix: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[list[str]] = mapped_column(JSONB)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class UploadJob(TimestampMixin, Base):
    """One upload and the pipeline run it triggered, with per-stage progress."""

    __tablename__ = "upload_jobs"
    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=_uuid)
    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20), default="sales")
    filename: Mapped[str | None] = mapped_column(String(500))
    file_sha256: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20), default="queued")
    stages: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    options: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    rows_total: Mapped[int] = mapped_column(BigInteger, default=0)
    rows_accepted: Mapped[int] = mapped_column(BigInteger, default=0)
    rows_rejected: Mapped[int] = mapped_column(BigInteger, default=0)
    rows_new: Mapped[int] = mapped_column(BigInteger, default=0)
    rows_updated: Mapped[int] = mapped_column(BigInteger, default=0)
    rows_unchanged: Mapped[int] = mapped_column(BigInteger, default=0)
    error_counts: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    errors: Mapped[list[Any]] = mapped_column(JSONB, server_default="[]")
    # Rows kept but marked (returns, non_product, zero_price, ...), and whether the stored errors
    # (downloadable as errors.csv) stopped at the cap while the counts went on.
    flag_counts: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    errors_truncated: Mapped[bool] = mapped_column(Boolean, server_default="false")
    error: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    __table_args__ = (
        Index("ix_upload_jobs_org_created", "organization_id", "created_at"),
        Index("ix_upload_jobs_org_sha", "organization_id", "file_sha256"),
    )


class UploadError(Base):
    """Every rejected row of an upload (the job keeps only the first 100)."""

    __tablename__ = "upload_errors"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    job_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("upload_jobs.id", ondelete="CASCADE"), index=True)
    row: Mapped[int] = mapped_column(BigInteger)
    column: Mapped[str] = mapped_column(String(200))
    value: Mapped[str | None] = mapped_column(Text)
    expected: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(50))


class Store(Base):
    """A store (or the default store when uploads name none), with where it is and when it is open."""

    __tablename__ = "stores"
    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    )
    store: Mapped[str] = mapped_column(String(200), primary_key=True)
    name: Mapped[str | None] = mapped_column(String(300))
    # ISO 3166-1 alpha-2 and the `holidays` package's subdivision code; NULL: the organization's country.
    country: Mapped[str | None] = mapped_column(Text)
    subdivision: Mapped[str | None] = mapped_column(Text)
    city: Mapped[str | None] = mapped_column(Text)
    opened_on: Mapped[date | None] = mapped_column(Date)
    closed_on: Mapped[date | None] = mapped_column(Date)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Event(Base):
    """One of the retailer's own events (a campaign, a local festival), past or future."""

    __tablename__ = "events"
    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(Text)
    kind: Mapped[str | None] = mapped_column(Text)
    start: Mapped[date] = mapped_column(Date)
    end: Mapped[date] = mapped_column(Date)
    # NULL: every store (or every category).
    store: Mapped[str | None] = mapped_column(Text)
    category: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    __table_args__ = (
        CheckConstraint('"end" >= start', name="end_after_start"),
        Index(
            "uq_events_natural",
            "organization_id",
            "name",
            "start",
            "end",
            "store",
            "category",
            unique=True,
            postgresql_nulls_not_distinct=True,
        ),
        Index("ix_events_org_start", "organization_id", "start"),
    )


class Product(Base):
    """A product as sold in one store, with what ingest learned and what upload-products says."""

    __tablename__ = "products"
    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    )
    store: Mapped[str] = mapped_column(String(200), primary_key=True)
    sku: Mapped[str] = mapped_column(String(200), primary_key=True)
    name: Mapped[str | None] = mapped_column(Text)
    category: Mapped[str | None] = mapped_column(String(300))
    price: Mapped[float | None] = mapped_column(Double)
    unit_cost: Mapped[float | None] = mapped_column(Double)
    on_hand: Mapped[float | None] = mapped_column(Double)
    # When a products file last gave on_hand; a stock snapshot uploaded later supersedes it.
    on_hand_updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    on_order: Mapped[float | None] = mapped_column(Double)
    lead_time_days: Mapped[float | None] = mapped_column(Double)
    min_order_qty: Mapped[float | None] = mapped_column(Double)
    pack_size: Mapped[float | None] = mapped_column(Double)
    supplier: Mapped[str | None] = mapped_column(String(300))
    is_product: Mapped[bool] = mapped_column(Boolean, server_default="true")
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


SALES_COLUMNS = (
    "store",
    "sku",
    "date",
    "transaction_id",
    "line_no",
    "quantity",
    "unit_price",
    "customer_id",
    "product_name",
    "category",
    "promotion",
    "regular_price",
    "feature",
    "display",
    "tpr_only",
    "is_product",
)


class SalesLine(Base):
    """One sales line; its primary key is the natural key, which makes re-uploads idempotent."""

    __tablename__ = "sales_lines"
    organization_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    store: Mapped[str] = mapped_column(String(200), primary_key=True)
    sku: Mapped[str] = mapped_column(String(200), primary_key=True)
    date: Mapped[date] = mapped_column(Date, primary_key=True)
    # '' for files of aggregates (no transaction ids): then the key is store, sku, date.
    transaction_id: Mapped[str] = mapped_column(String(200), primary_key=True, server_default="")
    line_no: Mapped[int] = mapped_column(Integer, primary_key=True, server_default="0")
    quantity: Mapped[float] = mapped_column(Double)
    unit_price: Mapped[float] = mapped_column(Double)
    customer_id: Mapped[str | None] = mapped_column(String(200))
    product_name: Mapped[str | None] = mapped_column(Text)
    category: Mapped[str | None] = mapped_column(String(300))
    promotion: Mapped[float] = mapped_column(Double, server_default="0")
    regular_price: Mapped[float | None] = mapped_column(Double)
    feature: Mapped[float | None] = mapped_column(Double)
    display: Mapped[float | None] = mapped_column(Double)
    tpr_only: Mapped[float | None] = mapped_column(Double)
    is_product: Mapped[bool] = mapped_column(Boolean, server_default="true")
    # Free lines are kept but left out of the average price paid (common.sales).
    is_zero_price: Mapped[bool | None] = mapped_column(Boolean, Computed("unit_price = 0", persisted=True))
    job_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))


class StockSnapshot(Base):
    """An item's end-of-day stock on one date; a later upload of the same key replaces it."""

    __tablename__ = "stock_snapshots"
    organization_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    store: Mapped[str] = mapped_column(Text, primary_key=True)
    sku: Mapped[str] = mapped_column(Text, primary_key=True)
    date: Mapped[date] = mapped_column(Date, primary_key=True)
    # NULL when the file gave only an in_stock flag; otherwise in_stock is on_hand > 0.
    on_hand: Mapped[float | None] = mapped_column(Double)
    in_stock: Mapped[bool] = mapped_column(Boolean)
    job_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Stockout(Base):
    """A run of days an item was out of stock (seen in snapshots, or inferred) and what it lost."""

    __tablename__ = "stockouts"
    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    organization_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    store: Mapped[str] = mapped_column(Text)
    sku: Mapped[str] = mapped_column(Text)
    start: Mapped[date] = mapped_column(Date)
    end: Mapped[date] = mapped_column(Date)
    source: Mapped[str] = mapped_column(Text)
    probability: Mapped[float] = mapped_column(Double)
    sales: Mapped[float] = mapped_column(Double)
    estimated_demand: Mapped[float] = mapped_column(Double)
    lost_units: Mapped[float] = mapped_column(Double)
    lost_revenue: Mapped[float] = mapped_column(Double)
    lost_margin: Mapped[float | None] = mapped_column(Double)
    corrected: Mapped[bool] = mapped_column(Boolean, server_default="false")
    computed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    __table_args__ = (
        CheckConstraint("source IN ('stock', 'inferred')", name="source"),
        Index("ix_stockouts_org_item_start", "organization_id", "store", "sku", "start"),
    )


class CustomerIdentity(TimestampMixin, Base):
    """A customer's original id, encrypted, behind the pseudonym the data carries (common.pii)."""

    __tablename__ = "customer_identities"
    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    )
    pseudonym: Mapped[str] = mapped_column(String(40), primary_key=True)
    encrypted_id: Mapped[str] = mapped_column(Text)


class PlanLine(Base):
    """Planned future price / promotion per store, sku and date (known drivers for forecasts)."""

    __tablename__ = "plan_lines"
    organization_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    store: Mapped[str] = mapped_column(String(200), primary_key=True)
    sku: Mapped[str] = mapped_column(String(200), primary_key=True)
    date: Mapped[date] = mapped_column(Date, primary_key=True)
    unit_price: Mapped[float | None] = mapped_column(Double)
    promotion: Mapped[float | None] = mapped_column(Double)
    feature: Mapped[float | None] = mapped_column(Double)
    display: Mapped[float | None] = mapped_column(Double)


class ForecastSeries(Base):
    """Per store x sku: the model chosen and its backtest accuracy."""

    __tablename__ = "forecast_series"
    organization_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    store: Mapped[str] = mapped_column(String(200), primary_key=True)
    sku: Mapped[str] = mapped_column(String(200), primary_key=True)
    model: Mapped[str] = mapped_column(String(200))
    frequency: Mapped[str] = mapped_column(String(2))
    wape: Mapped[float | None] = mapped_column(Double)
    mase: Mapped[float | None] = mapped_column(Double)
    bias: Mapped[float | None] = mapped_column(Double)
    coverage_80: Mapped[float | None] = mapped_column(Double)
    n_history: Mapped[int] = mapped_column(Integer, server_default="0")
    category: Mapped[str | None] = mapped_column(String(300))
    fingerprint: Mapped[str | None] = mapped_column(String(64))
    job_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Prediction(Base):
    """One forecast point with its p10/p50/p90 band."""

    __tablename__ = "predictions"
    organization_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    store: Mapped[str] = mapped_column(String(200), primary_key=True)
    sku: Mapped[str] = mapped_column(String(200), primary_key=True)
    date: Mapped[date] = mapped_column(Date, primary_key=True)
    p10: Mapped[float] = mapped_column(Double)
    p50: Mapped[float] = mapped_column(Double)
    p90: Mapped[float] = mapped_column(Double)
    model: Mapped[str] = mapped_column(String(200))
    job_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    # Units of p50 explained by each driver family (they sum to p50); NULL before drivers existed.
    driver_base: Mapped[float | None] = mapped_column(Double)
    driver_seasonality: Mapped[float | None] = mapped_column(Double)
    driver_price: Mapped[float | None] = mapped_column(Double)
    driver_promotion: Mapped[float | None] = mapped_column(Double)
    driver_events: Mapped[float | None] = mapped_column(Double)
    driver_substitutes: Mapped[float | None] = mapped_column(Double)


class DemandModelRecord(Base):
    """The fitted demand model of one forecasting chunk (its stores, or a sku bucket of one store)."""

    __tablename__ = "demand_models"
    organization_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    chunk: Mapped[str] = mapped_column(Text, primary_key=True)
    stores: Mapped[list[str]] = mapped_column(ARRAY(Text))
    job_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    model: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class DemandCurve(Base):
    """Weekly units of one item at a grid of prices, from the demand model (pricing reads it)."""

    __tablename__ = "demand_curves"
    organization_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    store: Mapped[str] = mapped_column(String(200), primary_key=True)
    sku: Mapped[str] = mapped_column(String(200), primary_key=True)
    prices: Mapped[list[float]] = mapped_column(ARRAY(Double))
    weekly_units: Mapped[list[float]] = mapped_column(ARRAY(Double))
    job_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    # The demand model's own-price elasticity at the shelf price, its interval and cross effects.
    elasticity: Mapped[float | None] = mapped_column(Double)
    elasticity_low: Mapped[float | None] = mapped_column(Double)
    elasticity_high: Mapped[float | None] = mapped_column(Double)
    cross_effects: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONB)


class Recommendation(TimestampMixin, Base):
    """A pricing or inventory recommendation for one store x sku."""

    __tablename__ = "recommendations"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    organization_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    type: Mapped[str] = mapped_column(String(20))
    store: Mapped[str] = mapped_column(String(200))
    sku: Mapped[str] = mapped_column(String(200))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB)
    explanation: Mapped[str] = mapped_column(Text)
    rank: Mapped[float | None] = mapped_column(Double)
    job_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    __table_args__ = (
        UniqueConstraint("organization_id", "type", "store", "sku", name="uq_recommendations_key"),
    )


class SegmentRun(TimestampMixin, Base):
    """One segmentation run; runs are kept so migration between them can be shown."""

    __tablename__ = "segment_runs"
    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=_uuid)
    organization_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), index=True)
    job_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    k: Mapped[int] = mapped_column(Integer)
    silhouette: Mapped[float | None] = mapped_column(Double)
    total_customers: Mapped[int] = mapped_column(Integer)
    segments: Mapped[list[Any]] = mapped_column(JSONB)


class CustomerSegment(Base):
    """A customer's features, segment and lifetime value in one run."""

    __tablename__ = "customer_segments"
    run_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("segment_runs.id", ondelete="CASCADE"), primary_key=True
    )
    customer_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    organization_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    segment: Mapped[str] = mapped_column(String(100))
    recency_days: Mapped[float] = mapped_column(Double)
    frequency: Mapped[float] = mapped_column(Double)
    monetary: Mapped[float] = mapped_column(Double)
    clv: Mapped[float | None] = mapped_column(Double)
    p_alive: Mapped[float | None] = mapped_column(Double)
    features: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    __table_args__ = (Index("ix_customer_segments_run_segment", "run_id", "segment"),)


class InventoryProtectionWindow(Base):
    """Demand the inventory engine expected over one item's lead time + review, and what came.

    One row per store x sku and forecast origin (a re-run from the same origin replaces it). The
    expectation is the uncalibrated one (spread factor 1); the actual demand is filled in once the
    window has ended, and the ended windows calibrate the spread (inventory.engine.calibrate_spread).
    """

    __tablename__ = "inventory_protection_windows"
    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    )
    store: Mapped[str] = mapped_column(String(200), primary_key=True)
    sku: Mapped[str] = mapped_column(String(200), primary_key=True)
    # The window covers sales dated after the origin, up to and including end_date.
    origin_date: Mapped[date] = mapped_column(Date, primary_key=True)
    end_date: Mapped[date] = mapped_column(Date)
    period_days: Mapped[float] = mapped_column(Double)
    # Lead time + review period in the item's periods (a fraction counts part of the last one).
    window_periods: Mapped[float] = mapped_column(Double)
    service_level: Mapped[float] = mapped_column(Double)
    expected_protection_demand: Mapped[float] = mapped_column(Double)
    protection_quantile: Mapped[float] = mapped_column(Double)
    actual_protection_demand: Mapped[float | None] = mapped_column(Double)
    # What the item's own past windows said (NULL without enough history), and its demand class:
    # each source's windows calibrate its own spread, and per class they choose the source.
    history_expected_demand: Mapped[float | None] = mapped_column(Double)
    history_quantile: Mapped[float | None] = mapped_column(Double)
    demand_class: Mapped[str | None] = mapped_column(String(16))
    job_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


__all__ = [
    "STAGES",
    "Base",
    "CustomerSegment",
    "Event",
    "ForecastSeries",
    "InventoryProtectionWindow",
    "Organization",
    "PlanLine",
    "Prediction",
    "Product",
    "Recommendation",
    "RefreshToken",
    "SalesLine",
    "SegmentRun",
    "StockSnapshot",
    "Stockout",
    "Store",
    "UploadError",
    "UploadJob",
    "User",
]
