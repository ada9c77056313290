"""Inventory bench: replay real demand, ordering what the engine says vs a static min/max rule.

Run from the repo root:  .venv/bin/python -m bench.inventory [--series 200] [--dataset frat|uci|both]
Data is read in place from $SHARED_DATA_DIR (default <repo>/../shared/data).

For each dataset the replay walks forward through the last 26 weeks (Breakfast at the Frat, weekly) or
90 days (UCI Online Retail, daily), reviewing every 7 days with a lead time of 1 week / 5 days. At each
review it re-forecasts with the forecasting engine on data before that day only, asks the inventory
engine what to order, and ships it after the lead time. Demand not met from stock is lost. The same
demand is replayed with a static min/max rule set from the history before the replay
(min = mean demand over lead time + review period + z sigma sqrt(periods), max = min + EOQ).

The engine's spread is calibrated at every review from its own past errors over lead time + review
period (inventory.engine.calibrate_spread), using only windows that had ended by that review; a few
warm-up reviews before the replay start give it a history, as stored recommendations would in
production.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from bench.inventory.datasets import Dataset, frat_dataset, uci_dataset
from bench.inventory.engine_rule import EngineRule, Forecaster, engine_forecaster
from bench.inventory.report import report
from bench.inventory.rules import TARGET, matched_min_max, min_max_rule, oracle_base_stock
from bench.inventory.simulator import Replay, replay
from bench.shared import load_average, summary_line
from inventory.engine import InventoryPolicy


def run_dataset(
    data: Dataset,
    forecaster: Forecaster,
    ordering_cost: float,
    plan_drivers: bool,
    cache: Path | None = None,
    calibrate: bool = True,
    use_history: bool = True,
    **policy_options: float,
) -> dict[str, Replay]:
    """Replay the engine's policy and the static min/max rule on one dataset."""
    policy = InventoryPolicy(
        service_level=policy_options.pop("service_level", TARGET),
        service_level_type="cycle",
        default_lead_time_days=data.lead_days,
        review_period_days=data.review_days,
        ordering_cost=ordering_cost,
        **policy_options,  # type: ignore[arg-type]
    )
    engine = EngineRule(
        data, forecaster, policy, plan_drivers, cache, calibrate=calibrate, use_history=use_history
    )
    # Starting from the policy's own levels: its order-up-to level before any stock is known.
    start_levels = engine.recommend(0, None, None)["order_up_to"].to_numpy(dtype=float)
    results = {"engine": replay(data, np.ceil(start_levels), engine)}
    print(
        f"  engine: {engine.forecast_seconds:.0f} s forecasting, {engine.engine_seconds:.1f} s in "
        f"recommend_inventory ({len(engine.forecasts)} forecasts); demand over lead time + review "
        f"within the reorder point at {engine.level_coverage():.3f} of reviews"
    )
    if use_history:
        share = np.mean(list(engine.history_share.values()))
        print(
            f"  engine: {share:.0%} of item reviews took lead time + review demand from the item's own past windows"
        )
    if calibrate:
        reviews = sorted(t for t in engine.calibration if t >= 0)
        factors = " ".join("{:.2f}/{:.2f}".format(*engine.calibration[t][:2]) for t in reviews)
        print(
            "  engine: spread factor per review, forecast/history items (from past errors over lead time "
            f"+ review): {factors}"
        )
        chosen = " ".join("+".join(engine.calibration[t][2]) or "-" for t in reviews)
        print(f"  engine: demand classes taken from history per review: {chosen}")
    start, rule = min_max_rule(data, ordering_cost, policy.holding_cost_rate)
    results["min/max"] = replay(data, start, rule)
    matched = matched_min_max(data, ordering_cost, policy.holding_cost_rate, results["engine"].cycle_service)
    if matched is not None:
        results["min/max matched"] = matched[1]
        print(
            f"  min/max matched: safety factor z = {matched[0]:.2f} reaches the engine's cycle service level"
        )
    else:
        print("  min/max matched: no safety factor up to z = 8 reaches the engine's cycle service level")
    oracle = oracle_base_stock(data, results["engine"].cycle_service)
    if oracle is not None:
        results["oracle (future)"] = oracle[1]
        print(
            f"  oracle (future): each item's level at the q = {oracle[0]:.3f} quantile of its own "
            "lead time + review totals in the replay window reaches the engine's cycle service level"
        )
    return results


def main(argv: list[str] | None = None) -> None:
    """Run the replay on both datasets and print the summary line."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--dataset", choices=["frat", "uci", "both"], default="both")
    parser.add_argument("--series", type=int, default=200, help="Breakfast at the Frat series to replay")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--ordering-cost", type=float, default=1.0, help="cost per order line, both policies")
    parser.add_argument("--no-plan", action="store_true", help="forecast without the known price/promo plan")
    parser.add_argument(
        "--no-calibration", action="store_true", help="keep the forecast's own spread (spread factor 1)"
    )
    parser.add_argument(
        "--no-history",
        action="store_true",
        help="every item's demand from its forecast (no own-history windows)",
    )
    parser.add_argument(
        "--cache-dir",
        type=Path,
        default=None,
        help="keep each review's forecast here (outside the repo) to replay again without re-forecasting",
    )
    parser.add_argument(
        "--policy",
        action="append",
        default=[],
        metavar="FIELD=VALUE",
        help="override a numeric InventoryPolicy field, e.g. --policy period_correlation=0.4",
    )
    args = parser.parse_args(argv)
    print(f"start: {load_average()}")
    loaders: dict[str, Callable[[], Dataset]] = {
        "frat": lambda: frat_dataset(args.series, args.seed),
        "uci": uci_dataset,
    }
    chosen = ["frat", "uci"] if args.dataset == "both" else [args.dataset]
    achieved: list[float] = []
    ratios: list[float] = []
    minmax_achieved: list[float] = []
    for key in chosen:
        began = time.perf_counter()
        data = loaders[key]()
        print(
            f"{data.name}: replay {len(data.dates)} periods from {data.dates[0].date()} to "
            f"{data.dates[-1].date()}, lead time {data.lead_days} d, review {data.review_days} d "
            f"(loaded in {time.perf_counter() - began:.0f} s)"
        )
        options = {field: float(value) for field, value in (item.split("=", 1) for item in args.policy)}
        plan = data.plan_drivers and not args.no_plan
        cache = None
        if args.cache_dir is not None:
            tag = f"{key}-{args.series}-{args.seed}" if key == "frat" else key
            cache = args.cache_dir / f"{tag}-{'plan' if plan else 'noplan'}"
        results = run_dataset(
            data,
            engine_forecaster,
            args.ordering_cost,
            plan,
            cache,
            not args.no_calibration,
            not args.no_history,
            **options,
        )
        report(key, results)
        achieved.append(results["engine"].cycle_service)
        minmax_achieved.append(results["min/max"].cycle_service)
        ratios.append(results["engine"].average_stock / results["min/max"].average_stock)
    # Each dataset counts equally: averaging cycles would let the larger one decide alone.
    a, r, m = float(np.mean(achieved)), float(np.mean(ratios)), float(np.mean(minmax_achieved))
    print(
        f"overall (mean over datasets): engine cycle SL {a:.3f}, min/max cycle SL {m:.3f}, "
        f"stock ratio {r:.3f}"
    )
    print(f"end: {load_average()}")
    print(
        summary_line(
            "inventory", target=str(TARGET), achieved=f"{a:.3f}", avg_stock_ratio_vs_minmax=f"{r:.3f}"
        )
    )
