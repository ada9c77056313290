"""Celery tasks of the forecasting queue: a coordinator that plans chunks of series, and the chunks.

`forecasting.run` fingerprints every store x sku (its history and plan rows, the engine version,
the horizon and its category), compares them with the stored forecasts and groups all series into
chunks of about FORECAST_CHUNK_SERIES (a store's series together; a store bigger than that split
by a hash of the sku). Only chunks holding a series to re-fit run, one `forecasting.chunk` task
each, shared by however many forecasting workers there are; a job with one such chunk runs it in
the coordinator itself (no hand-over). The plan lives in the job's forecasting stage entry
(`chunks`, `chunks_total`, `chunks_done`, `series_refit`, `series_kept`), so a redelivered
coordinator reuses it and the reaper re-enqueues only the chunks not done.

Incremental granularity: a chunk runs the engine on all its series (the global model, the
per-cluster selection, the quantile calibration and the cold-start peers learn from the whole
chunk), but writes only the series that need it: a changed fingerprint, a new series, or a
forecast older than FORECAST_MAX_AGE_DAYS. Every other series keeps its stored forecast, model,
accuracy and `updated_at`. A series without history (listed or planned only) takes its
fingerprint from its same-store peers in the chunk, so it is re-fitted when they change.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd

from common import jobs
from common.cache import invalidate
from common.celery_app import celery_app, enqueue
from common.db import sync_session
from common.org_settings import load_settings
from common.pipeline import StageError, stage_task
from common.sales import load_daily_sales, load_plan, load_products
from common.settings import get_settings
from common.stages import FORECASTING, ChunkPlan, tasks_after
from forecasting.chunks import (
    KEYS,
    ChunkSpec,
    anchored_history,
    calendar_fingerprints,
    candidates_for,
    chunk_labels,
    engine_variant,
    needs_refit,
    plan_chunks,
    series_keys,
    task_fingerprints,
)
from forecasting.reconciliation import reconcile_or_sum
from forecasting.reconciliation_repository import clear_levels, remove_backtests_except, replace_backtests
from forecasting.repository import (
    database_now,
    load_calendar,
    load_chunk_inputs,
    numeric_columns,
    remove_demand_models_except,
    remove_series_except,
    replace_demand_curves,
    save_demand_model,
    stored_series,
    write_new_forecasts,
)
from forecasting.scenarios import tasks as scenario_tasks  # noqa: F401 (registers forecasting.scenario)
from forecasting.stockouts_repository import load_stock, replace_stockouts, stock_fingerprints

app = celery_app
STAGE = FORECASTING.name
CHUNK_TASK = FORECASTING.chunk_task


def _horizon_days(job_id: str) -> int:
    return int(jobs.job_options(job_id).get("horizon_days") or get_settings().default_horizon_days)


def _plan(job_id: str, organization_id: uuid.UUID) -> dict[str, Any]:
    """Fingerprint every series, drop forecasts of vanished ones, and store the chunk plan."""
    settings = get_settings()
    horizon_days = _horizon_days(job_id)
    with sync_session() as session:
        connection = session.connection()
        history = numeric_columns(load_daily_sales(connection, organization_id))
        if history.empty:
            raise StageError("no product sales to forecast")
        as_of = pd.Timestamp(history["date"].max())
        plan = numeric_columns(load_plan(connection, organization_id, as_of))
        products = load_products(connection, organization_id)
        stored = stored_series(connection, organization_id)
        stock = stock_fingerprints(connection, organization_id, as_of)
        org_settings = load_settings(connection, organization_id)
        stores, events = load_calendar(connection, organization_id)
    keys = series_keys(history, plan, products)
    chunks = plan_chunks(keys, settings.forecast_chunk_series)
    labels = chunk_labels(keys, chunks)
    variant = engine_variant(settings.forecast_include_prophet)
    calendar = calendar_fingerprints(keys, stores, events, org_settings.country)
    fingerprints = task_fingerprints(
        keys, history, plan, horizon_days, as_of, labels, variant, stock, org_settings.stockouts, calendar
    )
    refit = needs_refit(keys, fingerprints, stored, settings.forecast_max_age_days, datetime.now(UTC))
    del history
    with sync_session() as session:
        removed = remove_series_except(session.connection(), organization_id, keys)
        remove_backtests_except(session.connection(), organization_id)
        remove_demand_models_except(session.connection(), organization_id, keys["store"].unique().tolist())
    selected = sorted(set(labels[refit].tolist()))
    series_refit = int(refit.sum())
    entry = {
        "chunk_task": CHUNK_TASK,
        "chunks": [chunks[i].as_json() for i in selected],
        "chunks_total": len(selected),
        "chunk_names": [spec.name for spec in chunks],
        "chunks_done": 0,
        "chunks_done_ids": [],
        "as_of": as_of.isoformat(),
        "horizon_days": horizon_days,
        "variant": variant,
        "series_total": len(keys),
        "series_refit": series_refit,
        "series_kept": len(keys) - series_refit,
        "series_removed": removed,
    }
    if not selected:
        # Nothing changed: every forecast stays, and the stage ends here (plan and end at once). A
        # removed series still changes the sums, so the hierarchy is reconciled again.
        jobs.update_stage(job_id, STAGE, status="succeeded", fields=entry)
        _hand_on(job_id, organization_id)
    else:
        jobs.update_stage(job_id, STAGE, progress=0.0, fields=entry)
    return entry


def run_chunk(job_id: str, organization_id: uuid.UUID, entry: dict[str, Any], index: int) -> int:
    """Forecast one chunk and write its series that need it; returns how many were written."""
    # Heavy imports stay out of the API process.
    from forecasting.engine import demand_curves, forecast, predict_demand

    settings = get_settings()
    spec = ChunkSpec.from_json(entry["chunks"][index])
    as_of = pd.Timestamp(entry["as_of"])
    horizon_days = int(entry["horizon_days"])
    with sync_session() as session:
        connection = session.connection()
        history, plan, products = load_chunk_inputs(
            connection, organization_id, spec.stores, spec.part, spec.parts, as_of
        )
        stored = stored_series(connection, organization_id, spec.stores)
        started_at = database_now(connection)
        org_settings = load_settings(connection, organization_id)
        stock = load_stock(connection, organization_id, spec.stores, as_of)
        stock_hashes = stock_fingerprints(connection, organization_id, as_of, spec.stores)
        stores, events = load_calendar(connection, organization_id)
    mode = org_settings.stockouts
    if history.empty and plan.empty and products.empty:
        return 0  # its series vanished since the plan (a later upload replaced them)
    keys = series_keys(history, plan, products)
    variant = str(entry.get("variant", ""))
    groups = np.zeros(len(keys), dtype=np.int64)
    calendar = calendar_fingerprints(keys, stores, events, org_settings.country)
    fingerprints = task_fingerprints(
        keys, history, plan, horizon_days, as_of, groups, variant, stock_hashes, mode, calendar
    )
    refit = needs_refit(keys, fingerprints, stored, settings.forecast_max_age_days, datetime.now(UTC))
    if not refit.any():
        return 0  # written by an earlier delivery of this chunk
    result = forecast(
        anchored_history(history, as_of),
        horizon_days=horizon_days,
        plan=plan if not plan.empty else None,
        products=products if not products.empty else None,
        candidates=candidates_for(variant),
        stock=stock if not stock.empty else None,
        stockouts=mode,
        holiday_country=org_settings.country,
        stores=stores,
        own_events=events,
    )
    wanted = keys.loc[refit, [*KEYS, "category"]].assign(fingerprint=fingerprints[refit])
    series = result.series.drop(columns=["category"], errors="ignore").merge(wanted, on=KEYS)
    points, curves = result.points, None
    if result.demand_model is not None:
        # The drivers come from the same fit and reproduce its p50; stored beside each point.
        points = predict_demand(result.demand_model, drivers=True)
        # Only the forecast's own points: none before a store opened or after it closed.
        points = points.merge(result.points[[*KEYS, "date"]], on=[*KEYS, "date"])
        # At every price pricing may suggest (its price endings), so both read the same units.
        curves = demand_curves(result.demand_model, org_settings.pricing.price_endings)
    with sync_session() as session:
        written = write_new_forecasts(
            session.connection(), organization_id, job_id, series, points, started_at
        )
        if written:
            replace_backtests(session.connection(), organization_id, series[KEYS], result.backtest)
            # The stored levels no longer add up to these items: the API sums the items until the
            # stage's end reconciles again.
            clear_levels(session.connection(), organization_id)
        save_demand_model(
            session.connection(),
            organization_id,
            spec,
            job_id,
            result.demand_model,
            entry.get("chunk_names", []),
        )
        if curves is not None:
            replace_demand_curves(session.connection(), organization_id, job_id, curves)
        replace_stockouts(session.connection(), organization_id, wanted, result.stockouts)
    return written


def _hand_on(job_id: str, organization_id: uuid.UUID) -> None:
    """Reconcile every series of the organisation, then start the stages after forecasting."""
    # Also the stage's heartbeat: the reaper leaves pricing and inventory queued meanwhile.
    jobs.update_stage(job_id, STAGE, fields={"reconciliation": {"status": "running"}})
    summary = reconcile_or_sum(job_id, organization_id)
    jobs.update_stage(job_id, STAGE, fields={"reconciliation": summary})
    invalidate(str(organization_id), "forecast")
    for task in tasks_after(STAGE):
        enqueue(task, job_id)


def _run_and_count(job_id: str, organization_id: uuid.UUID, entry: dict[str, Any], index: int) -> None:
    run_chunk(job_id, organization_id, entry, index)
    invalidate(str(organization_id), "forecast")  # each chunk's forecasts are served as they land
    if jobs.complete_chunk(job_id, STAGE, index):
        # Exactly one call finds every chunk done while the stage still ran: it hands on.
        _hand_on(job_id, organization_id)


@stage_task(FORECASTING.task, STAGE, part=True)
def run(job_id: str, organization_id: uuid.UUID, report: Callable[[float], None]) -> None:
    """Plan the job's forecasting in chunks of series and run them (pricing and inventory follow the last)."""
    entry = jobs.stage_entry(job_id, STAGE)
    if entry.get("status") in jobs.FINISHED:
        return None  # a redelivery after the stage ended
    if "chunks" not in entry:
        entry = _plan(job_id, organization_id)
    plan = ChunkPlan.of(entry)
    missing = plan.missing()
    if plan.total == 1 and missing:
        _run_and_count(job_id, organization_id, entry, 0)
        return None
    for index in missing:
        enqueue(CHUNK_TASK, job_id, index)
    return None


@stage_task(CHUNK_TASK, STAGE, part=True)
def chunk(job_id: str, organization_id: uuid.UUID, report: Callable[[float], None], index: int) -> None:
    """Forecast chunk `index` of the job's plan; the chunk completing last ends the stage."""
    entry = jobs.stage_entry(job_id, STAGE)
    if entry.get("status") in jobs.FINISHED or index in (entry.get("chunks_done_ids") or []):
        return None  # a redelivery of a chunk already counted
    if "chunks" not in entry or index >= len(entry["chunks"]):
        raise StageError(f"forecasting chunk {index} is not in the job's plan")
    _run_and_count(job_id, organization_id, entry, index)
    return None
