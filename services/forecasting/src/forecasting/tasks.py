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

import hashlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd

from common import jobs
from common.cache import invalidate
from common.celery_app import celery_app, enqueue
from common.db import sync_session
from common.pipeline import StageError, stage_task
from common.sales import load_daily_sales, load_plan, load_products
from common.settings import get_settings
from forecasting.repository import (
    database_now,
    load_chunk_inputs,
    numeric_columns,
    remove_series_except,
    stored_series,
    write_new_forecasts,
)
from forecasting.scenarios import tasks as scenario_tasks  # noqa: F401 (registers forecasting.scenario)

app = celery_app
STAGE = "forecasting"
CHUNK_TASK = "forecasting.chunk"
KEYS = ["store", "sku"]


@dataclass(frozen=True)
class ChunkSpec:
    """One chunk: whole stores, or one sku-hash bucket (`part` of `parts`) of a single big store."""

    stores: tuple[str, ...]
    part: int = 0
    parts: int = 1

    def as_json(self) -> dict[str, Any]:
        """The chunk as stored in the job's stage entry."""
        return {"stores": list(self.stores), "part": self.part, "parts": self.parts}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ChunkSpec:
        """A chunk read back from the job's stage entry."""
        return cls(tuple(str(s) for s in data["stores"]), int(data["part"]), int(data["parts"]))


def sku_bucket(skus: pd.Series, parts: int) -> np.ndarray:
    """Bucket of each sku in a store split into `parts`: md5's first 28 bits mod parts (as in SQL)."""
    if parts <= 1:
        return np.zeros(len(skus), dtype=np.int64)
    return np.array(
        [int(hashlib.md5(str(sku).encode()).hexdigest()[:7], 16) % parts for sku in skus], dtype=np.int64
    )


def plan_chunks(keys: pd.DataFrame, target_series: int) -> list[ChunkSpec]:
    """Group series into chunks of about `target_series`, keeping each store's series together.

    Stores are taken in name order and packed whole into a chunk while it stays within the target;
    a store with more series than the target gets chunks of its own, split by sku hash into
    ceil(n / target) buckets. The grouping depends only on the set of series, so a re-run places a
    series with the same peers.
    """
    target = max(1, int(target_series))
    sizes = keys.drop_duplicates(KEYS).groupby("store", sort=True).size()
    chunks: list[ChunkSpec] = []
    packed: list[str] = []
    packed_size = 0
    for store, size in sizes.items():
        if size > target:
            parts = -(-int(size) // target)
            chunks.extend(ChunkSpec((str(store),), part, parts) for part in range(parts))
            continue
        if packed and packed_size + size > target:
            chunks.append(ChunkSpec(tuple(packed)))
            packed, packed_size = [], 0
        packed.append(str(store))
        packed_size += int(size)
    if packed:
        chunks.append(ChunkSpec(tuple(packed)))
    return chunks


def chunk_labels(keys: pd.DataFrame, chunks: list[ChunkSpec]) -> np.ndarray:
    """Index of the chunk holding each key row (-1 when none does)."""
    labels = np.full(len(keys), -1, dtype=np.int64)
    stores = keys["store"].astype(str).to_numpy()
    buckets: dict[int, np.ndarray] = {}
    for index, spec in enumerate(chunks):
        mask = np.isin(stores, spec.stores)
        if spec.parts > 1:
            if spec.parts not in buckets:
                buckets[spec.parts] = sku_bucket(keys["sku"], spec.parts)
            mask &= buckets[spec.parts] == spec.part
        labels[mask] = index
    return labels


def series_keys(history: pd.DataFrame, plan: pd.DataFrame, products: pd.DataFrame) -> pd.DataFrame:
    """Every store x sku the engine forecasts (sold, planned or listed), with its category."""
    frames = [f[KEYS].astype(str) for f in (history, plan, products) if len(f)]
    keys = pd.concat(frames, ignore_index=True).drop_duplicates(ignore_index=True)
    if len(products) and "category" in products:
        category = products[[*KEYS, "category"]].astype({"store": str, "sku": str})
        keys = keys.merge(category.drop_duplicates(KEYS), on=KEYS, how="left")
    else:
        keys["category"] = None
    return keys.sort_values(KEYS, ignore_index=True)


def task_fingerprints(
    keys: pd.DataFrame,
    history: pd.DataFrame,
    plan: pd.DataFrame,
    horizon_days: int,
    as_of: pd.Timestamp,
    groups: np.ndarray,
    variant: str = "",
) -> np.ndarray:
    """A fingerprint per key row: the engine's (history, plan, version, origin), horizon, category.

    `variant` names non-default engine options (e.g. the candidate set): changing it re-fits.

    A key without history or plan rows (a listed new item, forecast from its peers) hashes its
    same-store peers' fingerprints within its group (chunk) instead.
    """
    from forecasting.engine import ENGINE_VERSION, series_fingerprints

    # One zero row of a series no store has pins the engine's origin (the last history date) to
    # the whole upload's, whichever subset of series is fingerprinted; its own hash is dropped.
    pin = pd.DataFrame({"store": ["\x00"], "sku": ["\x00"], "date": [as_of], "quantity": [0.0]})
    pinned = pd.concat([history, pin], ignore_index=True)
    pinned["date"] = pinned["date"].astype("datetime64[ns]")
    engine = series_fingerprints(pinned, plan if len(plan) else None)
    merged = keys[KEYS].merge(engine, on=KEYS, how="left")
    engine_fp = merged["fingerprint"].to_numpy(dtype=object)
    category = keys["category"].fillna("").astype(str).to_numpy()
    stores = keys["store"].astype(str).to_numpy()
    peers: dict[tuple[int, str], str] = {}
    for group, store in set(zip(groups.tolist(), stores.tolist(), strict=True)):
        mask = (groups == group) & (stores == store)
        known = sorted(str(fp) for fp in engine_fp[mask] if isinstance(fp, str))
        peers[(group, store)] = hashlib.sha256("|".join(known).encode()).hexdigest()
    out = np.empty(len(keys), dtype=object)
    for i in range(len(keys)):
        fp = engine_fp[i]
        if not isinstance(fp, str):
            fp = f"{ENGINE_VERSION}|{as_of.isoformat()}|new|{peers[(int(groups[i]), stores[i])]}"
        tail = f"|v{variant}" if variant else ""
        out[i] = hashlib.sha256(f"{fp}|h{horizon_days}|c{category[i]}{tail}".encode()).hexdigest()[:32]
    return out


def needs_refit(
    keys: pd.DataFrame, fingerprints: np.ndarray, stored: pd.DataFrame, max_age_days: float, now: datetime
) -> np.ndarray:
    """True for series with no stored forecast, another fingerprint, or one older than the max age."""
    merged = keys[KEYS].merge(stored, on=KEYS, how="left")
    changed = merged["fingerprint"].to_numpy(dtype=object) != fingerprints
    updated = pd.to_datetime(merged["updated_at"], utc=True)
    stale = (updated < pd.Timestamp(now - timedelta(days=max_age_days))).to_numpy(dtype=bool)
    return np.asarray(changed | stale | merged["updated_at"].isna().to_numpy(), dtype=bool)


def engine_variant(include_prophet: bool) -> str:
    """The fingerprint tag of the engine options the platform settings choose."""
    return "prophet" if include_prophet else ""


def candidates_for(variant: str) -> tuple[str, ...] | None:
    """The engine's candidate models for a variant (None: the engine's defaults)."""
    from forecasting.engine import DEFAULT_CANDIDATES

    return (*DEFAULT_CANDIDATES, "prophet") if variant == "prophet" else None


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
    keys = series_keys(history, plan, products)
    chunks = plan_chunks(keys, settings.forecast_chunk_series)
    labels = chunk_labels(keys, chunks)
    variant = engine_variant(settings.forecast_include_prophet)
    fingerprints = task_fingerprints(keys, history, plan, horizon_days, as_of, labels, variant)
    refit = needs_refit(keys, fingerprints, stored, settings.forecast_max_age_days, datetime.now(UTC))
    del history
    with sync_session() as session:
        removed = remove_series_except(session.connection(), organization_id, keys)
    selected = sorted(set(labels[refit].tolist()))
    series_refit = int(refit.sum())
    entry = {
        "chunk_task": CHUNK_TASK,
        "chunks": [chunks[i].as_json() for i in selected],
        "chunks_total": len(selected),
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
        # Nothing changed: every forecast stays, and the stage ends here (plan and end at once).
        jobs.update_stage(job_id, STAGE, status="succeeded", fields=entry)
        invalidate(str(organization_id), "forecast")
        enqueue("inventory.run", job_id)
    else:
        jobs.update_stage(job_id, STAGE, progress=0.0, fields=entry)
    return entry


def anchored_history(history: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """History whose last date is `as_of`, so a chunk forecasts from the same origin as the rest.

    When no series of the chunk sold on the upload's last date, one zero row on that date (what
    the whole-upload grid holds there anyway) keeps the chunk's grid ending where everyone's does.
    """
    if history.empty or history["date"].max() >= as_of:
        return history
    latest = int(np.argmax(history["date"].to_numpy()))
    pin = pd.DataFrame(
        {
            "store": [history["store"].iloc[latest]],
            "sku": [history["sku"].iloc[latest]],
            "date": [as_of],
            "quantity": [0.0],
        }
    )
    return pd.concat([history, pin], ignore_index=True)


def run_chunk(job_id: str, organization_id: uuid.UUID, entry: dict[str, Any], index: int) -> int:
    """Forecast one chunk and write its series that need it; returns how many were written."""
    from forecasting.engine import forecast  # heavy imports stay out of the API process

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
    if history.empty and plan.empty and products.empty:
        return 0  # its series vanished since the plan (a later upload replaced them)
    keys = series_keys(history, plan, products)
    variant = str(entry.get("variant", ""))
    fingerprints = task_fingerprints(
        keys, history, plan, horizon_days, as_of, np.zeros(len(keys), dtype=np.int64), variant
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
    )
    wanted = keys.loc[refit, [*KEYS, "category"]].assign(fingerprint=fingerprints[refit])
    series = result.series.drop(columns=["category"], errors="ignore").merge(wanted, on=KEYS)
    with sync_session() as session:
        written = write_new_forecasts(
            session.connection(), organization_id, job_id, series, result.points, started_at
        )
    return written


def _run_and_count(job_id: str, organization_id: uuid.UUID, entry: dict[str, Any], index: int) -> None:
    run_chunk(job_id, organization_id, entry, index)
    invalidate(str(organization_id), "forecast")  # each chunk's forecasts are served as they land
    if jobs.complete_chunk(job_id, STAGE, index):
        # Exactly one call finds every chunk done while the stage still ran: it hands on.
        enqueue("inventory.run", job_id)


@stage_task("forecasting.run", STAGE, part=True)
def run(job_id: str, report: Callable[[float], None]) -> None:
    """Plan the job's forecasting in chunks of series and run them (inventory follows the last)."""
    organization_id = jobs.job_organization(job_id)
    if organization_id is None:
        raise StageError("the job no longer exists")
    entry = jobs.stage_entry(job_id, STAGE)
    if entry.get("status") in jobs.FINISHED:
        return None  # a redelivery after the stage ended
    if "chunks" not in entry:
        entry = _plan(job_id, organization_id)
    done = set(entry.get("chunks_done_ids") or [])
    missing = [i for i in range(int(entry["chunks_total"])) if i not in done]
    if int(entry["chunks_total"]) == 1 and missing:
        _run_and_count(job_id, organization_id, entry, 0)
        return None
    for index in missing:
        enqueue(CHUNK_TASK, job_id, index)
    return None


@stage_task(CHUNK_TASK, STAGE, part=True)
def chunk(job_id: str, report: Callable[[float], None], index: int) -> None:
    """Forecast chunk `index` of the job's plan; the chunk completing last ends the stage."""
    organization_id = jobs.job_organization(job_id)
    if organization_id is None:
        raise StageError("the job no longer exists")
    entry = jobs.stage_entry(job_id, STAGE)
    if entry.get("status") in jobs.FINISHED or index in (entry.get("chunks_done_ids") or []):
        return None  # a redelivery of a chunk already counted
    if "chunks" not in entry or index >= len(entry["chunks"]):
        raise StageError(f"forecasting chunk {index} is not in the job's plan")
    _run_and_count(job_id, organization_id, entry, index)
    return None
