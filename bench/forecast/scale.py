"""Scale run: generated daily retail data, many series x 2 years, through the whole engine."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from bench.shared import load_average, peak_rss_mb, summary_line
from forecasting.engine import forecast

HORIZON_DAYS = 28
HISTORY_DAYS = 730


def generate(n_series: int, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Synthetic daily sales: (history rows with sales, plan for the next 28 days, true future).

    Levels are log-normal (many slow, intermittent items, a few fast ones), with a weekly and a
    yearly pattern, a mild trend, and 5% promoted days at 10-40% off that lift units 1.5-3x.
    """
    rng = np.random.default_rng(seed)
    days = HISTORY_DAYS + HORIZON_DAYS
    dates = pd.date_range("2022-01-03", periods=days, freq="D")
    n_stores = max(1, n_series // 300)
    n_skus = int(np.ceil(n_series / n_stores))
    base = np.exp(rng.normal(0.5, 1.2, n_series))
    weekly = 1.0 + rng.uniform(0.0, 0.6, (n_series, 1)) * np.sin(2 * np.pi * (np.arange(days) % 7) / 7 + 1.0)
    yearly = 1.0 + rng.uniform(0.0, 0.3, (n_series, 1)) * np.sin(2 * np.pi * np.arange(days) / 365.25)
    trend = 1.0 + rng.normal(0.0, 0.15, (n_series, 1)) * np.arange(days) / days
    promo = rng.random((n_series, days)) < 0.05
    discount = np.where(promo, rng.uniform(0.1, 0.4, (n_series, days)), 0.0)
    lift = 1.0 + discount * rng.uniform(2.5, 5.0, (n_series, 1))
    rate = base[:, None] * weekly * yearly * np.clip(trend, 0.3, None) * lift
    units = rng.poisson(rate).astype(np.float32)
    regular = np.round(np.exp(rng.normal(1.0, 0.6, n_series)), 2)[:, None]
    price = (regular * (1.0 - discount)).astype(np.float32)
    del rate, weekly, yearly, trend, lift

    series_idx = np.arange(n_series)
    store_code = series_idx % n_stores
    sku_code = series_idx // n_stores
    stores = pd.Index([f"store{i:03d}" for i in range(n_stores)])
    skus = pd.Index([f"sku{i:05d}" for i in range(n_skus)])

    def long(mask: np.ndarray, day_lo: int) -> pd.DataFrame:
        rows, cols = np.nonzero(mask)
        return pd.DataFrame(
            {
                "store": pd.Categorical.from_codes(store_code[rows], categories=stores),
                "sku": pd.Categorical.from_codes(sku_code[rows], categories=skus),
                "date": dates.to_numpy()[cols + day_lo],
                "quantity": units[rows, cols + day_lo],
                "unit_price": price[rows, cols + day_lo],
                "promotion": promo[rows, cols + day_lo].astype(np.float32),
            }
        )

    history = long(units[:, :HISTORY_DAYS] > 0, 0)
    future = long(np.ones((n_series, HORIZON_DAYS), dtype=bool), HISTORY_DAYS)
    plan = future.drop(columns=["quantity"])
    return history, plan, future


def run_scale(n_series: int, seed: int = 0) -> None:
    """Generate, forecast and print time, memory and held-out accuracy."""
    print(f"start: {load_average()}")
    start = time.perf_counter()
    history, plan, future = generate(n_series, seed)
    gen_s = time.perf_counter() - start
    print(f"generated {n_series} series x {HISTORY_DAYS} days: {len(history):,} sales rows in {gen_s:.1f} s")
    start = time.perf_counter()
    result = forecast(history, HORIZON_DAYS, plan=plan, seed=seed)
    took = time.perf_counter() - start
    peak_gb = peak_rss_mb() / 1024
    future = future.astype({"store": str, "sku": str})
    merged = future.merge(result.points, on=["store", "sku", "date"], how="left")
    wape = float((merged["quantity"] - merged["p50"]).abs().sum() / merged["quantity"].sum())
    coverage = float(((merged["quantity"] >= merged["p10"]) & (merged["quantity"] <= merged["p90"])).mean())
    print(result.series["model"].value_counts().to_string())
    print(
        f"engine {took:.1f} s for {len(result.series)} series; peak memory {peak_gb:.2f} GB (bench process)"
    )
    print(f"end: {load_average()}")
    print(
        summary_line(
            "forecast scale",
            series=str(len(result.series)),
            seconds=f"{took:.1f}",
            peak_gb=f"{peak_gb:.2f}",
            wape=f"{wape:.3f}",
            coverage80=f"{coverage:.3f}",
            series_per_s=f"{len(result.series) / took:.1f}",
        )
    )
