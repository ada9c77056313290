"""Chunked vs one-call forecasting on Breakfast at the Frat: does splitting the series cost accuracy?

Run from the repo root:  .venv/bin/python -m bench.forecast.chunks [--chunk-series 1000] [--workers 2]
The chunks are the ones the forecasting tasks make (forecasting.tasks.plan_chunks: whole stores
packed in name order, a big store split by sku hash), each run through the engine on its own, as a
`forecasting.chunk` task does. `--workers 2` also runs the chunks in 2 processes, as 2 workers
would. Data is read in place from $SHARED_DATA_DIR (default <repo>/../shared/data).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pandas as pd

from bench.forecast.data import Dataset, frat_dataset
from bench.forecast.scoring import naive_scale, score
from forecasting.chunks import anchored_history, chunk_labels, plan_chunks, series_keys
from forecasting.engine import forecast

KEYS = ["store", "sku"]


def _members(frame: pd.DataFrame | None, keys: pd.DataFrame) -> pd.DataFrame | None:
    """Rows of `frame` for the series of `keys` (None stays None)."""
    return frame.merge(keys[KEYS], on=KEYS) if frame is not None and len(frame) else frame


def _run_one(
    history: pd.DataFrame,
    plan: pd.DataFrame | None,
    products: pd.DataFrame | None,
    horizon_days: int,
    as_of: pd.Timestamp,
) -> pd.DataFrame:
    """Forecast one chunk as a chunk task does (history pinned to the upload's last date)."""
    result = forecast(
        anchored_history(history, as_of), horizon_days, plan=plan, products=products, holiday_country="US"
    )
    return result.points


def run_chunks(data: Dataset, target: int, workers: int) -> tuple[pd.DataFrame, int, list[int]]:
    """Forecast every chunk, in `workers` processes (1: in turn); points, chunk count, sizes."""
    empty = pd.DataFrame(columns=KEYS)
    keys = series_keys(data.history, data.plan, data.products if data.products is not None else empty)
    chunks = plan_chunks(keys, target)
    labels = chunk_labels(keys, chunks)
    as_of = pd.Timestamp(data.history["date"].max())
    groups = [keys.loc[labels == i, KEYS] for i in range(len(chunks))]
    inputs = [
        (
            data.history.merge(group[KEYS], on=KEYS),
            _members(data.plan, group),
            _members(data.products, group),
            data.horizon_days,
            as_of,
        )
        for group in groups
    ]
    if workers <= 1:
        parts = [_run_one(*chunk) for chunk in inputs]
    else:
        # Spawned, not forked: a fork of a process that already ran LightGBM's OpenMP pool hangs.
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
            parts = list(pool.map(_run_one, *zip(*inputs, strict=True)))
    return pd.concat(parts, ignore_index=True), len(chunks), [len(g) for g in groups]


def main(argv: list[str] | None = None) -> None:
    """Print one call vs chunks (WAPE, coverage, wall time) and the summary line."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--chunk-series", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=1, help="also time the chunks in N processes")
    args = parser.parse_args(argv)
    data = frat_dataset()
    scale = naive_scale(data.history)
    print(data.label)
    import holidays
    import lightgbm  # noqa: F401

    holidays.country_holidays("US")  # warm, as a Celery worker is

    print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    start = time.perf_counter()
    one = forecast(
        data.history, data.horizon_days, plan=data.plan, products=data.products, holiday_country="US"
    )
    one_s = time.perf_counter() - start
    one_score = score(data.scored, one.points, scale)
    print(f"one call: {len(one.series)} series in {one_s:.1f} s (load {os.getloadavg()[0]:.2f})")

    start = time.perf_counter()
    points, n_chunks, sizes = run_chunks(data, args.chunk_series, 1)
    chunked_s = time.perf_counter() - start
    chunked_score = score(data.scored, points, scale)
    n_series = points[KEYS].drop_duplicates().shape[0]
    print(
        f"chunks of <= {args.chunk_series}: {n_chunks} chunks (sizes {sizes}), {n_series} series "
        f"in {chunked_s:.1f} s one after another (load {os.getloadavg()[0]:.2f})"
    )
    parallel_s = float("nan")
    if args.workers > 1:
        start = time.perf_counter()
        run_chunks(data, args.chunk_series, args.workers)
        parallel_s = time.perf_counter() - start
        print(
            f"the same chunks in {args.workers} processes: {parallel_s:.1f} s (load {os.getloadavg()[0]:.2f})"
        )

    print(f"{'run':24s} {'WAPE':>7s} {'MASE':>7s} {'cov80':>7s} {'seconds':>8s}")
    print(
        f"{'one call':24s} {one_score['wape']:7.3f} {one_score['mase']:7.3f} {one_score['coverage80']:7.3f} {one_s:8.1f}"
    )
    print(
        f"{'chunks':24s} {chunked_score['wape']:7.3f} {chunked_score['mase']:7.3f} "
        f"{chunked_score['coverage80']:7.3f} {chunked_s:8.1f}"
    )
    diff = np.abs(
        one.points.merge(points, on=[*KEYS, "date"], suffixes=("_one", "_chunk"))[["p50_one", "p50_chunk"]]
        .diff(axis=1)
        .iloc[:, 1]
    )
    print(f"p50 |one - chunked|: mean {diff.mean():.3f}, 95th percentile {diff.quantile(0.95):.3f} units")
    print(
        f"forecast_chunks chunks={n_chunks} wape_one={one_score['wape']:.3f} wape_chunked={chunked_score['wape']:.3f} "
        f"coverage80_one={one_score['coverage80']:.3f} coverage80_chunked={chunked_score['coverage80']:.3f} "
        f"seconds_one={one_s:.1f} seconds_chunked={chunked_s:.1f} seconds_chunked_parallel={parallel_s:.1f}"
    )


if __name__ == "__main__":
    main()
