"""Fit BG/NBD and Gamma-Gamma on the CDNOW sample and compare with the published parameters.

Run from the repo root: .venv/bin/python bench/clv_cdnow/run.py
Needs the dev dependency ``lifetimes`` (only its data file is read, the package is not imported).
"""

from __future__ import annotations

import importlib.metadata
import time

import pandas as pd

from segmentation.engine.cdnow import (
    CALIBRATION_END,
    PUBLISHED_BGNBD,
    PUBLISHED_GAMMA_GAMMA,
    PUBLISHED_REPEAT_CUSTOMERS,
    SAMPLE_COLUMNS,
    SAMPLE_FILE,
    calibration_summary,
    sample_transactions,
)
from segmentation.engine.clv import (
    bgnbd_expected_purchases,
    fit_bgnbd,
    fit_gamma_gamma,
    gamma_gamma_expected_spend,
)


def main() -> None:
    """Print fitted vs published CLV parameters and the largest relative difference."""
    path = importlib.metadata.distribution("lifetimes").locate_file(SAMPLE_FILE)
    raw = pd.read_csv(str(path), sep=r"\s+", header=None, names=list(SAMPLE_COLUMNS), dtype=str)
    transactions = sample_transactions(raw)
    summary = calibration_summary(transactions, CALIBRATION_END)
    repeat = summary[summary["frequency"] > 0]
    print(f"data: {path}")
    print(
        f"transactions={len(transactions)} customers={len(summary)} repeat_customers={len(repeat)} "
        f"(paper: 2357 customers, {PUBLISHED_REPEAT_CUSTOMERS} repeat customers); "
        f"calibration 1997-01-01..{CALIBRATION_END.date()}, time unit = week"
    )

    started = time.perf_counter()
    bgnbd = fit_bgnbd(summary["frequency"], summary["recency"], summary["T"])
    bgnbd_seconds = time.perf_counter() - started
    started = time.perf_counter()
    gamma_gamma = fit_gamma_gamma(repeat["frequency"], repeat["monetary"])
    gg_seconds = time.perf_counter() - started

    fitted = {
        "BG/NBD r": (bgnbd.r, PUBLISHED_BGNBD["r"]),
        "BG/NBD alpha": (bgnbd.alpha, PUBLISHED_BGNBD["alpha"]),
        "BG/NBD a": (bgnbd.a, PUBLISHED_BGNBD["a"]),
        "BG/NBD b": (bgnbd.b, PUBLISHED_BGNBD["b"]),
        "Gamma-Gamma p": (gamma_gamma.p, PUBLISHED_GAMMA_GAMMA["p"]),
        "Gamma-Gamma q": (gamma_gamma.q, PUBLISHED_GAMMA_GAMMA["q"]),
        "Gamma-Gamma gamma": (gamma_gamma.gamma, PUBLISHED_GAMMA_GAMMA["gamma"]),
    }
    print(f"{'parameter':<20}{'ours':>10}{'paper':>10}{'rel_diff':>10}")
    worst = 0.0
    for name, (ours, paper) in fitted.items():
        rel = abs(ours - paper) / abs(paper)
        worst = max(worst, rel)
        print(f"{name:<20}{ours:>10.4f}{paper:>10.3f}{rel:>10.4f}")
    print(
        f"BG/NBD log-likelihood={bgnbd.log_likelihood:.2f} (paper -9582.4), converged={bgnbd.converged}, "
        f"fit {bgnbd_seconds:.3f} s"
    )
    print(
        f"Gamma-Gamma log-likelihood={gamma_gamma.log_likelihood:.2f} (paper -4055.9), "
        f"converged={gamma_gamma.converged}, fit {gg_seconds:.3f} s"
    )
    # Out-of-sample check over the 39 holdout weeks (1997-10-01..1998-06-30): purchase days per
    # customer (same-day orders merged, as in calibration) against the BG/NBD conditional forecast.
    holdout = transactions[transactions["date"] > CALIBRATION_END]
    actual = holdout.groupby("customer_id")["date"].nunique().reindex(summary.index, fill_value=0)
    predicted = bgnbd_expected_purchases(bgnbd, 39.0, summary["frequency"], summary["recency"], summary["T"])
    print(f"holdout weeks 40-78: actual repeat purchases={int(actual.sum())} predicted={predicted.sum():.1f}")
    for x in range(0, 7):
        group = (summary["frequency"] == x).to_numpy() if x < 6 else (summary["frequency"] >= 6).to_numpy()
        label = f"x={x}" if x < 6 else "x>=6"
        print(
            f"  {label:<5} customers={int(group.sum()):>5} actual/customer={actual[group].mean():.3f} "
            f"predicted/customer={predicted[group].mean():.3f}"
        )
    daily = holdout.groupby(["customer_id", "date"])["amount"].sum()
    spend = gamma_gamma_expected_spend(gamma_gamma, repeat["frequency"], repeat["monetary"])
    holdout_mean = daily.groupby("customer_id").mean().reindex(repeat.index)
    seen = holdout_mean.notna().to_numpy()
    print(
        f"holdout spend per purchase, repeat customers who bought again ({int(seen.sum())}): "
        f"actual mean={holdout_mean[seen].mean():.2f} Gamma-Gamma expected={spend[seen].mean():.2f} "
        f"(their calibration mean {repeat['monetary'][seen].mean():.2f})"
    )
    print(f"clv max_rel_diff={worst:.4f}")


if __name__ == "__main__":
    main()
