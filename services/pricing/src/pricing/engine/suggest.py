"""Profit- or revenue-optimal price suggestions within guardrails, with intervals and explanations."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from pricing.engine.demand import simulate, units_at
from pricing.engine.elasticity import EstimationSettings, estimate_elasticities
from pricing.engine.guardrails import Guardrails, candidate_prices, resolve_guardrails

# Posterior standard deviation of the elasticity at or below which a (negative) estimate counts
# as high / medium confidence; wider ones are low confidence and never move a price by default.
HIGH_CONFIDENCE_SD = 0.25
MEDIUM_CONFIDENCE_SD = 0.5
# A move must beat the current price by this fraction of weekly revenue, so noise never moves prices.
MIN_GAIN_SHARE = 1e-4
# Where an item's elasticities come from: the forecast's demand model (its curve carries them) or,
# for items without one, pricing's own regression.
DEMAND_MODEL, REGRESSION = "demand_model", "regression"
# Level of the demand model's elasticity intervals (the forecasting engine's INTERVAL_LEVEL).
MODEL_INTERVAL_LEVEL = 0.9
# Whether the demand model's own-price elasticities replace the regression's by default: on, as
# long as make bench-pricing shows them sound (model_negative_share >= 0.9 and the model's
# price-aware hold-out WAPE below its price-blind one); off, pricing reports its regression's.
# The cross effects are the model's either way (they inform, they do not move prices).
MODEL_ELASTICITIES = True

OUTPUT_COLUMNS = [
    "store",
    "sku",
    "category",
    "current_price",
    "suggested_price",
    "elasticity",
    "elasticity_ci_low",
    "elasticity_ci_high",
    "expected_units_change",
    "expected_units_change_low",
    "expected_units_change_high",
    "expected_revenue_change",
    "expected_revenue_change_low",
    "expected_revenue_change_high",
    "expected_profit_change",
    "expected_profit_change_low",
    "expected_profit_change_high",
    "confidence",
    "n_price_changes",
    "explanation",
    "model",
    "unit_cost",
    "unit_cost_assumed",
    "base_weekly_units",
    "elasticity_own",
    "elasticity_own_se",
    "elasticity_product",
    "elasticity_category",
    "n_weeks",
    "objective",
    "elasticity_source",
    "cross_effects",
]


def confidence_level(elasticity: float, sd: float, ci_high: float, own_estimate: bool) -> str:
    """'high' / 'medium' / 'low' from the interval's width and sign; 'insufficient' without own data."""
    if not own_estimate or not np.isfinite(elasticity):
        return "insufficient"
    if ci_high < 0 and sd <= HIGH_CONFIDENCE_SD:
        return "high"
    if ci_high < 0 and sd <= MEDIUM_CONFIDENCE_SD:
        return "medium"
    return "low"


@dataclass
class _Choice:
    price: float | None
    note: str  # why this price (or why none)
    capped: bool = False


def _objective_value(model: Mapping[str, Any], price: float, objective: str) -> float:
    outcome = simulate(model, price)
    return outcome["expected_profit"] if objective == "profit" else outcome["expected_revenue"]


def _unconstrained_optimum(elasticity: float, unit_cost: float, objective: str) -> float:
    """Best price ignoring guardrails under constant elasticity (inf or 0 when there is none)."""
    if objective == "profit":
        # Ref: Lerner / inverse-elasticity rule, p* = c * e / (1 + e) for e < -1.
        return unit_cost * elasticity / (1 + elasticity) if elasticity < -1 else np.inf
    if np.isclose(elasticity, -1.0):
        return np.nan
    return np.inf if elasticity > -1 else 0.0


def _choose_price(model: Mapping[str, Any], rules: Guardrails) -> _Choice:
    current = float(model["reference_price"])
    unit_cost = float(model["unit_cost"])
    floor = rules.price_floor(unit_cost)
    step = rules.max_change_pct / 100
    lower, upper = max(current * (1 - step), floor), current * (1 + step)
    if floor > upper + 1e-9:
        return _Choice(
            None,
            f"the price {current:.2f} is below cost plus the {rules.min_margin_pct:g}% minimum margin "
            f"({floor:.2f}) by more than one {rules.max_change_pct:g}% step; review it by hand",
        )
    candidates = candidate_prices(current, lower, upper, rules.price_endings)
    if current >= floor - 1e-9:
        candidates = np.union1d(candidates, [round(current, 2)])
    if candidates.size == 0:
        return _Choice(
            None,
            f"no price ending in {rules.describe_endings()} lies between cost plus minimum margin "
            f"({floor:.2f}) and the {rules.max_change_pct:g}% step limit ({upper:.2f})",
        )
    values = np.array([_objective_value(model, float(price), rules.objective) for price in candidates])
    best = float(candidates[int(np.argmax(values))])
    note = ""
    if current >= floor - 1e-9:
        current_value = _objective_value(model, current, rules.objective)
        minimum_gain = MIN_GAIN_SHARE * max(simulate(model, current)["expected_revenue"], 1e-9)
        if values.max() - current_value <= minimum_gain:
            best = current
            note = _why_keep(model, rules, current_value + minimum_gain, lower, upper)
    optimum = _unconstrained_optimum(float(model["elasticity"]), unit_cost, rules.objective)
    capped = bool(
        best != current
        and ((optimum > upper and best > current) or (optimum < current * (1 - step) and best < current))
    )
    return _Choice(best, note, capped)


def _why_keep(model: Mapping[str, Any], rules: Guardrails, to_beat: float, lower: float, upper: float) -> str:
    """Why the current price stays: it is the best, or only the price endings stand in the way."""
    every_cent = candidate_prices(float(model["reference_price"]), lower, upper, ())
    values = [_objective_value(model, float(price), rules.objective) for price in every_cent]
    if not rules.price_endings or not values or max(values) <= to_beat:
        return (
            f"no price within the guardrails (at most {rules.max_change_pct:g}% change, endings "
            f"{rules.describe_endings()}, at least cost + {rules.min_margin_pct:g}%) earns more {rules.objective}"
        )
    better = float(every_cent[int(np.argmax(values))])
    direction = "higher" if better > float(model["reference_price"]) else "lower"
    return (
        f"a {direction} price (about {better:.2f}) would earn more {rules.objective}, but no price ending in "
        f"{rules.describe_endings()} lies within the {rules.max_change_pct:g}% step ({lower:.2f}..{upper:.2f})"
    )


def _percent(share: float) -> str:
    """Whole percent, with one decimal where rounding would hide a change (0.4% not 0%, 99.6% not 100%)."""
    whole = f"{share:.0%}"
    return f"{share:.1%}" if whole in ("0%", "100%") and share not in (0.0, 1.0) else whole


def _money(value: float) -> str:
    return f"{value:+,.2f}"


def _explain(row: dict[str, Any], rules: Guardrails, choice: _Choice | None, reason: str | None) -> str:
    """One or two sentences a pricing manager can read."""
    elasticity = row["elasticity"]
    changes = row["n_price_changes"]
    change_text = f"{changes} price change{'s' if changes != 1 else ''}"
    if reason is not None:
        text = reason[0].upper() + reason[1:] + "; no suggestion."
        if np.isfinite(elasticity):
            text += (
                f" For what-if use only, similar products suggest elasticity {elasticity:.2f} "
                f"({row['elasticity_ci_low']:.2f}..{row['elasticity_ci_high']:.2f})."
            )
        return text
    interval = f"{row['elasticity_ci_low']:.2f}..{row['elasticity_ci_high']:.2f}"
    estimate = f"Elasticity {elasticity:.2f} ({interval}) from {change_text}"
    if row["elasticity_source"] == DEMAND_MODEL:
        estimate = f"Elasticity {elasticity:.2f} ({interval}) from the demand model ({change_text})"
    elif row["own_weight"] < 0.5 and np.isfinite(row["elasticity_own"]):
        estimate += f", pulled toward similar products (this store alone: {row['elasticity_own']:.2f})"
    cost_note = ""
    if row["unit_cost_assumed"]:
        cost_note = (
            f" Unit cost unknown: assumed a {rules.assumed_margin_pct:g}% margin over cost "
            f"(cost about {row['unit_cost']:.2f})."
        )
    if choice is None:
        if row["elasticity_ci_high"] >= 0:
            doubt = "its interval reaches zero or above"
        elif row["confidence"] == "low":
            doubt = "its interval is too wide to act on"
        else:
            doubt = f"confidence {row['confidence']} is below the required {rules.min_confidence}"
        return f"{estimate}; {doubt}, so the price stays as it is (no suggestion).{cost_note}"
    if choice.price is None:
        return f"{estimate}; no suggestion: {choice.note}.{cost_note}"
    current, suggested = row["current_price"], choice.price
    if suggested == current:
        return f"{estimate}; keep {current:.2f}: {choice.note}.{cost_note}"
    verb = "raising" if suggested > current else "lowering"
    units_kept = 1 + row["expected_units_change"]
    units_text = (
        f"keeps {_percent(units_kept)} of units"
        if units_kept <= 1
        else f"sells {_percent(units_kept - 1)} more units"
    )
    key = f"expected_{rules.objective}_change"
    base_value = row[f"_current_{rules.objective}"]
    share = row[key] / base_value if base_value > 0 else np.nan
    gain = (
        f"about {_percent(share)} more {rules.objective}" if np.isfinite(share) else f"more {rules.objective}"
    )
    money = f"{_money(row[key])} a week, range {_money(row[key + '_low'])}..{_money(row[key + '_high'])}"
    cap = (
        f" The {rules.max_change_pct:g}% step limit caps the move; the model would go further."
        if choice.capped
        else ""
    )
    move = f"{verb} {current:.2f} -> {suggested:.2f} {units_text} and adds {gain} ({money})"
    return f"{estimate}; {move}.{cap}{cost_note}"


def _json_value(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(key): _json_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_json_value(item) for item in value]
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return float(value) if np.isfinite(value) else None
    return value


def suggest_prices(
    sales: pd.DataFrame,
    products: pd.DataFrame | None = None,
    guardrails: Guardrails | None = None,
    category_guardrails: Mapping[str, Guardrails | Mapping[str, Any]] | None = None,
    *,
    settings: EstimationSettings | None = None,
    curves: pd.DataFrame | None = None,
    model_elasticities: bool = MODEL_ELASTICITIES,
) -> pd.DataFrame:
    """One row per store x sku: elasticity with interval, guarded optimal price, expected changes.

    `curves` (store, sku, prices, weekly_units), the forecast's demand model read at a grid of
    prices, give the expected units at any price, so pricing and the forecast agree; items without
    one use the constant-elasticity curve of their own estimate. A curve's cross_effects are
    reported as they are; with `model_elasticities` its own-price elasticity and interval
    (elasticity, elasticity_low, elasticity_high) are reported and priced on instead of the
    regression's (elasticity_source names which).
    """
    base_rules = guardrails or Guardrails()
    estimates = estimate_elasticities(sales, products, settings)
    if estimates.empty:
        return pd.DataFrame(columns=OUTPUT_COLUMNS)
    by_item: dict[tuple[str, str], dict[str, Any]] = {}
    if curves is not None:
        for entry in curves.to_dict("records"):
            by_item[(str(entry["store"]), str(entry["sku"]))] = {str(k): v for k, v in entry.items()}
    rows = []
    for record in estimates.to_dict("records"):
        item = by_item.get((str(record["store"]), str(record["sku"])))
        curve = None
        if item is not None:
            curve = {"prices": list(item["prices"]), "weekly_units": list(item["weekly_units"])}
        rows.append(
            _suggest_one(
                _with_model_elasticity(record, item, model_elasticities),
                base_rules,
                category_guardrails,
                curve,
            )
        )
    return pd.DataFrame(rows)[OUTPUT_COLUMNS]


def _with_model_elasticity(
    record: dict[str, Any], item: Mapping[str, Any] | None, switched: bool
) -> dict[str, Any]:
    """The record with the curve's cross effects and, if `switched`, the demand model's elasticity
    and interval when the curve has them; the regression's own figures stay in elasticity_own etc."""
    cross = item.get("cross_effects") if item is not None else None
    record = {
        **record,
        "elasticity_source": REGRESSION,
        "cross_effects": list(cross) if isinstance(cross, list | tuple) else [],
    }
    own = _finite_or_nan(item.get("elasticity")) if item is not None else np.nan
    if item is None or not switched or not np.isfinite(own):
        return record
    low, high = _finite_or_nan(item.get("elasticity_low")), _finite_or_nan(item.get("elasticity_high"))
    z_value = float(stats.norm.ppf(0.5 + MODEL_INTERVAL_LEVEL / 2))
    return {
        **record,
        "elasticity": own,
        "elasticity_ci_low": low,
        "elasticity_ci_high": high,
        "elasticity_sd": (high - low) / (2 * z_value),
        "interval_level": MODEL_INTERVAL_LEVEL,
        "elasticity_source": DEMAND_MODEL,
    }


def _finite_or_nan(value: Any) -> float:
    return float(value) if value is not None and np.isfinite(float(value)) else np.nan


def _suggest_one(
    record: dict[str, Any],
    base_rules: Guardrails,
    category_guardrails: Mapping[str, Guardrails | Mapping[str, Any]] | None,
    curve: dict[str, Any] | None = None,
) -> dict[str, Any]:
    rules = resolve_guardrails(base_rules, record["category"], category_guardrails)
    current = float(record["reference_price"])
    unit_cost = record["unit_cost"]
    assumed = not (np.isfinite(unit_cost) and unit_cost > 0)
    if assumed:
        unit_cost = current / (1 + rules.assumed_margin_pct / 100)
    elasticity = float(record["elasticity"])
    reason = record["reason"] if isinstance(record["reason"], str) else None
    if reason is None and not np.isfinite(elasticity):
        reason = "no elasticity could be estimated"
    confidence = confidence_level(
        elasticity, float(record["elasticity_sd"]), float(record["elasticity_ci_high"]), reason is None
    )
    demand = record["demand"]
    model = _json_value(
        {
            "store": record["store"],
            "sku": record["sku"],
            "category": record["category"],
            "reference_price": current,
            "base_units": demand["base_units"],
            "elasticity": elasticity,
            "elasticity_ci_low": record["elasticity_ci_low"],
            "elasticity_ci_high": record["elasticity_ci_high"],
            "interval_level": record["interval_level"],
            "unit_cost": unit_cost,
            "unit_cost_assumed": assumed,
            "confidence": confidence,
            "demand": demand,
            **({"curve": curve} if curve is not None else {}),
        }
    )
    row: dict[str, Any] = {
        "store": record["store"],
        "sku": record["sku"],
        "category": record["category"],
        "current_price": current,
        "suggested_price": np.nan,
        "elasticity": elasticity,
        "elasticity_ci_low": float(record["elasticity_ci_low"]),
        "elasticity_ci_high": float(record["elasticity_ci_high"]),
        "confidence": confidence,
        "n_price_changes": int(record["n_price_changes"]),
        "model": model,
        "unit_cost": float(unit_cost),
        "unit_cost_assumed": assumed,
        "base_weekly_units": float(demand["base_units"]),
        "elasticity_own": float(record["elasticity_own"]),
        "elasticity_own_se": float(record["elasticity_own_se"]),
        "elasticity_product": float(record["elasticity_product"]),
        "elasticity_category": float(record["elasticity_category"]),
        "n_weeks": int(record["n_weeks"]),
        "objective": rules.objective,
        "own_weight": float(record["own_weight"]),
        "elasticity_source": record["elasticity_source"],
        "cross_effects": record["cross_effects"],
    }
    for measure in ("units", "revenue", "profit"):
        for suffix in ("", "_low", "_high"):
            row[f"expected_{measure}_change{suffix}"] = np.nan
    choice: _Choice | None = None
    if reason is None and rules.allows(confidence):
        choice = _choose_price(model, rules)
        if choice.price is not None:
            row["suggested_price"] = choice.price
            row.update(expected_changes(model, choice.price))
    now = simulate(model, current) if reason is None else None
    row["_current_profit"] = now["expected_profit"] if now else np.nan
    row["_current_revenue"] = now["expected_revenue"] if now else np.nan
    row["explanation"] = _explain(row, rules, choice, reason)
    return row


def expected_changes(model: Mapping[str, Any], price: float) -> dict[str, float]:
    """Weekly change in units (fraction), revenue and profit (money) from the reference price to `price`."""
    current = float(model["reference_price"])
    unit_cost = float(model["unit_cost"])
    changes: dict[str, float] = {}
    outcomes = []
    for key in ("elasticity", "elasticity_ci_low", "elasticity_ci_high"):
        slope = float(model[key])
        units_now, units_new = units_at(model, current, slope), units_at(model, price, slope)
        outcomes.append(
            (
                units_new / units_now - 1 if units_now > 0 else 0.0,
                units_new * price - units_now * current,
                units_new * (price - unit_cost) - units_now * (current - unit_cost),
            )
        )
    for index, measure in enumerate(("units", "revenue", "profit")):
        point, *ends = (outcome[index] for outcome in outcomes)
        changes[f"expected_{measure}_change"] = point
        changes[f"expected_{measure}_change_low"] = min(ends)
        changes[f"expected_{measure}_change_high"] = max(ends)
    return changes
