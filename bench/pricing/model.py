"""The forecast's demand model's elasticities on Breakfast at the Frat, by the pricing bench's measures.

The demand model is fitted as the forecasting run fits it, on all but the last 13 weeks (the
scenario bench's split), and pricing reads its demand curves and elasticities as the platform's
pricing stage does. Its hold-out: the stored model told the prices, regular prices and promotions
actually charged in the held-out weeks (price-aware), against the same model told the promotions
only, every price left at the last shelf price (price-blind); WAPE over the held-out weeks with a sale.
"""

from __future__ import annotations

import pandas as pd

from bench.forecast.data import frat_dataset
from bench.forecast.scoring import score
from bench.scenario.run import replayed_changes
from forecasting.engine import demand_curves, forecast, predict_demand
from pricing.engine import EstimationSettings, Guardrails, suggest_prices

# "Confident" for the negative share: an estimate whose sd (from its 90% interval) is at most this.
# The sign plays no part in it, unlike the engine's confidence levels (which also require ci_high < 0).
CONFIDENT_SD = 0.5
Z_90 = 1.6448536


def _shares(result: pd.DataFrame) -> float:
    """Print the negative shares of the model's elasticities; return the one among confident ones."""
    estimated = result[result["confidence"] != "insufficient"]
    sd = (estimated["elasticity_ci_high"] - estimated["elasticity_ci_low"]) / (2 * Z_90)
    confident = estimated[sd <= CONFIDENT_SD]
    excludes_zero = estimated[(estimated["elasticity_ci_high"] < 0) | (estimated["elasticity_ci_low"] > 0)]
    print("demand model confidence:", result["confidence"].value_counts().to_dict())
    print(
        f"demand model negative share: all {(result['elasticity'] < 0).mean():.3f}, "
        f"with enough own data {(estimated['elasticity'] < 0).mean():.3f} of {len(estimated)}, "
        f"confident (sd <= {CONFIDENT_SD}) {(confident['elasticity'] < 0).mean():.3f} of {len(confident)}, "
        f"interval excludes zero {(excludes_zero['elasticity'] < 0).mean():.3f} of {len(excludes_zero)}"
    )
    print("demand model elasticity quantiles (with enough own data):")
    print(estimated["elasticity"].describe(percentiles=[0.1, 0.25, 0.5, 0.75, 0.9]).round(3).to_string())
    cross = [effect["elasticity"] for effects in result["cross_effects"] for effect in effects[:1]]
    if cross:
        print(
            f"strongest cross effect per item: median {pd.Series(cross).median():.4f}, "
            f"positive (substitutes) {(pd.Series(cross) > 0).mean():.3f} of {len(cross)}"
        )
    return float((confident["elasticity"] < 0).mean())


def model_figures(settings: EstimationSettings, seed: int = 0) -> dict[str, float]:
    """negative_share, holdout_wape and no_price_wape of the demand model (printed with details)."""
    data = frat_dataset()
    assert data.products is not None
    fitted = forecast(
        data.history, data.horizon_days, products=data.products, seed=seed, holiday_country="US"
    )
    assert fitted.demand_model is not None
    model = fitted.demand_model
    curves = demand_curves(model, Guardrails().price_endings)
    category = data.products[["store", "sku", "category"]].drop_duplicates(["store", "sku"])
    sales = data.history.merge(category, on=["store", "sku"], how="left")
    priced = suggest_prices(sales, settings=settings, curves=curves, model_elasticities=True)
    print("elasticity source:", priced["elasticity_source"].value_counts().to_dict())
    negative_share = _shares(priced[priced["elasticity_source"] == "demand_model"])
    changes = replayed_changes(data)
    aware = score(data.scored, predict_demand(model, changes), pd.Series(dtype=float))["wape"]
    blind_changes = changes.drop(columns=["price", "regular_price"])
    blind = score(data.scored, predict_demand(model, blind_changes), pd.Series(dtype=float))["wape"]
    print(
        f"demand model holdout ({data.label}): WAPE told the prices {aware:.3f}, at the shelf price {blind:.3f}"
    )
    return {"negative_share": negative_share, "holdout_wape": aware, "no_price_wape": blind}
