"""The engine as an order rule: re-forecast at every review, calibrate, ask the inventory engine."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from bench.inventory.datasets import Dataset
from forecasting.engine import forecast
from inventory.engine import InventoryPolicy, calibrate_sources, protection_records, recommend_inventory

# Forecast (points, series) for `history`, `horizon_days` ahead, given the known future drivers.
Forecaster = Callable[[pd.DataFrame, pd.DataFrame | None, int], tuple[pd.DataFrame, pd.DataFrame]]


def engine_forecaster(
    history: pd.DataFrame, plan: pd.DataFrame | None, horizon_days: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The forecasting engine, as the platform runs it."""
    result = forecast(history, horizon_days=horizon_days, plan=plan, seed=0)
    return result.points, result.series


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
