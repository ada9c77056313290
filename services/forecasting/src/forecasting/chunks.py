"""Pure chunk planning of the forecasting stage: which series go together, and which need a re-fit.

`forecasting.run` fingerprints every store x sku (its history and plan rows, the engine version,
the horizon and its category), compares them with the stored forecasts and groups all series into
chunks of about FORECAST_CHUNK_SERIES (a store's series together; a store bigger than that split
by a hash of the sku). A series without history (listed or planned only) takes its fingerprint
from its same-store peers in the chunk, so it is re-fitted when they change.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd

KEYS = ["store", "sku"]


@dataclass(frozen=True)
class ChunkSpec:
    """One chunk: whole stores, or one sku-hash bucket (`part` of `parts`) of a single big store."""

    stores: tuple[str, ...]
    part: int = 0
    parts: int = 1

    @property
    def name(self) -> str:
        """A stable name of the chunk (its demand model is stored under it)."""
        return f"{'|'.join(self.stores)}#{self.part}/{self.parts}"

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
    stock: pd.DataFrame | None = None,
    stockouts_mode: str = "flag",
) -> np.ndarray:
    """A fingerprint per key row: the engine's (history, plan, version, origin), horizon, category.

    `variant` names non-default engine options (e.g. the candidate set): changing it re-fits.
    `stock` (store, sku, stock_fingerprint) and the organisation's `stockouts_mode` are inputs too:
    a stock upload, or switching to "correct", re-fits the series they touch.

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
    stock_tag = np.full(len(keys), "", dtype=object)
    if stock is not None and len(stock):
        hashes = keys[KEYS].merge(stock[[*KEYS, "stock_fingerprint"]], on=KEYS, how="left")[
            "stock_fingerprint"
        ]
        stock_tag = np.where(hashes.notna(), "|s" + hashes.fillna("").astype(str), "").astype(object)
    mode_tag = "|correct" if stockouts_mode == "correct" else ""
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
        text = f"{fp}|h{horizon_days}|c{category[i]}{tail}{stock_tag[i]}{mode_tag}"
        out[i] = hashlib.sha256(text.encode()).hexdigest()[:32]
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
