"""Hierarchy bench: reconciled forecasts at item, store x category, store, category and total level.

On Breakfast at the Frat the last 13 weeks are held out and the plan (prices, promotions) is given,
as in the forecast bench (its data preparation and engine call). The engine's item forecasts and
backtest windows go to `reconcile` with the sales history and the products' categories; every level
is scored on the held-out weeks (an aggregate's actual is the sum of every series' sales, a week
without a sale counting zero), once for the bottom-up sums of the engine's item forecasts and once
for the reconciled forecasts. Items are scored as the forecast bench scores them (weeks with a
sales row of the series with 60+ weeks of history). Also: the largest relative gap between a
reconciled aggregate and the sum of its reconciled items, and the time `reconcile` takes (aggregate
base forecasts, method selection, sample paths) for all series. Ends with
`hierarchy coherence=<> item_wape=<> category_wape=<> store_wape=<> total_wape=<>
bottom_up_category_wape=<> bottom_up_store_wape=<> bottom_up_total_wape=<> seconds=<>`.

Run from the repo root: `make bench-hierarchy` (data read in place from SHARED_DATA_DIR).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from bench.forecast.data import Dataset, frat_dataset
from bench.forecast.run import run_engine
from bench.forecast.scoring import score
from bench.shared import load_average, summary_line
from common.testing.datasets import load_frat
from forecasting.engine.hierarchy import LEVELS, build_hierarchy
from forecasting.engine.reconcile import METHODS, Reconciliation, reconcile

KEYS = ["store", "sku"]


def held_out_sales(data: Dataset) -> pd.DataFrame:
    """Every series' sales in the held-out weeks (the forecast bench scores only some series)."""
    frame = load_frat()
    return frame.loc[frame["date"] > data.history["date"].max(), [*KEYS, "date", "quantity"]]


def level_frame(items: pd.DataFrame, value: str, hierarchy_items: pd.DataFrame) -> pd.DataFrame:
    """Sums of `value` per level, key and date from item rows (the hierarchy's grouping)."""
    frame = items.merge(hierarchy_items, on=KEYS, how="inner")
    keys = {
        "total": pd.Series("total", index=frame.index),
        "category": frame["category"],
        "store": frame["store"],
        "store_category": frame["store"] + "|" + frame["category"],
    }
    out = [
        frame.groupby([keys[level], frame["date"]])[value]
        .sum()
        .rename_axis(["key", "date"])
        .reset_index()
        .assign(level=level)
        for level in LEVELS
    ]
    return pd.concat(out, ignore_index=True)


def level_wapes(forecast: pd.DataFrame, actual: pd.DataFrame) -> dict[str, float]:
    """WAPE per level of (level, key, date, p50) against (level, key, date, quantity); no sale = 0."""
    merged = forecast.merge(actual, on=["level", "key", "date"], how="left").fillna({"quantity": 0.0})
    error = (merged["p50"] - merged["quantity"]).abs()
    return {
        level: float(
            error[merged["level"] == level].sum() / merged.loc[merged["level"] == level, "quantity"].sum()
        )
        for level in LEVELS
    }


def coherence(result: Reconciliation, hierarchy_items: pd.DataFrame) -> float:
    """Largest relative gap between a reconciled aggregate's p50 and its reconciled items' sum."""
    sums = level_frame(result.items, "p50", hierarchy_items).rename(columns={"p50": "sum"})
    merged = result.levels.merge(sums, on=["level", "key", "date"], how="outer")
    gap = (merged["p50"] - merged["sum"]).abs() / merged["p50"].abs().clip(lower=1e-9)
    return float(gap.fillna(np.inf).max())


def main(argv: list[str] | None = None) -> None:
    """Run the bench and print its figures and the summary line."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    print(f"start: {load_average()}")
    data = frat_dataset()
    print(data.label)
    assert data.products is not None
    result, run = run_engine(data, args.seed)
    print(f"engine: {run.n_series} series in {run.wall_s:.1f} s")
    import hierarchicalforecast.utils  # noqa: F401 (paid once per worker process, not per run)

    start = time.perf_counter()
    reconciled = reconcile(result.points, result.backtest, data.history, data.products, seed=args.seed)
    seconds = time.perf_counter() - start
    print(
        f"reconciled {len(reconciled.items[KEYS].drop_duplicates())} series in {seconds:.2f} s: {reconciled.method}"
    )
    print("backtest score per method (mean WAPE over the levels / bottom-up's, last window):")
    for method, value in sorted(reconciled.scores.items(), key=lambda item: item[1]):
        print(f"  {method:12s} {value:.4f}")
    print(
        "aggregate base models:\n"
        + reconciled.levels.drop_duplicates(["level", "key"])["model"].value_counts().to_string()
    )

    hierarchy_items = build_hierarchy(data.products).items
    actual = level_frame(held_out_sales(data), "quantity", hierarchy_items)
    bottom_up = level_frame(
        reconciled.items.rename(columns={"p50": "rec", "base_p50": "p50"}), "p50", hierarchy_items
    )
    ours = level_wapes(reconciled.levels[["level", "key", "date", "p50"]], actual)
    base = level_wapes(bottom_up, actual)
    item_wape = score(data.scored, reconciled.items, pd.Series(dtype=float))["wape"]
    base_item_wape = score(data.scored, result.points, pd.Series(dtype=float))["wape"]
    print(f"{'level':16s} {'bottom-up':>10s} {'reconciled':>11s}")
    print(f"{'item':16s} {base_item_wape:10.4f} {item_wape:11.4f}")
    for level in LEVELS:
        print(f"{level:16s} {base[level]:10.4f} {ours[level]:11.4f}")
    print("each method imposed instead (hold-out WAPE; the backtest chose the first table's):")
    print(f"{'method':12s} {'item':>7s} " + " ".join(f"{level:>14s}" for level in LEVELS))
    for method in METHODS:
        imposed = reconcile(result.points, result.backtest, data.history, data.products, method=method)
        wapes = level_wapes(imposed.levels[["level", "key", "date", "p50"]], actual)
        item = score(data.scored, imposed.items, pd.Series(dtype=float))["wape"]
        print(f"{method:12s} {item:7.4f} " + " ".join(f"{wapes[level]:14.4f}" for level in LEVELS))
    gap = coherence(reconciled, hierarchy_items)
    print(f"end: {load_average()}")
    print(
        summary_line(
            "hierarchy",
            coherence=f"{gap:.1e}",
            item_wape=f"{item_wape:.3f}",
            category_wape=f"{ours['category']:.3f}",
            store_wape=f"{ours['store']:.3f}",
            total_wape=f"{ours['total']:.3f}",
            bottom_up_category_wape=f"{base['category']:.3f}",
            bottom_up_store_wape=f"{base['store']:.3f}",
            bottom_up_total_wape=f"{base['total']:.3f}",
            seconds=f"{seconds:.2f}",
        )
    )
