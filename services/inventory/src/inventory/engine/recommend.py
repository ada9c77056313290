"""recommend_inventory: forecast quantiles + stock data -> per-item stock levels and orders.

How it works, per store x sku:
1. Each forecast period's demand gets a distribution through its p10/p50/p90 (distribution.py),
   widened where the backtest WAPE shows more error than the band implies, and scaled by the
   policy's spread factor (calibrated from past errors over lead time + review, calibration.py).
2. Monte-Carlo paths (fixed seed, correlated periods) sum demand over the lead time and over lead
   time + review period; the forecast's horizon is extended by repeating its last week if short.
3. The reorder point s meets the service target over lead time + review period (cycle service
   level, or fill rate); with a known ordering cost, S = s + EOQ - E[review demand] / 2 and s allows
   for the position usually standing above s at the last review before an order.
4. An order is due when on hand + on order < s; it lifts the position to S, rounded up to the
   minimum order and whole packs.
With a sales `history`, items of the policy's history_classes (lumpy by default) take step 2's
totals from their own past windows instead (history.py): the period bands of lumpy items, summed,
were far wider than any total they ever had.
The first forecast period is taken to start at `as_of` (default: one period before its date).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from inventory.engine.distribution import (
    FloatArray,
    PeriodShape,
    clean_quantiles,
    fit_period_shape,
    mean_and_mad,
    widen_to_backtest_error,
)
from inventory.engine.explain import explain_rows
from inventory.engine.history import history_windows, widen
from inventory.engine.levels import (
    days_until_depleted,
    economic_order_quantity,
    normal_scores,
    overshoot_uniforms,
    protection_demand,
    round_order,
    summarise_samples,
)
from inventory.engine.policy import InventoryPolicy

KEYS = ["store", "sku"]
OUTPUT_COLUMNS = [
    "store",
    "sku",
    "on_hand",
    "on_order",
    "reorder_point",
    "safety_stock",
    "order_up_to",
    "order_quantity",
    "eoq",
    "days_of_cover",
    "stockout_risk",
    "expected_stockout_date",
    "excess_units",
    "excess_value",
    "urgency",
    "supplier",
    "unit_cost",
    "lead_time_days",
    "defaults_used",
    "explanation",
    # Extra context for the API and the purchase-order export.
    "name",
    "pack_size",
    "min_order_qty",
    "inventory_position",
    "expected_lead_time_demand",
    "expected_protection_demand",
    "review_period_days",
    "service_level",
    "service_level_type",
    "period_days",
    "order_value",
    "has_forecast",
    # "forecast" or "history": where the lead time + review demand distribution came from.
    "demand_source",
    # Syntetos-Boylan class from the history (smooth, erratic, intermittent, lumpy); None without it.
    "demand_class",
]
# Stock-outs further out than this are not dated: the forecast says nothing that far ahead.
_MAX_STOCKOUT_DAYS = 365
_DAYS_PER_YEAR = 365.0


@dataclass
class _Series:
    """Forecast rows grouped per store x sku, in date order."""

    keys: pd.DataFrame  # store, sku, one row per series
    start: npt.NDArray[np.intp]  # first row of each series in the sorted forecast
    n_periods: npt.NDArray[np.intp]
    period_days: FloatArray
    as_of: pd.Series
    wape: FloatArray


def _period_days_from_frequency(value: object) -> float | None:
    """Map a pandas-style frequency label ('D', 'W', 'W-SUN', 'M') to days, None if unknown."""
    if not isinstance(value, str) or not value:
        return None
    return {"D": 1.0, "W": 7.0, "M": 30.0, "Q": 91.0}.get(value.strip().upper()[:1])


def _group_forecast(points: pd.DataFrame, as_of: pd.Timestamp | None) -> tuple[pd.DataFrame, _Series]:
    """Sort the forecast, infer each series' period length and its planning date."""
    missing = {"store", "sku", "date", "p50"} - set(points.columns)
    if missing:
        raise ValueError(f"forecast_points lacks column(s) {sorted(missing)}")
    frame = points.copy()
    frame["date"] = pd.to_datetime(frame["date"])
    # A period without a median forecast carries no information: drop it rather than read it as 0.
    frame = frame[frame["date"].notna() & pd.to_numeric(frame["p50"], errors="coerce").notna()]
    for column in ("p10", "p90"):
        if column not in frame.columns:
            frame[column] = np.nan
    if as_of is not None:
        frame = frame[frame["date"] > pd.Timestamp(as_of)]
    frame = frame.sort_values([*KEYS, "date"], kind="stable").reset_index(drop=True)
    series_id = frame.groupby(KEYS, sort=False, dropna=False).ngroup().to_numpy()
    frame["_series"] = series_id
    grouped = frame.groupby("_series", sort=True)
    first_rows = grouped.head(1)
    n_periods = grouped.size().to_numpy().astype(np.intp)
    start = np.concatenate([[0], np.cumsum(n_periods)[:-1]]).astype(np.intp)
    step_days = frame.groupby("_series")["date"].diff().dt.total_seconds() / 86_400.0
    period_days = step_days.groupby(frame["_series"]).median().reindex(range(len(n_periods))).to_numpy()
    if "frequency" in frame.columns:
        labelled = first_rows["frequency"].map(_period_days_from_frequency).to_numpy(dtype=float)
        period_days = np.where(np.isfinite(period_days), period_days, labelled)
    known = period_days[np.isfinite(period_days) & (period_days > 0)]
    # A one-period series without a label takes the batch's most common period, else a day.
    fallback = float(pd.Series(known).mode().iloc[0]) if len(known) else 1.0
    period_days = np.where(np.isfinite(period_days) & (period_days > 0), period_days, fallback)
    if as_of is not None:
        series_as_of = pd.Series(pd.Timestamp(as_of), index=range(len(n_periods)))
    else:
        # The first forecast period is taken to start now: it ends one period after today.
        first_dates = first_rows["date"].reset_index(drop=True)
        series_as_of = first_dates - pd.to_timedelta(period_days, unit="D")
        series_as_of = series_as_of.dt.normalize()
    if "wape" in frame.columns:
        wape = pd.to_numeric(first_rows["wape"], errors="coerce").to_numpy(dtype=float)
    else:
        wape = np.full(len(n_periods), np.nan)
    keys = first_rows[KEYS].reset_index(drop=True)
    return frame, _Series(keys, start, n_periods, period_days, series_as_of, wape)


def _item_data(items: pd.DataFrame, products: pd.DataFrame | None, policy: InventoryPolicy) -> pd.DataFrame:
    """Attach stock and supplier data to each item, applying and recording defaults."""
    table = items.copy()
    columns = [
        "on_hand",
        "on_order",
        "lead_time_days",
        "min_order_qty",
        "pack_size",
        "unit_cost",
        "supplier",
        "name",
        "ordering_cost",
    ]
    if products is not None and len(products):
        product_table = products.copy()
        for column in columns:
            if column not in product_table.columns:
                product_table[column] = np.nan
        product_table = product_table[[*KEYS, *columns]]
        # Match on text so an integer store id in one frame meets the same id as text in the other.
        product_table["_key"] = product_table["store"].astype(str) + "\x1f" + product_table["sku"].astype(str)
        product_table = product_table.drop_duplicates("_key", keep="last").drop(columns=KEYS)
        table["_key"] = table["store"].astype(str) + "\x1f" + table["sku"].astype(str)
        table = table.merge(product_table, on="_key", how="left").drop(columns="_key")
    else:
        for column in columns:
            table[column] = np.nan

    def number(column: str) -> pd.Series:
        return pd.to_numeric(table[column], errors="coerce").astype(float)

    defaults: list[list[str]] = [[] for _ in range(len(table))]

    def default(column: str, values: pd.Series, is_valid: pd.Series, fallback: float) -> pd.Series:
        for position in np.flatnonzero(~is_valid.to_numpy()):
            defaults[position].append(column)
        return values.where(is_valid, fallback)

    on_hand = number("on_hand")
    table["on_hand"] = on_hand
    on_order = number("on_order")
    table["on_order"] = default("on_order", on_order, on_order.notna() & (on_order >= 0), 0.0)
    lead = number("lead_time_days")
    table["lead_time_days"] = default(
        "lead_time_days", lead, lead.notna() & (lead >= 0), float(policy.default_lead_time_days)
    )
    moq = number("min_order_qty")
    table["min_order_qty"] = default("min_order_qty", moq, moq.notna() & (moq >= 0), 0.0)
    pack = number("pack_size")
    table["pack_size"] = default("pack_size", pack, pack.notna() & (pack > 0), 1.0)
    unit_cost = number("unit_cost")
    valid_cost = unit_cost.notna() & (unit_cost >= 0)
    for position in np.flatnonzero(~valid_cost.to_numpy()):
        defaults[position].append("unit_cost")
    table["unit_cost"] = unit_cost.where(valid_cost)
    ordering_cost = number("ordering_cost")
    policy_cost = np.nan if policy.ordering_cost is None else float(policy.ordering_cost)
    table["ordering_cost"] = ordering_cost.where(ordering_cost.notna() & (ordering_cost >= 0), policy_cost)
    # Object columns with None (not NaN) where unknown, so they serialise as null.
    for column in ("supplier", "name"):
        table[column] = table[column].astype(object).where(table[column].notna(), None)
    table["defaults_used"] = defaults
    return table


def _period_matrix(
    values: FloatArray, series: _Series, n_columns: int, cycle: npt.NDArray[np.intp]
) -> FloatArray:
    """Lay each series' per-period values out in a (series, n_columns) matrix.

    Past the end of the forecast the last `cycle` periods repeat (the last week for daily data,
    so a weekday pattern carries on).
    """
    column = np.arange(n_columns)[None, :]
    n = series.n_periods[:, None]
    repeat = np.maximum(np.minimum(cycle[:, None], n), 1)
    overflow = column - n
    wrapped = np.where(column < n, column, n - repeat + np.mod(overflow, repeat))
    return values[series.start[:, None] + wrapped]


def recommend_inventory(
    forecast_points: pd.DataFrame,
    products: pd.DataFrame | None = None,
    policy: InventoryPolicy | None = None,
    as_of: pd.Timestamp | None = None,
    *,
    history: pd.DataFrame | None = None,
    include_products_without_forecast: bool = True,
) -> pd.DataFrame:
    """Turn forecast quantiles and stock data into reorder points, orders and risks per store x sku.

    `history` (store, sku, date, quantity: net units sold per period) lets items of
    policy.history_classes use their own past demand over lead time + review; without it every
    item's distribution comes from its forecast.
    """
    policy = policy or InventoryPolicy()
    frame, series = _group_forecast(forecast_points, as_of)
    items = series.keys.copy()
    items["has_forecast"] = True
    n_forecast = len(items)
    if include_products_without_forecast and products is not None and len(products):
        forecast_keys = set(zip(items["store"].astype(str), items["sku"].astype(str), strict=True))
        extra = products[KEYS].drop_duplicates()
        extra = extra[
            [
                (str(store), str(sku)) not in forecast_keys
                for store, sku in zip(extra["store"], extra["sku"], strict=True)
            ]
        ]
        extra = extra.assign(has_forecast=False)
        items = pd.concat([items, extra], ignore_index=True)
    n_items = len(items)
    table = _item_data(items, products, policy)

    # Per-period demand shapes, widened where the backtest showed more error than the band implies.
    p10, p50, p90 = clean_quantiles(frame["p10"], frame["p50"], frame["p90"])
    shape = fit_period_shape(p10, p50, p90)
    shape = widen_to_backtest_error(
        shape, frame["_series"].to_numpy(), series.wape, policy.max_wape_widening, policy.min_wape_factor
    )
    if policy.spread_factor != 1.0:
        shape = PeriodShape(
            p50=shape.p50,
            g=shape.g,
            b_low=shape.b_low * policy.spread_factor,
            b_high=shape.b_high * policy.spread_factor,
        )
    period_mean, _ = mean_and_mad(shape)

    lead_days = table["lead_time_days"].to_numpy(dtype=float)
    review_days = float(policy.review_period_days)
    period_days = np.concatenate([series.period_days, np.ones(n_items - n_forecast)])
    n_periods = np.concatenate([series.n_periods, np.zeros(n_items - n_forecast, dtype=np.intp)])
    on_hand = table["on_hand"].to_numpy(dtype=float)
    on_order = table["on_order"].to_numpy(dtype=float)
    position = on_hand + on_order

    mean_lead = np.zeros(n_items)
    mean_protection = np.zeros(n_items)
    level = np.zeros(n_items)
    risk = np.where(np.isfinite(position), (position < 0).astype(float), np.nan)
    from_history = np.zeros(n_items, dtype=bool)
    history_detail = np.full(n_items, "", dtype=object)
    demand_class = np.full(n_items, None, dtype=object)
    horizon_mean = np.zeros((n_items, max(1, int(n_periods.max(initial=0)))))
    if n_forecast:
        horizon_columns = np.arange(horizon_mean.shape[1])[None, :]
        inside = horizon_columns < series.n_periods[:, None]
        index = np.minimum(series.start[:, None] + horizon_columns, len(period_mean) - 1)
        horizon_mean[:n_forecast] = np.where(inside, period_mean[index], 0.0)
    horizon_total = horizon_mean.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        daily_rate = np.where(n_periods > 0, horizon_total / (n_periods * period_days), 0.0)
    unit_cost = table["unit_cost"].to_numpy(dtype=float)
    eoq = economic_order_quantity(
        daily_rate * _DAYS_PER_YEAR,
        table["ordering_cost"].to_numpy(dtype=float),
        unit_cost,
        policy.holding_cost_rate,
    )
    batch = np.zeros(n_items)
    if n_forecast:
        f_lead = lead_days[:n_forecast] / series.period_days
        f_protection = (lead_days[:n_forecast] + review_days) / series.period_days
        n_columns = max(1, int(np.ceil(f_protection.max() - 1e-9)))
        column = np.arange(n_columns)[None, :]
        lead_weight = np.clip(f_lead[:, None] - column, 0.0, 1.0)
        protection_weight = np.clip(f_protection[:, None] - column, 0.0, 1.0)
        cycle = np.where(series.period_days < 7, np.round(7.0 / series.period_days), 1).astype(np.intp)
        matrix_shape = PeriodShape(
            *(
                _period_matrix(values, series, n_columns, cycle)
                for values in (shape.p50, shape.g, shape.b_low, shape.b_high)
            )
        )
        mean_matrix = _period_matrix(period_mean, series, n_columns, cycle)
        mean_review = ((protection_weight - lead_weight) * mean_matrix).sum(axis=1)
        # (R, s, S): an order is placed when the position has dropped below s, on average half a
        # review period's demand below it, so S - s = EOQ - E[D_R] / 2 makes the average order
        # about one EOQ.
        # Ref: Silver, Pyke & Thomas (2017), Inventory and Production Management in Supply Chains,
        # 4th ed., the (R, s, S) system and its undershoot correction.
        f_eoq = eoq[:n_forecast]
        batch[:n_forecast] = np.where(np.isfinite(f_eoq), np.maximum(f_eoq - 0.5 * mean_review, 0.0), 0.0)
        scores = normal_scores(policy.n_samples, n_columns, policy.period_correlation, policy.seed)
        demand = protection_demand(
            matrix_shape,
            lead_weight,
            protection_weight,
            position[:n_forecast],
            scores,
            policy.service_level,
            fill_rate=policy.service_level_type == "fill_rate",
            batch=batch[:n_forecast],
            uniforms=overshoot_uniforms(policy.n_samples, policy.seed),
        )
        mean_lead[:n_forecast] = demand.mean_lead
        mean_protection[:n_forecast] = demand.mean_protection
        level[:n_forecast] = demand.level
        risk[:n_forecast] = demand.stockout_risk
        if history is not None and len(history):
            past = history_windows(
                history,
                series.keys,
                series.as_of,
                series.period_days,
                lead_weight,
                protection_weight,
                policy.history_window_days,
                policy.n_samples,
                policy.seed,
            )
            classes = past.demand_class
            demand_class[:n_forecast] = np.where(classes == "", None, classes)
            chosen = np.isin(classes, policy.history_classes) & (past.windows >= policy.min_history_windows)
            if chosen.any():
                rows = np.flatnonzero(chosen)
                own = summarise_samples(
                    widen(past.lead[rows], policy.history_spread_factor),
                    widen(past.protection[rows], policy.history_spread_factor),
                    position[rows],
                    policy.service_level,
                    policy.service_level_type == "fill_rate",
                    batch[rows],
                    overshoot_uniforms(policy.n_samples, policy.seed),
                )
                mean_lead[rows] = own.mean_lead
                mean_protection[rows] = own.mean_protection
                level[rows] = own.level
                risk[rows] = own.stockout_risk
                from_history[rows] = True
                history_detail[rows] = [
                    f"{name} (ADI {adi:.1f}, CV2 {cv2:.2f}; {count} windows" for name, adi, cv2, count in
                    zip(classes[rows], past.adi[rows], past.cv2[rows], past.windows[rows], strict=True)
                ]  # fmt: skip

    safety_stock = level - mean_protection
    order_up_to = level + batch
    due = np.isfinite(position) & (position < level)
    order_quantity = np.where(
        due,
        round_order(
            order_up_to - np.nan_to_num(position),
            table["min_order_qty"].to_numpy(dtype=float),
            table["pack_size"].to_numpy(dtype=float),
        ),
        0.0,
    )
    order_quantity = np.where(np.isfinite(position), order_quantity, np.nan)

    days_of_cover = days_until_depleted(on_hand, horizon_mean, period_days, n_periods)
    days_to_stockout = days_until_depleted(position, horizon_mean, period_days, n_periods)
    as_of_dates = pd.concat(
        [
            series.as_of,
            pd.Series(pd.Timestamp(as_of) if as_of is not None else pd.NaT, index=range(n_forecast, n_items)),
        ],
        ignore_index=True,
    )
    if n_items > n_forecast and as_of is None and n_forecast:
        as_of_dates = as_of_dates.fillna(series.as_of.min())
    dated = np.isfinite(days_to_stockout) & (days_to_stockout <= _MAX_STOCKOUT_DAYS)
    stockout_date = as_of_dates + pd.to_timedelta(np.where(dated, np.floor(days_to_stockout), 0), unit="D")
    stockout_date = stockout_date.where(dated, pd.NaT)

    cover_demand = daily_rate * policy.excess_cover_days
    # Within the forecast horizon use the forecast's own cumulative path, not its average.
    cover_periods = policy.excess_cover_days / period_days
    whole = np.floor(cover_periods).astype(int)
    cumulative = np.concatenate([np.zeros((n_items, 1)), np.cumsum(horizon_mean, axis=1)], axis=1)
    in_horizon = cover_periods <= n_periods
    at_whole = cumulative[np.arange(n_items), np.minimum(whole, n_periods)]
    partial = horizon_mean[np.arange(n_items), np.minimum(whole, horizon_mean.shape[1] - 1)]
    path_demand = at_whole + (cover_periods - whole) * np.where(whole < n_periods, partial, 0.0)
    cover_demand = np.where(in_horizon, path_demand, cover_demand)
    excess_units = np.maximum(position - np.maximum(order_up_to, cover_demand), 0.0)

    table["reorder_point"] = level
    table["safety_stock"] = safety_stock
    table["order_up_to"] = order_up_to
    table["order_quantity"] = order_quantity
    table["eoq"] = eoq
    table["days_of_cover"] = days_of_cover
    table["stockout_risk"] = risk
    table["expected_stockout_date"] = stockout_date.to_numpy()
    table["excess_units"] = excess_units
    table["excess_value"] = excess_units * unit_cost
    table["inventory_position"] = position
    table["expected_lead_time_demand"] = mean_lead
    table["expected_protection_demand"] = mean_protection
    table["review_period_days"] = review_days
    table["service_level"] = policy.service_level
    table["service_level_type"] = policy.service_level_type
    table["period_days"] = period_days
    table["order_value"] = order_quantity * unit_cost
    table["urgency"] = _urgency(risk, due, days_of_cover)
    table["_due"] = due
    table["demand_source"] = np.where(from_history, "history", "forecast")
    table["_history_detail"] = history_detail
    table["demand_class"] = demand_class
    table["_as_of"] = as_of_dates.to_numpy()
    table["explanation"] = explain_rows(table, policy)
    return table[OUTPUT_COLUMNS].sort_values(["urgency", *KEYS], kind="stable").reset_index(drop=True)


def _urgency(
    risk: FloatArray, due: npt.NDArray[np.bool_], days_of_cover: FloatArray
) -> npt.NDArray[np.int64]:
    """Dense rank, 1 = most urgent: highest stock-out risk, then order due, then least cover."""
    keys = (
        # Risk is an estimate; ranking on a percent grid stops sampling noise splitting ties.
        -np.round(np.nan_to_num(risk, nan=-1.0), 2),
        (~due).astype(float),
        np.round(np.nan_to_num(days_of_cover, nan=np.inf), 1),
    )
    order = np.lexsort(keys[::-1])
    stacked = np.stack(keys, axis=1)[order]
    new_rank = np.ones(len(order), dtype=np.int64)
    if len(order) > 1:
        new_rank[1:] = np.any(stacked[1:] != stacked[:-1], axis=1)
    ranks = np.empty(len(order), dtype=np.int64)
    ranks[order] = np.cumsum(new_rank)
    return ranks
