"""Fit BG/NBD and Gamma-Gamma on the CDNOW sample and compare with the published parameters.

Run from the repo root: .venv/bin/python bench/clv_cdnow/run.py
Needs the dev dependency ``lifetimes`` (only its data file is read, the package is not imported).
"""

from __future__ import annotations

import time

from segmentation.engine.cdnow import (
    CALIBRATION_END,
    PUBLISHED_BGNBD,
    PUBLISHED_GAMMA_GAMMA,
    PUBLISHED_REPEAT_CUSTOMERS,
    calibration_summary,
    cdnow_sample_path,
    read_cdnow_sample,
)
from segmentation.engine.clv import fit_bgnbd, fit_gamma_gamma


def main() -> None:
    """Print fitted vs published CLV parameters and the largest relative difference."""
    path = cdnow_sample_path()
    transactions = read_cdnow_sample(path)
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
    print(f"clv max_rel_diff={worst:.4f}")


if __name__ == "__main__":
    main()
