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
    ProtectionDemand,
    days_until_depleted,
    economic_order_quantity,
    normal_scores,
    overshoot_uniforms,
    protection_demand,
    round_order,
    summarise_samples,
)
from inventory.engine.policy import InventoryPolicy
from inventory.engine.series import KEYS, ForecastSeries, group_forecast, period_matrix
from inventory.engine.stock import item_data

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
    frame, series = group_forecast(forecast_points, as_of)
    items = _items(series, products if include_products_without_forecast else None)
    table = item_data(items, products, policy)
    n_items, n_forecast = len(items), len(series.keys)
    shape = _period_shapes(frame, series, policy)
    period_mean, _ = mean_and_mad(shape)
    period_days = np.concatenate([series.period_days, np.ones(n_items - n_forecast)])
    n_periods = np.concatenate([series.n_periods, np.zeros(n_items - n_forecast, dtype=np.intp)])
    on_hand = table["on_hand"].to_numpy(dtype=float)
    position = on_hand + table["on_order"].to_numpy(dtype=float)
    horizon_mean = _horizon_mean(series, period_mean, n_items, n_periods)
    with np.errstate(divide="ignore", invalid="ignore"):
        daily_rate = np.where(n_periods > 0, horizon_mean.sum(axis=1) / (n_periods * period_days), 0.0)
    unit_cost = table["unit_cost"].to_numpy(dtype=float)
    eoq = economic_order_quantity(
        daily_rate * _DAYS_PER_YEAR,
        table["ordering_cost"].to_numpy(dtype=float),
        unit_cost,
        policy.holding_cost_rate,
    )
    demand = _Demand.unknown(position)
    batch = np.zeros(n_items)
    if n_forecast:
        weights = _Weights.of(series, table["lead_time_days"].to_numpy(dtype=float)[:n_forecast], policy)
        batch[:n_forecast] = _forecast_demand(
            demand, shape, period_mean, series, weights, position, eoq, policy
        )
        if history is not None and len(history):
            _history_demand(demand, history, series, weights, position, batch, policy)

    order_up_to = demand.level + batch
    due, order_quantity = _orders(table, position, demand.level, order_up_to)
    days_of_cover = days_until_depleted(on_hand, horizon_mean, period_days, n_periods)
    days_to_stockout = days_until_depleted(position, horizon_mean, period_days, n_periods)
    as_of_dates = _planning_dates(series, as_of, n_items)
    dated = np.isfinite(days_to_stockout) & (days_to_stockout <= _MAX_STOCKOUT_DAYS)
    stockout_date = as_of_dates + pd.to_timedelta(np.where(dated, np.floor(days_to_stockout), 0), unit="D")
    cover_demand = _cover_demand(daily_rate, horizon_mean, period_days, n_periods, policy.excess_cover_days)
    excess_units = np.maximum(position - np.maximum(order_up_to, cover_demand), 0.0)

    table = table.assign(
        reorder_point=demand.level,
        safety_stock=demand.level - demand.mean_protection,
        order_up_to=order_up_to,
        order_quantity=order_quantity,
        eoq=eoq,
        days_of_cover=days_of_cover,
        stockout_risk=demand.risk,
        expected_stockout_date=stockout_date.where(dated, pd.NaT).to_numpy(),
        excess_units=excess_units,
        excess_value=excess_units * unit_cost,
        inventory_position=position,
        expected_lead_time_demand=demand.mean_lead,
        expected_protection_demand=demand.mean_protection,
        review_period_days=float(policy.review_period_days),
        service_level=policy.service_level,
        service_level_type=policy.service_level_type,
        period_days=period_days,
        order_value=order_quantity * unit_cost,
        urgency=_urgency(demand.risk, due, days_of_cover),
        _due=due,
        demand_source=np.where(demand.from_history, "history", "forecast"),
        _history_detail=demand.history_detail,
        demand_class=demand.demand_class,
        _as_of=as_of_dates.to_numpy(),
    )
    table["explanation"] = explain_rows(table, policy)
    return table[OUTPUT_COLUMNS].sort_values(["urgency", *KEYS], kind="stable").reset_index(drop=True)


def _items(series: ForecastSeries, products: pd.DataFrame | None) -> pd.DataFrame:
    """The forecast's items, then (when `products` is given) the products without a forecast."""
    items = series.keys.copy()
    items["has_forecast"] = True
    if products is None or not len(products):
        return items
    forecast_keys = set(zip(items["store"].astype(str), items["sku"].astype(str), strict=True))
    extra = products[KEYS].drop_duplicates()
    extra = extra[
        [
            (str(store), str(sku)) not in forecast_keys
            for store, sku in zip(extra["store"], extra["sku"], strict=True)
        ]
    ]
    return pd.concat([items, extra.assign(has_forecast=False)], ignore_index=True)


def _period_shapes(frame: pd.DataFrame, series: ForecastSeries, policy: InventoryPolicy) -> PeriodShape:
    """Per-period demand shapes, widened where the backtest showed more error than the band implies."""
    p10, p50, p90 = clean_quantiles(frame["p10"], frame["p50"], frame["p90"])
    shape = fit_period_shape(p10, p50, p90)
    shape = widen_to_backtest_error(
        shape, frame["_series"].to_numpy(), series.wape, policy.max_wape_widening, policy.min_wape_factor
    )
    if policy.spread_factor == 1.0:
        return shape
    return PeriodShape(
        p50=shape.p50,
        g=shape.g,
        b_low=shape.b_low * policy.spread_factor,
        b_high=shape.b_high * policy.spread_factor,
    )


def _horizon_mean(
    series: ForecastSeries, period_mean: FloatArray, n_items: int, n_periods: npt.NDArray[np.intp]
) -> FloatArray:
    """Mean demand of each item's forecast periods, one row per item (zeros past its horizon)."""
    horizon_mean = np.zeros((n_items, max(1, int(n_periods.max(initial=0)))))
    n_forecast = len(series.keys)
    if n_forecast:
        horizon_columns = np.arange(horizon_mean.shape[1])[None, :]
        inside = horizon_columns < series.n_periods[:, None]
        index = np.minimum(series.start[:, None] + horizon_columns, len(period_mean) - 1)
        horizon_mean[:n_forecast] = np.where(inside, period_mean[index], 0.0)
    return horizon_mean


@dataclass
class _Weights:
    """How much of each forecast period falls in lead time, and in lead time + review."""

    lead: FloatArray  # (forecast items, n_columns)
    protection: FloatArray
    n_columns: int
    cycle: npt.NDArray[np.intp]  # periods repeated past the forecast's end

    @classmethod
    def of(cls, series: ForecastSeries, lead_days: FloatArray, policy: InventoryPolicy) -> _Weights:
        """The weights of each forecast item's lead time and lead time + review period."""
        f_lead = lead_days / series.period_days
        f_protection = (lead_days + float(policy.review_period_days)) / series.period_days
        n_columns = max(1, int(np.ceil(f_protection.max() - 1e-9)))
        column = np.arange(n_columns)[None, :]
        cycle = np.where(series.period_days < 7, np.round(7.0 / series.period_days), 1).astype(np.intp)
        return cls(
            np.clip(f_lead[:, None] - column, 0.0, 1.0),
            np.clip(f_protection[:, None] - column, 0.0, 1.0),
            n_columns,
            cycle,
        )


@dataclass
class _Demand:
    """Per item: mean demand over lead time and lead time + review, the reorder level, the risk."""

    mean_lead: FloatArray
    mean_protection: FloatArray
    level: FloatArray
    risk: FloatArray
    from_history: npt.NDArray[np.bool_]
    history_detail: npt.NDArray[np.object_]
    demand_class: npt.NDArray[np.object_]

    @classmethod
    def unknown(cls, position: FloatArray) -> _Demand:
        """No demand known yet: an item is at risk only when its position is already negative."""
        n_items = len(position)
        return cls(
            mean_lead=np.zeros(n_items),
            mean_protection=np.zeros(n_items),
            level=np.zeros(n_items),
            risk=np.where(np.isfinite(position), (position < 0).astype(float), np.nan),
            from_history=np.zeros(n_items, dtype=bool),
            history_detail=np.full(n_items, "", dtype=object),
            demand_class=np.full(n_items, None, dtype=object),
        )

    def set(self, rows: slice | npt.NDArray[np.intp], totals: ProtectionDemand) -> None:
        """Take the lead time and protection totals of `rows` from `totals`."""
        self.mean_lead[rows] = totals.mean_lead
        self.mean_protection[rows] = totals.mean_protection
        self.level[rows] = totals.level
        self.risk[rows] = totals.stockout_risk


def _forecast_demand(
    demand: _Demand,
    shape: PeriodShape,
    period_mean: FloatArray,
    series: ForecastSeries,
    weights: _Weights,
    position: FloatArray,
    eoq: FloatArray,
    policy: InventoryPolicy,
) -> FloatArray:
    """Fill the forecast items' demand from Monte-Carlo paths of their periods; returns their batch."""
    n_forecast = len(series.keys)
    matrix_shape = PeriodShape(
        *(
            period_matrix(values, series, weights.n_columns, weights.cycle)
            for values in (shape.p50, shape.g, shape.b_low, shape.b_high)
        )
    )
    mean_matrix = period_matrix(period_mean, series, weights.n_columns, weights.cycle)
    mean_review = ((weights.protection - weights.lead) * mean_matrix).sum(axis=1)
    # (R, s, S): an order is placed when the position has dropped below s, on average half a
    # review period's demand below it, so S - s = EOQ - E[D_R] / 2 makes the average order
    # about one EOQ.
    # Ref: Silver, Pyke & Thomas (2017), Inventory and Production Management in Supply Chains,
    # 4th ed., the (R, s, S) system and its undershoot correction.
    f_eoq = eoq[:n_forecast]
    batch = np.where(np.isfinite(f_eoq), np.maximum(f_eoq - 0.5 * mean_review, 0.0), 0.0)
    scores = normal_scores(policy.n_samples, weights.n_columns, policy.period_correlation, policy.seed)
    totals = protection_demand(
        matrix_shape,
        weights.lead,
        weights.protection,
        position[:n_forecast],
        scores,
        policy.service_level,
        fill_rate=policy.service_level_type == "fill_rate",
        batch=batch,
        uniforms=overshoot_uniforms(policy.n_samples, policy.seed),
    )
    demand.set(slice(0, n_forecast), totals)
    return batch


def _history_demand(
    demand: _Demand,
    history: pd.DataFrame,
    series: ForecastSeries,
    weights: _Weights,
    position: FloatArray,
    batch: FloatArray,
    policy: InventoryPolicy,
) -> None:
    """Items of the policy's history classes (with enough windows) take their own past totals."""
    past = history_windows(
        history,
        series.keys,
        series.as_of,
        series.period_days,
        weights.lead,
        weights.protection,
        policy.history_window_days,
        policy.n_samples,
        policy.seed,
    )
    classes = past.demand_class
    demand.demand_class[: len(series.keys)] = np.where(classes == "", None, classes)
    chosen = np.isin(classes, policy.history_classes) & (past.windows >= policy.min_history_windows)
    if not chosen.any():
        return
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
    demand.set(rows, own)
    demand.from_history[rows] = True
    demand.history_detail[rows] = [
        f"{name} (ADI {adi:.1f}, CV2 {cv2:.2f}; {count} windows" for name, adi, cv2, count in
        zip(classes[rows], past.adi[rows], past.cv2[rows], past.windows[rows], strict=True)
    ]  # fmt: skip


def _orders(
    table: pd.DataFrame, position: FloatArray, level: FloatArray, order_up_to: FloatArray
) -> tuple[npt.NDArray[np.bool_], FloatArray]:
    """Which items are due an order (position below the reorder level) and how much, in whole packs."""
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
    return due, np.where(np.isfinite(position), order_quantity, np.nan)


def _planning_dates(series: ForecastSeries, as_of: pd.Timestamp | None, n_items: int) -> pd.Series:
    """Each item's planning date; items without a forecast take `as_of` or the earliest forecast's."""
    n_forecast = len(series.keys)
    as_of_dates = pd.concat(
        [
            series.as_of,
            pd.Series(pd.Timestamp(as_of) if as_of is not None else pd.NaT, index=range(n_forecast, n_items)),
        ],
        ignore_index=True,
    )
    if n_items > n_forecast and as_of is None and n_forecast:
        as_of_dates = as_of_dates.fillna(series.as_of.min())
    return as_of_dates


def _cover_demand(
    daily_rate: FloatArray,
    horizon_mean: FloatArray,
    period_days: FloatArray,
    n_periods: npt.NDArray[np.intp],
    cover_days: float,
) -> FloatArray:
    """Expected demand over the excess-cover days: the forecast's own path within its horizon."""
    n_items = len(daily_rate)
    cover_periods = cover_days / period_days
    whole = np.floor(cover_periods).astype(int)
    cumulative = np.concatenate([np.zeros((n_items, 1)), np.cumsum(horizon_mean, axis=1)], axis=1)
    in_horizon = cover_periods <= n_periods
    at_whole = cumulative[np.arange(n_items), np.minimum(whole, n_periods)]
    partial = horizon_mean[np.arange(n_items), np.minimum(whole, horizon_mean.shape[1] - 1)]
    path_demand = at_whole + (cover_periods - whole) * np.where(whole < n_periods, partial, 0.0)
    # Past it, the forecast's average daily rate.
    return np.where(in_horizon, path_demand, daily_rate * cover_days)


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
