"""The forecast hierarchy (total, category, store, store x category, item) and its aggregate base forecasts.

Reconciliation needs a base forecast of every node that is made from the node's own series, not the
sum of the item forecasts (that would be bottom-up already). Each aggregate node's series is the sum
of its items' sales; fast local models forecast it from the item backtest windows' origins and from
the end of history, and each node keeps the candidate with the lowest backtest error. The bottom-up
sum (which carries the plan's prices and promotions through the item model) and its average with
ETS compete too, so a node whose own history says less than its items' plan keeps the items' view.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse

from forecasting.engine.backtest import selection_score
from forecasting.engine.local import LOCAL_MODELS

KEYS = ["store", "sku"]
# Aggregate levels, top first; items come last (the reconcilers expect the bottom rows at the end).
LEVELS = ("total", "category", "store", "store_category")
ITEM = "item"
UNCATEGORISED = "uncategorised"
AGGREGATE_MODELS = ("ets", "theta", "seasonal_naive", "moving_average")
BOTTOM_UP = "bottom_up"


@dataclass
class Hierarchy:
    """The nodes of an organisation's hierarchy and which items sum into each aggregate node."""

    nodes: pd.DataFrame  # level, key, store, category: aggregate nodes first, then one row per item
    items: pd.DataFrame  # store, sku, category: row i is bottom series i
    aggregate: sparse.csr_matrix  # (n_aggregates, n_items) 0/1

    @property
    def n_aggregates(self) -> int:
        """Number of aggregate nodes."""
        return int(self.aggregate.shape[0])

    def summing_matrix(self) -> np.ndarray:
        """The dense summing matrix S (aggregates on top of the identity), as the reconcilers take it."""
        return np.vstack([self.aggregate.toarray(), np.eye(len(self.items))])

    def sums(self, bottom: np.ndarray) -> np.ndarray:
        """Every node's value (aggregates, then items) from the items' values (n_items, ...)."""
        flat = bottom.reshape(len(self.items), -1)
        return np.vstack([self.aggregate @ flat, flat]).reshape((-1, *bottom.shape[1:]))


def build_hierarchy(items: pd.DataFrame) -> Hierarchy:
    """The hierarchy of these items (store, sku, category; a missing category is 'uncategorised')."""
    frame = items[KEYS].astype(str).copy()
    category = items["category"] if "category" in items else pd.Series(None, index=items.index)
    frame["category"] = category.fillna(UNCATEGORISED).astype(str).to_numpy()
    frame = frame.drop_duplicates(KEYS).sort_values(KEYS, ignore_index=True)
    groups = {
        "total": pd.Series("total", index=frame.index),
        "category": frame["category"],
        "store": frame["store"],
        "store_category": frame["store"] + "|" + frame["category"],
    }
    rows, blocks = [], []
    for level in LEVELS:
        codes, keys = pd.factorize(groups[level], sort=True)
        first = frame.groupby(codes, sort=True).first()
        rows.append(
            pd.DataFrame(
                {
                    "level": level,
                    "key": keys.astype(str),
                    "store": first["store"].to_numpy() if level in ("store", "store_category") else None,
                    "category": first["category"].to_numpy()
                    if level in ("category", "store_category")
                    else None,
                }
            )
        )
        blocks.append(
            sparse.csr_matrix(
                (np.ones(len(frame)), (codes, np.arange(len(frame)))), shape=(len(keys), len(frame))
            )
        )
    item_rows = pd.DataFrame(
        {
            "level": ITEM,
            "key": frame["store"] + "|" + frame["sku"],
            "store": frame["store"],
            "category": frame["category"],
        }
    )
    nodes = pd.concat([*rows, item_rows], ignore_index=True)
    return Hierarchy(nodes=nodes, items=frame, aggregate=sparse.vstack(blocks).tocsr())


def aggregate_history(hierarchy: Hierarchy, history: pd.DataFrame, dates: pd.DatetimeIndex) -> np.ndarray:
    """Each aggregate node's sales (n_aggregates, len(dates)) on the item grid; NaN before its first sale."""
    index = pd.MultiIndex.from_frame(hierarchy.items[KEYS])
    rows = history[[*KEYS, "date", "quantity"]].astype({"store": str, "sku": str})
    position = index.get_indexer(pd.MultiIndex.from_frame(rows[KEYS]))
    period = dates.get_indexer(pd.DatetimeIndex(pd.to_datetime(rows["date"])))
    ok = (position >= 0) & (period >= 0)
    items = np.zeros((len(index), len(dates)))
    np.add.at(items, (position[ok], period[ok]), np.clip(rows["quantity"].to_numpy(float)[ok], 0.0, None))
    totals = np.asarray(hierarchy.aggregate @ items)
    started = np.cumsum(totals > 0, axis=1) > 0
    return np.where(started, totals, np.nan)


def aggregate_base_forecasts(
    y: np.ndarray,
    origins: list[int],
    horizon: int,
    season: int,
    bottom_up: np.ndarray,
    actual: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Base forecasts of the aggregate nodes (n, windows + 1, H) and each node's chosen model.

    `y` (n, T) is each node's history, `origins` the backtest windows' origins then T, `bottom_up`
    (n, windows + 1, H) the sum of the items' forecasts from the same origins and `actual`
    (n, windows, H) what the windows saw. A node keeps the candidate with the lowest backtest
    selection score (MAE plus half the absolute bias); without windows, the bottom-up sum.
    """
    candidates: dict[str, np.ndarray] = {}
    for name in AGGREGATE_MODELS:
        preds = np.stack([LOCAL_MODELS[name](y[:, :origin], horizon, season) for origin in origins], axis=1)
        candidates[name] = np.clip(np.nan_to_num(preds, nan=0.0), 0.0, None)
    candidates[BOTTOM_UP] = bottom_up
    candidates[f"{BOTTOM_UP}+ets"] = 0.5 * (bottom_up + candidates["ets"])
    names = list(candidates)
    windows = len(origins) - 1
    if windows == 0:
        chosen = np.full(len(y), names.index(BOTTOM_UP))
    else:
        scores = np.stack([selection_score(actual, candidates[name][:, :windows]) for name in names], axis=1)
        chosen = np.argmin(np.where(np.isfinite(scores), scores, np.inf), axis=1)
    out = np.zeros_like(bottom_up)
    for index, name in enumerate(names):
        mask = chosen == index
        out[mask] = candidates[name][mask]
    return out, np.array(names, dtype=object)[chosen]
