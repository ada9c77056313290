"""Benchmark of the pricing engine on dunnhumby "Breakfast at the Frat" (read in place, $SHARED_DATA_DIR).

Prints the distribution of estimated elasticities per category, the share that are negative before
pooling (each series' own estimate) and after (shrunk toward its product and category), the share
whose interval excludes zero, and a 26-week holdout: units predicted from the prices actually charged
against the same model without price. Then the same figures for the forecast's demand model
(bench/pricing/model.py): its elasticities as pricing reports them, and a 13-week holdout of the
model told the prices charged against the model left at the last shelf price. Ends with
`pricing negative_share=<s> holdout_wape=<w> no_price_wape=<w0> negative_share_before_pooling=<b>
negative_share_after_pooling=<a> model_negative_share=<m> model_holdout_wape=<mw>
model_no_price_wape=<mw0>` (negative shares: among the confident estimates; `--no-model` leaves the
model's figures out).

Run from the repo root: `.venv/bin/python -m bench.pricing`.
"""

from __future__ import annotations

import argparse
import dataclasses
import time

import numpy as np
import pandas as pd

from bench.pricing.model import CONFIDENT_SD, model_figures
from bench.shared import load_average, require, summary_line
from common.testing.datasets import frat_transactions_path, load_frat, load_frat_products
from pricing.engine import EstimationSettings, predict_units, suggest_prices

HOLDOUT_WEEKS = 26


def load_sales() -> pd.DataFrame:
    """Breakfast at the Frat transactions in the engine's sales schema, with product categories."""
    require(frat_transactions_path())
    sales = load_frat()
    category = load_frat_products().set_index("sku")["category"]
    return sales.assign(category=sales["sku"].map(category))


def wape(actual: np.ndarray, predicted: np.ndarray) -> float:
    """Weighted absolute percentage error: sum |y - yhat| / sum y."""
    return float(np.abs(actual - predicted).sum() / actual.sum())


def holdout_predictions(
    train: pd.DataFrame, test: pd.DataFrame, settings: EstimationSettings, use_price: bool
) -> np.ndarray:
    """Fit on `train`, predict units of every `test` row from its actual price and promotion flags."""
    fitted = suggest_prices(train, settings=dataclasses.replace(settings, use_price=use_price))
    models = dict(zip(zip(fitted["store"], fitted["sku"], strict=True), fitted["model"], strict=True))
    predicted = np.full(len(test), np.nan)
    positions = np.arange(len(test))
    for key, index in test.groupby(["store", "sku"], sort=False).indices.items():
        if key in models:
            predicted[positions[index]] = predict_units(models[key], test.iloc[index])
    return predicted


def describe_categories(result: pd.DataFrame) -> None:
    """Quantiles of the elasticities with an own estimate, per category."""
    estimated = result[result["confidence"] != "insufficient"]
    table = estimated.groupby("category")["elasticity"].describe(percentiles=[0.1, 0.25, 0.5, 0.75, 0.9])
    table["negative"] = estimated.groupby("category")["elasticity"].apply(lambda values: (values < 0).mean())
    print("elasticity per category (series with enough price changes):")
    print(table.round(3).to_string())


def negative_shares(result: pd.DataFrame) -> dict[str, float]:
    """Print and return the negative shares: confident pooled estimates, all before and after pooling."""
    print("confidence:", result["confidence"].value_counts().to_dict())
    estimated = result[result["confidence"] != "insufficient"]
    sd = (estimated["elasticity_ci_high"] - estimated["elasticity_ci_low"]) / (2 * 1.6448536)
    confident = estimated[sd <= CONFIDENT_SD]
    shares = {
        "confident": float((confident["elasticity"] < 0).mean()),
        "before_pooling": float((estimated["elasticity_own"] < 0).mean()),
        "after_pooling": float((estimated["elasticity"] < 0).mean()),
    }
    print(
        f"negative elasticities among the {len(estimated)} series with an own estimate: "
        f"{shares['before_pooling']:.3f} before pooling (own estimate), "
        f"{shares['after_pooling']:.3f} after pooling"
    )
    print(
        f"confident (posterior sd <= {CONFIDENT_SD}): {len(confident)}, negative share {shares['confident']:.3f}"
    )
    excludes_zero = (estimated["elasticity_ci_high"] < 0) | (estimated["elasticity_ci_low"] > 0)
    print(f"90% interval excludes zero: {excludes_zero.mean():.3f} of {len(estimated)}")
    return shares


def holdout(sales: pd.DataFrame, settings: EstimationSettings) -> tuple[float, float]:
    """WAPE over the last HOLDOUT_WEEKS weeks with and without price, from the prices actually charged."""
    cut = sales["date"].max() - pd.Timedelta(weeks=HOLDOUT_WEEKS)
    train, test = sales[sales["date"] <= cut], sales[sales["date"] > cut].reset_index(drop=True)
    with_price = holdout_predictions(train, test, settings, use_price=True)
    without_price = holdout_predictions(train, test, settings, use_price=False)
    scored = np.isfinite(with_price) & np.isfinite(without_price) & test["unit_price"].notna().to_numpy()
    actual = test["quantity"].to_numpy(dtype=float)[scored]
    # Context only: the mean of each series' last 8 training weeks, ignoring price and promotions.
    recent_mean = (
        train.sort_values("date")
        .groupby(["store", "sku"])
        .tail(8)
        .groupby(["store", "sku"])["quantity"]
        .mean()
    )
    naive = test.set_index(["store", "sku"]).index.map(recent_mean).to_numpy(dtype=float)[scored]
    holdout_wape, no_price_wape = wape(actual, with_price[scored]), wape(actual, without_price[scored])
    print(f"holdout: last {HOLDOUT_WEEKS} weeks after {cut.date()}, {scored.sum()} weeks scored")
    print(
        f"holdout WAPE with price={holdout_wape:.3f} same model without price={no_price_wape:.3f} "
        f"mean of last 8 weeks={wape(actual, np.nan_to_num(naive)):.3f}"
    )
    return holdout_wape, no_price_wape


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--no-robust", action="store_true", help="plain least squares instead of Huber/bisquare"
    )
    parser.add_argument("--no-model", action="store_true", help="leave out the demand model's figures")
    arguments = parser.parse_args()
    print(f"start: {load_average()}")
    settings = EstimationSettings(robust=not arguments.no_robust)
    print(f"settings: {settings}")

    sales = load_sales()
    print(f"rows={len(sales)} series={sales.groupby(['store', 'sku']).ngroups}")

    wall, cpu = time.perf_counter(), time.process_time()
    result = suggest_prices(sales, settings=settings)
    print(
        f"suggest_prices on all series: wall={time.perf_counter() - wall:.1f}s "
        f"cpu={time.process_time() - cpu:.1f}s"
    )
    describe_categories(result)
    shares = negative_shares(result)
    moved = result.dropna(subset=["suggested_price"])
    changed = moved[moved["suggested_price"] != moved["current_price"]]
    print(f"suggestions: {len(moved)} with a price, {len(changed)} of them a change (default guardrails)")
    holdout_wape, no_price_wape = holdout(sales, settings)
    model = {} if arguments.no_model else model_figures(settings)
    print(f"end: {load_average()}")
    print(
        summary_line(
            "pricing",
            negative_share=f"{shares['confident']:.3f}",
            holdout_wape=f"{holdout_wape:.3f}",
            no_price_wape=f"{no_price_wape:.3f}",
            negative_share_before_pooling=f"{shares['before_pooling']:.3f}",
            negative_share_after_pooling=f"{shares['after_pooling']:.3f}",
            **{f"model_{key}": f"{value:.3f}" for key, value in model.items()},
        )
    )


if __name__ == "__main__":
    main()
