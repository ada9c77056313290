"""Segmentation bench: UCI Online Retail (real), then 1,000,000 generated customers / 10,000,000 lines.

Run from the repo root: .venv/bin/python -m bench.segmentation [--customers N --lines M] [--skip-real]
Reads the real data in place from $SHARED_DATA_DIR (default <repo>/../shared/data). Ends with the line
``segmentation customers=<n> seconds=<s> peak_rss_mb=<m>`` for the generated run; peak RSS is the
whole process's high-water mark (data generation included), read from getrusage.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
import pandas as pd

from bench.shared import load_average, peak_rss_mb, summary_line
from common.testing.datasets import load_online_retail, online_retail_path
from segmentation.engine import SegmentationResult, segment_customers


def print_result(result: SegmentationResult, seconds: float) -> None:
    """Customers, k, silhouette (per candidate k), segment table, CLV fits and the time."""
    print(
        f"customers={len(result.customers)} excluded(no purchase)={result.excluded_customers} k={result.k} "
        f"silhouette={result.silhouette:.4f} fit_seconds={seconds:.2f}"
    )
    print("silhouette by k: " + ", ".join(f"{k}={s:.3f}" for k, s in sorted(result.silhouette_by_k.items())))
    table = result.segments[
        [
            "name",
            "customers",
            "revenue_share",
            "recency_days",
            "frequency",
            "monetary",
            "clv_mean",
            "p_alive_mean",
        ]
    ]
    with pd.option_context(
        "display.width", 200, "display.max_columns", 20, "display.float_format", "{:,.3f}".format
    ):
        print("segments (recency_days/frequency/monetary are medians):")
        print(table.to_string(index=False))
    if result.bgnbd is not None:
        b = result.bgnbd
        print(
            f"BG/NBD (weeks): r={b.r:.4f} alpha={b.alpha:.4f} a={b.a:.4f} b={b.b:.4f} converged={b.converged}"
        )
    if result.gamma_gamma is not None:
        g = result.gamma_gamma
        print(f"Gamma-Gamma: p={g.p:.4f} q={g.q:.4f} gamma={g.gamma:.4f} on {g.n_customers} repeat customers")


def generate_lines(n_customers: int, n_lines: int, seed: int = 0) -> tuple[pd.DataFrame, pd.Timestamp]:
    """Synthetic sales lines: four behaviour types over two years, 2% of lines are returns."""
    rng = np.random.default_rng(seed)
    end_day = 730
    # Behaviour types: regular, lapsed, one-off, new (shares chosen to look like a web shop).
    kind = rng.choice(4, size=n_customers, p=[0.25, 0.25, 0.35, 0.15])
    occasions = np.select(
        [kind == 0, kind == 1, kind == 2],
        [
            2 + rng.poisson(10, n_customers),
            2 + rng.poisson(4, n_customers),
            np.ones(n_customers, dtype=np.int64),
        ],
        1 + rng.poisson(0.5, n_customers),
    ).astype(np.int64)
    first = np.select(
        [kind == 0, kind == 1, kind == 2],
        [
            rng.integers(0, 400, n_customers),
            rng.integers(0, 300, n_customers),
            rng.integers(0, end_day, n_customers),
        ],
        rng.integers(end_day - 60, end_day, n_customers),
    )
    last = np.select(
        [kind == 0, kind == 1, kind == 2],
        [rng.integers(end_day - 30, end_day, n_customers), first + rng.integers(60, 300, n_customers), first],
        rng.integers(first, end_day),
    )
    last = np.minimum(np.maximum(last, first), end_day - 1)
    # Every customer gets one line; the rest are spread in proportion to their occasions.
    extra = rng.multinomial(n_lines - n_customers, occasions / occasions.sum())
    per_customer = 1 + extra
    cust = np.repeat(np.arange(n_customers, dtype=np.int64), per_customer)
    occasions = np.minimum(occasions, per_customer)
    occ = (rng.random(n_lines) * occasions[cust]).astype(np.int64)
    span = (last - first)[cust]
    day = first[cust] + np.where(occasions[cust] > 1, occ * span // np.maximum(occasions[cust] - 1, 1), 0)
    txn_offset = np.r_[0, np.cumsum(occasions)[:-1]]
    txn = txn_offset[cust] + occ
    quantity = rng.integers(1, 6, n_lines).astype(np.float64)
    quantity[rng.random(n_lines) < 0.02] *= -1.0
    n_skus = 5_000
    sku_code = np.minimum(rng.zipf(1.3, n_lines) - 1, n_skus - 1)
    price_list = np.round(rng.lognormal(1.5, 0.8, n_skus), 2)
    customer_ids = pd.Series([f"C{i:07d}" for i in range(n_customers)], dtype="str")
    sku_ids = pd.Series([f"SKU{i:05d}" for i in range(n_skus)], dtype="str")
    categories = pd.Series([f"category-{i % 20:02d}" for i in range(n_skus)], dtype="str")
    start = pd.Timestamp("2023-01-01")
    lines = pd.DataFrame(
        {
            "customer_id": customer_ids.take(cust).reset_index(drop=True),
            "date": start + pd.to_timedelta(day, unit="D"),
            "quantity": quantity,
            "unit_price": price_list[sku_code],
            "transaction_id": pd.Series(txn).astype("str"),
            "sku": sku_ids.take(sku_code).reset_index(drop=True),
            "category": categories.take(sku_code).reset_index(drop=True),
        }
    )
    return lines, start + pd.Timedelta(days=end_day)


def main() -> None:
    """Run the real-data and the scale benchmark and print their figures."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--lines", type=int, default=10_000_000)
    parser.add_argument("--skip-real", action="store_true")
    args = parser.parse_args()

    print(f"start: {load_average()}")
    path = online_retail_path()
    if args.skip_real:
        print("real data: skipped (--skip-real)")
    elif path.is_file():
        lines = load_online_retail()
        print(
            f"== UCI Online Retail: {path} ({len(lines):,} lines, "
            f"{lines['customer_id'].notna().sum():,} with a customer id)"
        )
        started, cpu = time.perf_counter(), time.process_time()
        result = segment_customers(lines)
        print_result(result, time.perf_counter() - started)
        print(f"cpu_seconds={time.process_time() - cpu:.2f} load_average={os.getloadavg()[0]:.1f}")
        # Stability: drop 1% of the lines at random and count customers whose segment name holds.
        changed = segment_customers(lines.sample(frac=0.99, random_state=1), as_of=result.as_of)
        joined = result.customers.merge(changed.customers, on="customer_id", suffixes=("", "_changed"))
        same = float((joined["segment"] == joined["segment_changed"]).mean())
        print(
            f"stability: 1% of lines dropped -> k {result.k}->{changed.k}, "
            f"{same:.1%} of {len(joined)} customers keep their segment name"
        )
    else:
        print(f"real data: {path} not found, skipped")

    print(f"== generated: {args.customers:,} customers, {args.lines:,} lines")
    started = time.perf_counter()
    lines, as_of = generate_lines(args.customers, args.lines)
    print(
        f"generated in {time.perf_counter() - started:.1f} s, {lines.memory_usage(deep=True).sum() / 2**20:,.0f} MiB"
    )
    load_before = os.getloadavg()[0]
    started, cpu = time.perf_counter(), time.process_time()
    result = segment_customers(lines, as_of=as_of)
    seconds = time.perf_counter() - started
    print_result(result, seconds)
    # The machine is shared: CPU seconds and load show how much of the wall time was waiting.
    print(
        f"cpu_seconds={time.process_time() - cpu:.1f} load_average before={load_before:.1f} "
        f"after={os.getloadavg()[0]:.1f} (2 cores)"
    )
    print(f"end: {load_average()}")
    print(
        summary_line(
            "segmentation",
            customers=str(len(result.customers)),
            seconds=f"{seconds:.1f}",
            peak_rss_mb=f"{peak_rss_mb():.0f}",
        )
    )


if __name__ == "__main__":
    main()
