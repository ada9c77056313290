"""Response bodies of uploads and jobs."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class RowErrorOut(BaseModel):
    """One rejected value."""

    row: int
    column: str
    value: str | None
    expected: str
    kind: str
    message: str


class UploadAccepted(BaseModel):
    """An upload taken for processing (or recognised as already uploaded)."""

    job_id: uuid.UUID
    status: str
    rows_accepted: int
    rows_rejected: int
    duplicate: bool = False
    mapping: dict[str, str | None] = Field(default_factory=dict)
    error_counts: dict[str, int] = Field(default_factory=dict)
    flag_counts: dict[str, int] = Field(
        default_factory=dict, description="rows kept but marked: returns, non_product, zero_price, ..."
    )
    rows_new: int | None = Field(None, description="products and plans: rows stored for the first time")
    rows_updated: int | None = None
    rows_unchanged: int | None = None


class UploadPreview(BaseModel):
    """What an upload would do, without storing anything (dry run)."""

    mapping: dict[str, str | None]
    columns_seen: list[str]
    file_format: dict[str, Any]
    rows_total: int
    rows_valid: int
    rows_rejected: int
    error_counts: dict[str, int]
    flag_counts: dict[str, int] = Field(default_factory=dict)
    errors: list[RowErrorOut]


class Stage(BaseModel):
    """Progress of one pipeline stage."""

    status: str
    progress: float
    error: str | None = None
    # A stage split into chunks of work (forecasting) reports them; progress is chunks_done / total.
    chunks_total: int | None = Field(None, description="chunks of work the stage was split into")
    chunks_done: int | None = Field(None, description="chunks finished so far")
    series_refit: int | None = Field(
        None, description="series re-fitted by this run (changed, new or stale forecasts)"
    )
    series_kept: int | None = Field(None, description="series whose stored forecast was kept as it is")
    reconciliation: dict[str, Any] | None = Field(
        None,
        description="forecasting's reconciliation of every level: method chosen by backtest, each "
        "method's score (mean WAPE over the levels relative to bottom-up's), coherence, series, seconds",
    )


class Job(BaseModel):
    """An upload job and its pipeline progress."""

    id: uuid.UUID
    kind: str
    status: str
    filename: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    stages: dict[str, Stage]
    rows_total: int
    rows_accepted: int
    rows_rejected: int
    rows_new: int
    rows_updated: int
    rows_unchanged: int
    error_counts: dict[str, int]
    flag_counts: dict[str, int] = Field(
        default_factory=dict,
        description="rows kept but marked: returns, non_product (postage, fees), zero_price, duplicate_keys",
    )
    errors_truncated: bool = Field(
        False, description="more bad values than the 100,000 stored (error_counts are complete)"
    )
    errors: list[RowErrorOut]
    error: str | None


class JobList(BaseModel):
    """A page of jobs."""

    items: list[Job]
    total: int


class SalesPoint(BaseModel):
    """Units and revenue in one period."""

    date: str
    units: float
    revenue: float


class SalesTimeseries(BaseModel):
    """Sales history for charts."""

    points: list[SalesPoint]
