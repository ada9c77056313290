"""Per-series fingerprints of the engine's input, so the task layer re-forecasts only what changed."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd

# Bump when a change to the engine should invalidate stored forecasts (see series_fingerprints).
ENGINE_VERSION = "11"  # 11: two final models; substitute terms tested with variances clustered by series


def series_fingerprints(history: pd.DataFrame, plan: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per store x sku with a hash of its history and plan rows and the engine version.

    The task layer stores it next to each forecast and re-forecasts only series whose fingerprint
    changed (new or corrected rows, a new plan, or a new ENGINE_VERSION).
    """
    cols = ["date", "quantity", "unit_price", "promotion", "regular_price", "feature", "display", "tpr_only"]
    parts = []
    for tag, frame in (("h", history), ("p", plan)):
        if frame is None or not len(frame):
            continue
        use = [c for c in cols if c in frame.columns]
        part = frame[["store", "sku", *use]].copy()
        part["store"] = part["store"].astype(str)
        part["sku"] = part["sku"].astype(str)
        part["date"] = pd.to_datetime(part["date"]).dt.normalize()
        part = part.sort_values(["store", "sku", "date"], kind="stable")
        row_hash = pd.util.hash_pandas_object(part[use].reindex(columns=cols), index=False)
        part = part[["store", "sku"]].assign(_h=row_hash.to_numpy(), _tag=tag)
        parts.append(part)
    if not parts:
        return pd.DataFrame({"store": [], "sku": [], "fingerprint": []})
    rows = pd.concat(parts, ignore_index=True)
    # The forecast origin is the last date of the whole upload: when it moves, every series moves.
    as_of = str(pd.to_datetime(history["date"]).max()) if len(history) else ""
    out = []
    for (store, sku), group in rows.groupby(["store", "sku"], sort=True):
        digest = hashlib.sha256(f"{ENGINE_VERSION}|{as_of}".encode())
        for tag in ("h", "p"):
            digest.update(tag.encode())
            digest.update(group.loc[group["_tag"] == tag, "_h"].to_numpy(dtype=np.uint64).tobytes())
        out.append((store, sku, digest.hexdigest()[:32]))
    return pd.DataFrame(out, columns=["store", "sku", "fingerprint"])
