"""Forecasts for new and short series from the profiles of similar series."""

from __future__ import annotations

import numpy as np
import pandas as pd

# Peer groups tried in order: same category in the same store, same category anywhere, same store,
# then every established series.
PEER_LEVELS = (("category", ("store", "category")), ("category", ("category",)), ("store", ("store",)))


def cold_start(
    keys: pd.DataFrame,
    short: np.ndarray,
    own_level: np.ndarray,
    own_periods: np.ndarray,
    min_history: int,
    p50: np.ndarray,
    p10: np.ndarray,
    p90: np.ndarray,
) -> np.ndarray:
    """Overwrite the forecasts of `short` series in place from their peers; return model labels.

    A new item gets the median forecast of its established peers per period. An item with a few
    periods of sales keeps the peers' shape but is scaled toward its own level, weighted by how much
    of `min_history` it has seen. The band keeps the peers' relative width, widened by half because
    a new item's level is itself uncertain.
    """
    n = len(keys)
    labels = np.full(n, "", dtype=object)
    established = ~short
    if not short.any():
        return labels
    frame = keys.assign(_row=np.arange(n))
    for i in np.where(short)[0]:
        chosen: np.ndarray | None = None
        label = "cold_start(all)"
        for name, cols in PEER_LEVELS:
            values = [keys.at[i, c] for c in cols]
            if any(v == "" for v in values):
                continue
            mask = np.ones(n, dtype=bool)
            for c, v in zip(cols, values, strict=True):
                mask &= frame[c].to_numpy() == v
            mask &= established
            if mask.any():
                chosen = mask
                label = f"cold_start({name})"
                break
        if chosen is None:
            if not established.any():
                # Nothing established to learn from: keep the item's own (short) model forecast.
                labels[i] = "cold_start(own)"
                continue
            chosen = established
        base = np.median(p50[chosen], axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            rel_lo = np.nanmedian(np.where(p50[chosen] > 0, p10[chosen] / p50[chosen], np.nan), axis=0)
            rel_hi = np.nanmedian(np.where(p50[chosen] > 0, p90[chosen] / p50[chosen], np.nan), axis=0)
            peer_level = float(np.mean(base))
        weight = min(1.0, own_periods[i] / max(min_history, 1))
        if own_periods[i] > 0 and peer_level > 0:
            ratio = own_level[i] / peer_level
            base = base * (weight * ratio + (1.0 - weight))
        rel_lo = np.nan_to_num(rel_lo, nan=0.5)
        rel_hi = np.nan_to_num(rel_hi, nan=1.5)
        p50[i] = np.clip(base, 0.0, None)
        p10[i] = np.clip(p50[i] * (1.0 - 1.5 * (1.0 - rel_lo)), 0.0, p50[i])
        p90[i] = np.maximum(p50[i] * (1.0 + 1.5 * (rel_hi - 1.0)), p50[i])
        labels[i] = label
    return labels
