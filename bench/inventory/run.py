"""Inventory bench: replay real demand, ordering what the engine says vs a static min/max rule.

Run from the repo root:  .venv/bin/python -m bench.inventory [--series 200] [--dataset frat|uci|both]
Data is read in place from $DATA_DIR (default <repo>/../shared/data).

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
import itertools
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import norm

ROOT = Path(__file__).resolve().parents[2]
for service in ("inventory", "forecasting"):
    sys.path.insert(0, str(ROOT / "services" / service / "src"))

from inventory.engine import (  # noqa: E402
    InventoryPolicy,
    calibrate_sources,
    protection_records,
    recommend_inventory,
)

FLAGS = ["feature", "display", "tpr_only"]
TARGET = 0.95
# Forecast (points, series) for `history`, `horizon_days` ahead, given the known future drivers.
Forecaster = Callable[[pd.DataFrame, pd.DataFrame | None, int], tuple[pd.DataFrame, pd.DataFrame]]


def data_dir() -> Path:
    """Shared data folder: $DATA_DIR or <repo>/../shared/data."""
    return Path(os.environ.get("DATA_DIR", ROOT.parent / "shared" / "data"))


@dataclass
class Dataset:
    """Sales history for forecasting plus the demand matrix of the replay window."""

    name: str
    history: pd.DataFrame  # store, sku, date, quantity, unit_price, promotion, ... (all dates)
    keys: pd.DataFrame  # store, sku: row i of every matrix
    dates: pd.DatetimeIndex  # the replay's periods (period end for weekly data, the day for daily)
    demand: np.ndarray  # (n, T) units demanded in each replay period
    before: np.ndarray  # (n, P) demand per period before the replay, for the static rule
    unit_cost: np.ndarray  # (n,)
    period_days: int
    lead_days: int
    review_days: int
    # Whether the forecaster gets the planned prices and promotions of the coming periods.
    plan_drivers: bool

    @property
    def protection_periods(self) -> int:
        """Lead time + review period in periods."""
        return (self.lead_days + self.review_days) // self.period_days

    def period_date(self, t: int) -> pd.Timestamp:
        """Date of replay period t; negative t counts back into the history before the replay."""
        return pd.Timestamp(self.dates[0] + pd.Timedelta(days=t * self.period_days))

    def window_demand(self, t: int, periods: int) -> np.ndarray:
        """Units demanded per item over replay periods [t, t + periods); t may be negative."""
        matrix = np.concatenate([self.before, self.demand], axis=1)
        start = self.before.shape[1] + t
        return matrix[:, start : start + periods].sum(axis=1)

    @property
    def lead_periods(self) -> int:
        """Lead time in periods."""
        return self.lead_days // self.period_days

    @property
    def review_periods(self) -> int:
        """Review interval in periods."""
        return self.review_days // self.period_days


def load_frat(n_series: int, seed: int, replay_weeks: int = 26, rule_weeks: int = 52) -> Dataset:
    """Breakfast at the Frat: `n_series` random store x product series with all 156 weeks."""
    folder = data_dir() / "breakfast_at_the_frat"
    raw = pd.read_csv(folder / "transaction.csv.gz")
    frame = pd.DataFrame(
        {
            "store": raw["store_id"].astype(str),
            "sku": raw["upc_id"].astype(str),
            "date": pd.to_datetime(raw["week_end_date"]),
            "quantity": raw["units"].astype(float),
            "unit_price": raw["price"].astype(float),
            "regular_price": raw["base_price"].astype(float),
            **{flag: raw[flag].fillna(0).astype(float) for flag in FLAGS},
        }
    )
    frame["promotion"] = frame[FLAGS].max(axis=1)
    weeks = np.sort(frame["date"].unique())
    counts = frame.groupby(["store", "sku"]).size()
    complete = counts[counts == len(weeks)].index
    rng = np.random.default_rng(seed)
    picked = complete[np.sort(rng.choice(len(complete), size=min(n_series, len(complete)), replace=False))]
    frame = frame.set_index(["store", "sku"]).loc[picked].reset_index()
    wide = frame.pivot_table(index=["store", "sku"], columns="date", values="quantity", aggfunc="sum")
    wide = wide.reindex(columns=weeks).fillna(0.0)
    unit_cost = frame.groupby(["store", "sku"])["regular_price"].median().reindex(wide.index)
    matrix = wide.to_numpy()
    return Dataset(
        name=f"breakfast_at_the_frat ({len(wide)} of {len(complete)} complete series, weekly)",
        history=frame,
        keys=wide.index.to_frame(index=False),
        dates=pd.DatetimeIndex(weeks[-replay_weeks:]),
        demand=matrix[:, -replay_weeks:],
        before=matrix[:, -replay_weeks - rule_weeks : -replay_weeks],
        unit_cost=unit_cost.to_numpy(dtype=float),
        period_days=7,
        lead_days=7,
        review_days=7,
        plan_drivers=True,
    )


def load_uci(min_days: int = 200, replay_days: int = 90, rule_days: int = 182) -> Dataset:
    """UCI Online Retail: daily units sold of every SKU sold on `min_days`+ days, one store."""
    path = data_dir() / "online_retail" / "online_retail_2010-12-01_2011-12-09.csv.gz"
    raw = pd.read_csv(path, dtype={"StockCode": str, "InvoiceNo": str}, encoding="latin-1")
    # Demand is what customers bought: cancellations (C invoices, negative lines) are not demand.
    raw = raw[(raw["UnitPrice"] > 0) & (raw["Quantity"] > 0) & ~raw["InvoiceNo"].str.startswith("C")]
    raw = raw.assign(date=pd.to_datetime(raw["InvoiceDate"]).dt.normalize())
    daily = (
        raw.groupby(["StockCode", "date"])
        .agg(quantity=("Quantity", "sum"), unit_price=("UnitPrice", "median"))
        .reset_index()
    )
    days = daily.groupby("StockCode").size()
    daily = daily[daily["StockCode"].isin(days[days >= min_days].index)]
    frame = pd.DataFrame(
        {
            "store": "online",
            "sku": daily["StockCode"].astype(str),
            "date": daily["date"],
            "quantity": daily["quantity"].astype(float),
            "unit_price": daily["unit_price"].astype(float),
            "promotion": 0.0,
        }
    )
    calendar = pd.date_range(frame["date"].min(), frame["date"].max(), freq="D")
    wide = frame.pivot_table(index=["store", "sku"], columns="date", values="quantity", aggfunc="sum")
    wide = wide.reindex(columns=calendar).fillna(0.0)
    unit_cost = frame.groupby(["store", "sku"])["unit_price"].median().reindex(wide.index)
    matrix = wide.to_numpy()
    return Dataset(
        name=f"online_retail ({len(wide)} SKUs sold on {min_days}+ days, daily)",
        history=frame,
        keys=wide.index.to_frame(index=False),
        dates=calendar[-replay_days:],
        demand=matrix[:, -replay_days:],
        before=matrix[:, -replay_days - rule_days : -replay_days],
        unit_cost=unit_cost.to_numpy(dtype=float),
        period_days=1,
        lead_days=5,
        review_days=7,
        # UCI has no price plan: its daily median unit price is known only after the sale, is set
        # only on days with sales and falls with order size (quantity discounts), so passing the
        # future rows as a plan would leak which days sell and how much.
        plan_drivers=False,
    )


def engine_forecaster(
    history: pd.DataFrame, plan: pd.DataFrame | None, horizon_days: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The forecasting engine, as the platform runs it."""
    from forecasting.engine import forecast

    result = forecast(history, horizon_days=horizon_days, plan=plan, seed=0)
    return result.points, result.series


@dataclass
class Replay:
    """Outcome of replaying one policy on one dataset."""

    cycles: int  # replenishment cycles: from one delivery (or the start) to the next delivery
    cycles_ok: int
    windows: int  # review windows: the days one review's order protects, [t + L, t + L + R)
    windows_ok: int
    demand: float
    sales: float
    average_stock: float  # units, summed over items, averaged over periods
    average_value: float
    orders: int

    @property
    def cycle_service(self) -> float:
        """Share of replenishment cycles without a lost sale."""
        return self.cycles_ok / self.cycles if self.cycles else float("nan")

    @property
    def window_service(self) -> float:
        """Share of review windows without a lost sale (higher than the cycle figure under batching)."""
        return self.windows_ok / self.windows if self.windows else float("nan")

    @property
    def fill_rate(self) -> float:
        """Share of demand served from stock."""
        return self.sales / self.demand if self.demand else float("nan")


# Order quantities (n,) at replay period t for the given on-hand and on-order stock.
OrderRule = Callable[[int, np.ndarray, np.ndarray], np.ndarray]


def replay(data: Dataset, initial_stock: np.ndarray, order_rule: OrderRule) -> Replay:
    """Walk through the replay window: receive, review and order, then serve demand (lost sales)."""
    n, periods = data.demand.shape
    lead, review = data.lead_periods, data.review_periods
    arrivals = np.zeros((n, periods + lead + 1))
    on_hand = initial_stock.astype(float).copy()
    stocked_out = np.zeros((n, periods), dtype=bool)
    average = np.zeros((n, periods))
    sales_total = 0.0
    orders = 0
    reviews = list(range(0, periods, review))
    for t in range(periods):
        on_hand += arrivals[:, t]
        opening = on_hand.copy()
        if t in reviews:
            on_order = arrivals[:, t + 1 :].sum(axis=1)
            quantity = np.maximum(np.nan_to_num(order_rule(t, on_hand.copy(), on_order)), 0.0)
            arrivals[:, t + lead] += quantity
            orders += int((quantity > 0).sum())
        sold = np.minimum(on_hand, data.demand[:, t])
        stocked_out[:, t] = data.demand[:, t] > sold + 1e-9
        on_hand -= sold
        sales_total += float(sold.sum())
        average[:, t] = 0.5 * (opening + on_hand)
    # A replenishment cycle runs from one delivery to the next; the starting stock (the policy's own
    # level) counts as a delivery at time 0. The last, unfinished cycle is not counted.
    cycles = cycles_ok = 0
    delivered = arrivals[:, :periods] > 0
    delivered[:, 0] = True
    for item in range(n):
        starts = [int(period) for period in np.flatnonzero(delivered[item])]
        for begin, finish in itertools.pairwise(starts):
            cycles += 1
            cycles_ok += int(not stocked_out[item, begin:finish].any())
    windows = windows_ok = 0
    for t in reviews:
        start, end = t + lead, t + lead + review
        if end <= periods:
            windows += n
            windows_ok += int((~stocked_out[:, start:end].any(axis=1)).sum())
    per_item = average.mean(axis=1)
    return Replay(
        cycles=cycles,
        cycles_ok=cycles_ok,
        windows=windows,
        windows_ok=windows_ok,
        demand=float(data.demand.sum()),
        sales=sales_total,
        average_stock=float(per_item.sum()),
        average_value=float(np.nansum(per_item * data.unit_cost)),
        orders=orders,
    )


def eoq(
    daily_demand: np.ndarray, unit_cost: np.ndarray, ordering_cost: float, holding_rate: float
) -> np.ndarray:
    """Economic order quantity per item."""
    return np.sqrt(2.0 * daily_demand * 365.0 * ordering_cost / (holding_rate * unit_cost))


def min_max_rule(
    data: Dataset, ordering_cost: float, holding_rate: float, safety_factor: float | None = None
) -> tuple[np.ndarray, OrderRule]:
    """Static min/max from the history before the replay; returns (max as starting stock, rule)."""
    periods = (data.lead_days + data.review_days) / data.period_days
    mean = data.before.mean(axis=1)
    sigma = data.before.std(axis=1, ddof=1)
    z = norm.ppf(TARGET) if safety_factor is None else safety_factor
    low = mean * periods + z * sigma * np.sqrt(periods)
    high = low + eoq(mean / data.period_days, data.unit_cost, ordering_cost, holding_rate)

    def rule(t: int, on_hand: np.ndarray, on_order: np.ndarray) -> np.ndarray:
        position = on_hand + on_order
        return np.where(position < low, np.ceil(high - position), 0.0)

    return np.ceil(high), rule


class EngineRule:
    """Orders what the inventory engine recommends, re-forecasting at every review."""

    def __init__(
        self,
        data: Dataset,
        forecaster: Forecaster,
        policy: InventoryPolicy,
        plan_drivers: bool,
        cache: Path | None = None,
        calibrate: bool = True,
        warmup_reviews: int = 4,
        use_history: bool = True,
    ) -> None:
        self.data = data
        self.use_history = use_history
        self.history_share: dict[int, float] = {}
        self.cache = cache
        self.forecaster = forecaster
        self.policy = policy
        self.plan_drivers = plan_drivers
        self.calibrate = calibrate
        self.forecasts: dict[int, pd.DataFrame] = {}
        self.forecast_seconds = 0.0
        self.engine_seconds = 0.0
        self.reorder_points: dict[int, np.ndarray] = {}
        # Per review: the uncalibrated mean and target quantile of demand over lead time + review.
        self.protection: dict[int, pd.DataFrame] = {}
        self.calibration: dict[int, tuple[float, float, tuple[str, ...]]] = {}
        # Warm-up reviews before the replay whose windows end before it starts.
        self.warmup = (
            [-data.review_periods * k - data.protection_periods for k in range(warmup_reviews)]
            if calibrate
            else []
        )

    def _forecast(self, t: int) -> pd.DataFrame:
        """Forecast made at the start of replay period t from earlier data only (cached per t)."""
        cached = self.cache / f"{t:03d}.pkl" if self.cache else None
        if t not in self.forecasts and cached is not None and cached.exists():
            self.forecasts[t] = pd.read_pickle(cached)
        if t not in self.forecasts:
            data = self.data
            # Weekly dates are week ends: period t starts the day after the previous week's end.
            start = data.period_date(t) - pd.Timedelta(days=data.period_days - 1)
            horizon = data.lead_days + data.review_days
            history = data.history[data.history["date"] < start]
            plan = None
            if self.plan_drivers:
                # A retailer knows its own planned prices and promotions for the next weeks.
                upcoming = data.history[
                    (data.history["date"] >= start)
                    & (data.history["date"] < start + pd.Timedelta(days=horizon + 6))
                ]
                plan = upcoming.drop(columns=["quantity"])
            began = time.perf_counter()
            points, series = self.forecaster(history, plan, horizon)
            self.forecast_seconds += time.perf_counter() - began
            extra = [c for c in ("frequency", "wape") if c in series.columns]
            self.forecasts[t] = points.merge(
                series[["store", "sku", *extra]], on=["store", "sku"], how="left"
            )
            if cached is not None:
                cached.parent.mkdir(parents=True, exist_ok=True)
                self.forecasts[t].to_pickle(cached)
        return self.forecasts[t]

    def as_of(self, t: int) -> pd.Timestamp:
        """The planning date of replay period t: the day before it starts."""
        return self.data.period_date(t) - pd.Timedelta(days=self.data.period_days)

    def _history(self, t: int) -> pd.DataFrame | None:
        """Sales before replay period t, for the engine's own-history items (None with --no-history)."""
        if not self.use_history:
            return None
        start = self.data.period_date(t) - pd.Timedelta(days=self.data.period_days - 1)
        return self.data.history.loc[self.data.history["date"] < start, ["store", "sku", "date", "quantity"]]

    def _stock(self, on_hand: np.ndarray | None, on_order: np.ndarray | None) -> pd.DataFrame:
        stock = self.data.keys.assign(
            lead_time_days=float(self.data.lead_days), unit_cost=self.data.unit_cost
        )
        if on_hand is not None and on_order is not None:
            stock = stock.assign(on_hand=on_hand, on_order=on_order)
        return stock

    def _protection(self, t: int) -> pd.DataFrame:
        """What the forecast and each item's own history expected over lead time + review at review t.

        inventory.engine.protection_records (as the inventory task stores them), plus the demand
        that then came.
        """
        if t not in self.protection:
            began = time.perf_counter()
            records = protection_records(
                self._forecast(t), self._stock(None, None), self.policy, self._history(t), as_of=self.as_of(t)
            )
            self.engine_seconds += time.perf_counter() - began
            records = self.data.keys.merge(records, on=["store", "sku"], how="left")
            self.protection[t] = records.assign(
                actual_protection_demand=self.data.window_demand(t, self.data.protection_periods)
            )
        return self.protection[t]

    def calibration_at(self, t: int) -> tuple[float, float, tuple[str, ...]]:
        """Spread factors (forecast items, history items) and the history's demand classes at review t.

        From the records of reviews whose window had ended by t only, as the inventory task does.
        """
        if not self.calibrate:
            return 1.0, 1.0, self.policy.history_classes
        for past in self.warmup:
            self._protection(past)
        self._protection(t)
        ended = [frame for past, frame in self.protection.items() if past + self.data.protection_periods <= t]
        if not ended:
            self.calibration[t] = (1.0, 1.0, self.policy.history_classes)
            return self.calibration[t]
        found = calibrate_sources(pd.concat(ended, ignore_index=True), self.policy.service_level)
        classes = found.history_classes if self.use_history else ()
        self.calibration[t] = (found.spread_factor, found.history_spread_factor, classes)
        return self.calibration[t]

    def recommend(self, t: int, on_hand: np.ndarray | None, on_order: np.ndarray | None) -> pd.DataFrame:
        """The engine's recommendations at replay period t, in the dataset's item order."""
        forecast_factor, history_factor, classes = self.calibration_at(t)
        policy = replace(
            self.policy,
            spread_factor=forecast_factor,
            history_spread_factor=history_factor,
            history_classes=classes,
        )
        points = self._forecast(t)
        began = time.perf_counter()
        table = recommend_inventory(
            points, self._stock(on_hand, on_order), policy, as_of=self.as_of(t), history=self._history(t)
        )
        self.history_share[t] = float((table["demand_source"] == "history").mean())
        self.engine_seconds += time.perf_counter() - began
        return self.data.keys.merge(table, on=["store", "sku"], how="left")

    def __call__(self, t: int, on_hand: np.ndarray, on_order: np.ndarray) -> np.ndarray:
        """Order quantities at replay period t."""
        table = self.recommend(t, on_hand, on_order)
        self.reorder_points[t] = table["reorder_point"].to_numpy(dtype=float)
        return table["order_quantity"].to_numpy(dtype=float)

    def level_coverage(self) -> float:
        """Share of reviews whose demand over lead time + review period stayed within the reorder point.

        Without batches this is the cycle service level itself; with EOQ batches the reorder point
        is set lower (the position is usually above it), so this share is below the target.
        """
        data = self.data
        window = (data.lead_days + data.review_days) // data.period_days
        hits = [
            data.demand[:, t : t + window].sum(axis=1) <= level
            for t, level in self.reorder_points.items()
            if t + window <= data.demand.shape[1]
        ]
        return float(np.mean(np.concatenate(hits))) if hits else float("nan")


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


def matched_min_max(
    data: Dataset, ordering_cost: float, holding_rate: float, target: float
) -> tuple[float, Replay] | None:
    """The static rule with the smallest safety factor whose cycle service level reaches `target`.

    Compares stock at equal service: a rule that misses its own target holds less stock for a
    worse service, which says nothing about which policy is leaner.
    """

    def run(z: float) -> Replay:
        return replay(data, *min_max_rule(data, ordering_cost, holding_rate, z))

    return smallest_reaching(run, float(norm.ppf(TARGET)), 8.0, target)


def smallest_reaching(
    run: Callable[[float], Replay], low: float, high: float, target: float
) -> tuple[float, Replay] | None:
    """The smallest setting in [low, high] whose replay reaches `target` cycle service (bisection).

    None when even `high` does not. Service grows with the setting, so 12 halvings pin it to
    1/4096 of the range.
    """
    top = run(high)
    if top.cycle_service < target:
        return None
    best = (high, top)
    for _ in range(12):
        middle = 0.5 * (low + high)
        result = run(middle)
        if result.cycle_service >= target:
            high, best = middle, (middle, result)
        else:
            low = middle
    return best


def oracle_base_stock(data: Dataset, target: float) -> tuple[float, Replay] | None:
    """A static base-stock level per item told the replay window's own demand: a bound, not a policy.

    Each item's level is the q-quantile of its demand totals over lead time + review period in the
    replay window itself (future data), ordered up to at every review; q is the smallest reaching
    `target` cycle service. No policy that learns each item's level from the past can know more
    about that window's distribution, so its stock shows how lean a per-item level can be at that
    service unless the timing of demand within the window is foreseen.
    """
    window = data.protection_periods
    totals = np.lib.stride_tricks.sliding_window_view(data.demand, window, axis=1).sum(axis=2)

    def run(q: float) -> Replay:
        level = np.quantile(totals, q, axis=1)

        def rule(t: int, on_hand: np.ndarray, on_order: np.ndarray) -> np.ndarray:
            position = on_hand + on_order
            return np.where(position < level, np.ceil(level - position), 0.0)

        return replay(data, np.ceil(level), rule)

    return smallest_reaching(run, 0.5, 1.0, target)


def report(name: str, results: dict[str, Replay]) -> None:
    """Print one dataset's figures."""
    print(
        f"  {'policy':15s} {'cycle SL':>9s} {'review SL':>9s} {'fill rate':>9s} {'avg stock':>11s} "
        f"{'avg value':>11s} {'orders':>7s}"
    )
    for policy, result in results.items():
        print(
            f"  {policy:15s} {result.cycle_service:9.3f} {result.window_service:9.3f} {result.fill_rate:9.3f} {result.average_stock:11.1f} "
            f"{result.average_value:11.1f} {result.orders:7d}"
        )
    ratio = results["engine"].average_stock / results["min/max"].average_stock
    print(f"  {name}: avg stock engine / min-max = {ratio:.3f} ({results['engine'].cycles} cycles)")
    if "min/max matched" in results:
        matched = results["engine"].average_stock / results["min/max matched"].average_stock
        print(f"  {name}: avg stock engine / min-max at the engine's service level = {matched:.3f}")
    if "oracle (future)" in results:
        bound = results["oracle (future)"].average_stock / results["min/max"].average_stock
        print(
            f"  {name}: avg stock oracle (future) / min-max = {bound:.3f}, at the engine's service level "
            "(a bound for per-item levels: it knows the replay window's demand distribution)"
        )


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
    if not data_dir().exists():
        raise SystemExit(f"shared data not found at {data_dir()} (set DATA_DIR)")
    loaders: dict[str, Callable[[], Dataset]] = {
        "frat": lambda: load_frat(args.series, args.seed),
        "uci": load_uci,
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
    print(f"inventory target={TARGET} achieved={a:.3f} avg_stock_ratio_vs_minmax={r:.3f}")
