"""`make bench-stockouts`: what stock-outs cost a forecast, and how much of it the correction wins back.

Forecasts the last 13 (uncensored) weeks of 300 Breakfast at the Frat series from their true
history, from the censored history with the stock file, from the censored history without it
(inferred stock-outs, setting "correct") and without any correction (setting "flag": inferred
stock-outs only reported). Lost units of the stock-file run are scored against the units the
censoring removed; the inferred stock-outs against the weeks that sold nothing.
"""

from __future__ import annotations

import argparse
import time

import pandas as pd

from bench.shared import load_average, summary_line
from bench.stockouts.data import SERIES, StockoutData, stockout_data
from forecasting.engine import ForecastResult, forecast
from forecasting.engine.metrics import wape

KEYS = ["store", "sku", "date"]


def _forecast(data: StockoutData, label: str, history: pd.DataFrame, **options: object) -> ForecastResult:
    """The engine as the forecasting worker calls it, on the bench's plan and products."""
    started = time.perf_counter()
    result = forecast(
        history, horizon_days=data.horizon_days, plan=data.plan, products=data.products, **options
    )
    print(f"  {label}: {time.perf_counter() - started:.1f} s")
    return result


def score(data: StockoutData, result: ForecastResult) -> float:
    """WAPE of the held-out weeks with a sales row."""
    points = result.points.assign(date=pd.to_datetime(result.points["date"]))
    joined = data.scored.merge(points, on=KEYS, how="left")
    return wape(joined["quantity"].to_numpy(dtype=float), joined["p50"].fillna(0.0).to_numpy(dtype=float))


def lost_units_error(data: StockoutData, result: ForecastResult) -> float:
    """(estimated - true) / true lost units over the stock file's stock-outs."""
    found = result.stockouts[result.stockouts["source"] == "stock"]
    true_lost = float((data.truth["quantity"] - data.truth["sold"]).sum())
    return (float(found["lost_units"].sum()) - true_lost) / true_lost


def detection(data: StockoutData, result: ForecastResult) -> tuple[float, float]:
    """Precision and recall of the inferred stock-outs' weeks against the weeks that sold nothing."""
    inferred = result.stockouts[result.stockouts["source"] == "inferred"]
    weeks = []
    for row in inferred.itertuples():
        # A run spans whole weeks: from six days before its first week's date to its last week's date.
        dates = pd.date_range(
            pd.Timestamp(row.start) + pd.Timedelta(days=6), pd.Timestamp(row.end), freq="7D"
        )
        weeks.append(pd.DataFrame({"store": row.store, "sku": row.sku, "date": dates}))
    flagged = pd.concat(weeks, ignore_index=True) if weeks else pd.DataFrame(columns=KEYS)
    truth = data.truth.loc[data.truth["out_all_week"], KEYS]
    hits = len(flagged.merge(truth, on=KEYS))
    precision = hits / len(flagged) if len(flagged) else float("nan")
    return precision, hits / max(len(truth), 1)


def main() -> None:
    """Run the four forecasts and print the summary line last."""
    parser = argparse.ArgumentParser(prog="bench.stockouts")
    parser.add_argument("--series", type=int, default=SERIES)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    print(f"start: {load_average()}")
    data = stockout_data(args.seed, args.series)
    out_weeks = int(data.truth["out_all_week"].sum())
    print(
        f"breakfast_at_the_frat: {args.series} series, {len(data.history)} history weeks with sales, "
        f"{len(data.truth)} censored ({out_weeks} sold nothing), {len(data.stock)} stock snapshots"
    )
    true_run = _forecast(data, "true history", data.history)
    corrected = _forecast(data, "censored + stock file", data.censored, stock=data.stock, stockouts="flag")
    inferred = _forecast(data, "censored, inferred and corrected", data.censored, stockouts="correct")
    uncorrected = _forecast(data, "censored, correction off", data.censored, stockouts="flag")
    precision, recall = detection(data, uncorrected)
    found = corrected.stockouts
    print(f"stock-file stock-outs: {len(found)} runs, lost units {found['lost_units'].sum():.0f}")
    print(f"inferred stock-outs: {int((uncorrected.stockouts['source'] == 'inferred').sum())} runs")
    print(f"end: {load_average()}")
    print(
        summary_line(
            "stockouts",
            lost_units_error=f"{lost_units_error(data, corrected):.3f}",
            wape_true=f"{score(data, true_run):.3f}",
            wape_corrected=f"{score(data, corrected):.3f}",
            wape_inferred=f"{score(data, inferred):.3f}",
            wape_uncorrected=f"{score(data, uncorrected):.3f}",
            detection_precision=f"{precision:.3f}",
            detection_recall=f"{recall:.3f}",
        )
    )
