"""Scenario bench: replay the prices and promotions actually charged through the stored demand model.

On Breakfast at the Frat the last 13 weeks are held out. The baseline is fitted without knowing
them (last shelf price, no promotion); the scenario's changes are the prices and promotions actually
charged in those weeks, applied to the stored model (`predict_demand`), and its units are scored
against what sold (WAPE), beside the forecast that was given the same plan up front. Also: the time of
a scenario per 1,000 series, pricing's expected units at its suggested price against the forecast
for that price plan, the sign of the price driver where the plan's price is above the regular price,
and the WAPE with and without the substitute features. Ends with
`scenario wape=<> forecast_wape=<> seconds_per_1000=<> pricing_consistency=<> price_driver_negative=<>`.

The summary's price_driver_negative counts every point priced above its regular price; the share
over the points more than ABOVE_REGULAR above it is printed beside it.

Run from the repo root: `make bench-scenario` (data read in place from SHARED_DATA_DIR).
"""

from __future__ import annotations

import argparse
import time

import pandas as pd

from bench.forecast.data import Dataset, frat_dataset
from bench.forecast.scoring import score
from bench.scenario.consistency import pricing_consistency
from forecasting.engine import DemandModel, forecast, predict_demand

COUNTRY = "US"
# The share over the points this far above the regular price is printed beside the summary's (every
# point above it): below it the gap is mostly rounding of the regular price (a cent on a few dollars).
ABOVE_REGULAR = 0.01


def _wape(data: Dataset, points: pd.DataFrame) -> float:
    """WAPE of `points` on the held-out rows with a sale (the forecast bench's first view)."""
    return score(data.scored, points, pd.Series(dtype=float))["wape"]


def replayed_changes(data: Dataset, kinds: bool = True) -> pd.DataFrame:
    """The scenario's changes: the price and promotion actually charged per item and held-out week;
    with `kinds`, also the regular price and the kinds of promotion, as the forecast's plan has them."""
    assert data.plan is not None
    plan = data.plan.rename(columns={"unit_price": "price"})
    columns = ["price", "promotion", *(["regular_price", "feature", "display", "tpr_only"] if kinds else [])]
    return plan[["store", "sku", "date", *columns]].reset_index(drop=True)


def price_driver_negative(model: DemandModel, changes: pd.DataFrame) -> tuple[float, float, int]:
    """Share of negative price drivers where the plan's price is above the regular price (by
    ABOVE_REGULAR, and by any amount), and how many points are above it by ABOVE_REGULAR."""
    explained = predict_demand(model, changes, drivers=True)
    planned = changes.rename(columns={"price": "plan_price"})[
        ["store", "sku", "date", "plan_price", "regular_price"]
    ]
    merged = planned.merge(explained, on=["store", "sku", "date"])
    ratio = merged["plan_price"] / merged["regular_price"]
    negative = merged["price"] < 0
    above, any_above = ratio > 1 + ABOVE_REGULAR, ratio > 1
    return float(negative[above].mean()), float(negative[any_above].mean()), int(above.sum())


def main(argv: list[str] | None = None) -> None:
    """Run the bench and print its figures and the summary line."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    data = frat_dataset()
    print(data.label)
    common = {"products": data.products, "seed": args.seed, "holiday_country": COUNTRY}

    given = forecast(data.history, data.horizon_days, plan=data.plan, **common)
    forecast_wape = _wape(data, given.points)
    without = forecast(data.history, data.horizon_days, plan=data.plan, substitutes=False, **common)
    no_substitutes_wape = _wape(data, without.points)
    print(
        f"forecast given the plan: wape {forecast_wape:.4f}; without substitute features {no_substitutes_wape:.4f}"
    )

    baseline = forecast(data.history, data.horizon_days, plan=None, **common)
    assert baseline.demand_model is not None
    stored = baseline.demand_model.to_bytes()
    changes = replayed_changes(data)
    start = time.perf_counter()
    model = DemandModel.from_bytes(stored)
    scenario = predict_demand(model, changes)
    seconds = time.perf_counter() - start
    n_series = model.panel.n_series
    seconds_per_1000 = seconds * 1000 / n_series
    baseline_wape = _wape(data, baseline.points)
    scenario_wape = _wape(data, scenario)
    print(
        f"baseline (no plan) wape {baseline_wape:.4f}; scenario replaying the plan wape {scenario_wape:.4f}; "
        f"{n_series} series in {seconds:.2f} s (stored model loaded and predicted)"
    )

    bare = predict_demand(model, replayed_changes(data, kinds=False))
    bare_wape = _wape(data, bare)
    print(
        f"scenario with the price and promotion flag only (no regular price, no kinds): wape {bare_wape:.4f}"
    )

    negative, negative_any, points = price_driver_negative(model, changes)
    print(
        f"price driver negative on {negative:.3f} of {points} points priced over {ABOVE_REGULAR:.0%} above "
        f"regular ({negative_any:.3f} counting any price above regular)"
    )
    gap, compared = pricing_consistency(data, model, args.seed)
    print(f"pricing vs forecast at the suggested price: largest relative gap {gap:.4f} over {compared} items")
    print(
        f"scenario wape={scenario_wape:.3f} forecast_wape={forecast_wape:.3f} "
        f"seconds_per_1000={seconds_per_1000:.2f} pricing_consistency={gap:.4f} "
        f"price_driver_negative={negative_any:.3f}"
    )


if __name__ == "__main__":
    main()
