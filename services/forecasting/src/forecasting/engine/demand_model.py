"""One demand model: the global model's final fit, kept to forecast any price and promotion plan.

The forecast run fits it (forecast.py) and the task layer stores it; scenarios, drivers and pricing's
demand curves all read demand from it, so their numbers agree with the stored forecast.

What it answers for series whose backtest chose another model (a local model, the ensemble, or a
cold-start profile): the stored forecast times the demand model's relative response, i.e.
`stored * scenario / baseline` of the global model (plus `scenario - baseline` where its baseline is
zero). So the baseline plan always reproduces the stored forecast exactly, and a plan's change moves
every series as the one model says.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from forecasting.engine.events import EventFeatures
from forecasting.engine.global_model import FAMILIES, predict_global
from forecasting.engine.panel import MAX_PRICE_RATIO, MIN_PRICE_RATIO, WEEKLY, Panel, period_index, row_index
from forecasting.engine.price_response import PriceResponse, fit_price_response, substitute_drivers
from forecasting.engine.selection import GLOBAL_MODEL

# Below this many units a baseline is treated as zero: the response is then added, not multiplied.
ZERO_UNITS = 1e-9
_FORMAT = 2


class StaleDemandModel(ValueError):
    """A stored model of an older format: the next forecasting run (a new ENGINE_VERSION) replaces it."""


@dataclass
class DemandModel:
    """The fitted global model(s) and the panel (history + baseline plan) it forecasts from."""

    panel: Panel
    models: list[str]  # LightGBM boosters as model strings; predictions are their mean
    events: EventFeatures  # per-series event features and store bounds (events.py)
    scale: np.ndarray  # (n,) the backtest's WAPE-optimal level multiplier per series
    closed: np.ndarray  # (n, H) store closed: forecast exactly zero
    p10: np.ndarray  # (n, H) the stored forecast
    p50: np.ndarray
    p90: np.ndarray
    global_p50: np.ndarray  # (n, H) the global model's scaled forecast under the baseline plan
    labels: np.ndarray  # (n,) model chosen per series
    substitutes: bool = True  # whether the model reads the other items of the store and category
    _boosters: list[Any] | None = field(default=None, repr=False, compare=False)
    _response: PriceResponse | None = field(default=None, repr=False, compare=False)

    @classmethod
    def from_fit(
        cls,
        panel: Panel,
        boosters: list[Any],
        events: EventFeatures,
        scale: np.ndarray,
        closed: np.ndarray,
        quantiles: tuple[np.ndarray, np.ndarray, np.ndarray],
        global_p50: np.ndarray,
        labels: np.ndarray,
        response: PriceResponse | None = None,
    ) -> DemandModel:
        """The model of one forecast call, from its panel, final boosters (and their price response,
        which price_response() otherwise estimates again from the panel) and chosen forecasts."""
        p10, p50, p90 = (np.array(q, dtype=float) for q in quantiles)
        return cls(
            panel=panel,
            models=[booster.model_to_string() for booster in boosters],
            events=events,
            scale=np.asarray(scale, dtype=float),
            closed=np.asarray(closed, dtype=bool),
            p10=p10,
            p50=p50,
            p90=p90,
            global_p50=np.asarray(global_p50, dtype=float),
            labels=np.asarray(labels, dtype=str),
            _boosters=list(boosters),
            _response=response,
        )

    @property
    def keys(self) -> pd.DataFrame:
        """store, sku, category of every series the model forecasts."""
        return self.panel.keys

    def boosters(self) -> list[Any]:
        """The LightGBM boosters, loaded from their model strings once."""
        if self._boosters is None:
            import lightgbm as lgb

            self._boosters = [lgb.Booster(model_str=text) for text in self.models]
        return self._boosters

    def price_response(self) -> PriceResponse:
        """The own-price and substitute response the fit estimated from the history (price_response.py)."""
        if self._response is None:
            substitutes = substitute_drivers(self.panel) if self.substitutes else {}
            self._response = fit_price_response(self.panel, substitutes)
        return self._response

    def baseline_plan(self) -> pd.DataFrame:
        """store, sku, date, price, regular_price, promotion the baseline forecast assumes per future date."""
        panel, n, h = self.panel, self.panel.n_series, self.panel.horizon
        future = slice(panel.n_hist, None)
        promotion = np.nan_to_num(panel.flags["promotion"][:, future], nan=0.0)
        return pd.DataFrame(
            {
                "store": np.repeat(panel.keys["store"].to_numpy(dtype=str), h),
                "sku": np.repeat(panel.keys["sku"].to_numpy(dtype=str), h),
                "date": np.tile(panel.dates[future].to_numpy(dtype="datetime64[ns]"), n),
                "price": panel.price[:, future].reshape(-1),
                "regular_price": panel.regular[:, future].reshape(-1),
                "promotion": promotion.reshape(-1),
            }
        )

    def to_bytes(self) -> bytes:
        """The model as one compressed numpy archive (no pickle), for a bytea column."""
        panel = self.panel
        meta = {
            "format": _FORMAT,
            "freq": panel.freq,
            "n_hist": panel.n_hist,
            "horizon": panel.horizon,
            "season": panel.season,
            "flags": list(panel.flags),
            "substitutes": self.substitutes,
        }
        arrays: dict[str, np.ndarray] = {
            "meta": np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8),
            "store": panel.keys["store"].to_numpy(dtype=str),
            "sku": panel.keys["sku"].to_numpy(dtype=str),
            "category": panel.keys["category"].to_numpy(dtype=str),
            "dates": panel.dates.to_numpy(dtype="datetime64[ns]").astype(np.int64),
            "y": panel.y,
            "start": panel.start,
            "price": panel.price,
            "regular": panel.regular,
            "planned": panel.planned,
            **{f"flag_{name}": grid for name, grid in panel.flags.items()},
            **self.events.to_arrays(),
            **{
                f"model_{k}": np.frombuffer(text.encode(), dtype=np.uint8)
                for k, text in enumerate(self.models)
            },
        }
        for name in ("scale", "closed", "p10", "p50", "p90", "global_p50", "labels"):
            arrays[name] = getattr(self, name)
        buffer = io.BytesIO()
        np.savez_compressed(buffer, **arrays)  # type: ignore[arg-type]
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> DemandModel:
        """A model written by to_bytes."""
        with np.load(io.BytesIO(data), allow_pickle=False) as archive:
            arrays = {name: archive[name] for name in archive.files}
        meta = json.loads(arrays["meta"].tobytes().decode())
        if meta["format"] != _FORMAT:
            raise StaleDemandModel(f"demand model format {meta['format']} is not {_FORMAT}")
        keys = pd.DataFrame(
            {name: arrays[name].astype(str).astype(object) for name in ("store", "sku", "category")}
        )
        panel = Panel(
            keys=keys,
            freq=meta["freq"],
            dates=pd.DatetimeIndex(arrays["dates"].astype("datetime64[ns]")),
            n_hist=int(meta["n_hist"]),
            horizon=int(meta["horizon"]),
            season=int(meta["season"]),
            y=arrays["y"],
            start=arrays["start"],
            price=arrays["price"],
            regular=arrays["regular"],
            flags={name: arrays[f"flag_{name}"] for name in meta["flags"]},
            planned=arrays["planned"],
        )
        models = sorted((int(k[6:]), v) for k, v in arrays.items() if k.startswith("model_"))
        return cls(
            panel=panel,
            models=[v.tobytes().decode() for _, v in models],
            substitutes=bool(meta["substitutes"]),
            events=EventFeatures.from_arrays(arrays),
            **{
                name: arrays[name]
                for name in ("scale", "closed", "p10", "p50", "p90", "global_p50", "labels")
            },
        )


def fit_demand_model(
    history: pd.DataFrame,
    horizon_days: int,
    plan: pd.DataFrame | None = None,
    products: pd.DataFrame | None = None,
    seed: int = 0,
    holiday_country: str | None = "US",
    stores: pd.DataFrame | None = None,
    own_events: pd.DataFrame | None = None,
) -> DemandModel:
    """Run the forecast and keep its demand model (the same fit that produced the forecast)."""
    from forecasting.engine.forecast import forecast

    result = forecast(
        history,
        horizon_days,
        plan=plan,
        products=products,
        seed=seed,
        holiday_country=holiday_country,
        stores=stores,
        own_events=own_events,
    )
    if result.demand_model is None:
        raise ValueError("too little history to fit the demand model")
    return result.demand_model


def _promotion_mix(panel: Panel, name: str) -> np.ndarray:
    """Per series, the share of its promoted history periods that also had flag `name`.

    Series never promoted take the share over all series.
    """
    hist = slice(0, panel.n_hist)
    promoted = np.nan_to_num(panel.flags["promotion"][:, hist], nan=0.0) > 0
    flagged = (np.nan_to_num(panel.flags[name][:, hist], nan=0.0) > 0) & promoted
    count = promoted.sum(axis=1)
    pooled = flagged.sum() / max(int(promoted.sum()), 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, flagged.sum(axis=1) / np.maximum(count, 1), pooled)


def _set_promotions(
    base: Panel, flags: dict[str, np.ndarray], rows: np.ndarray, cols: np.ndarray, on: np.ndarray
) -> None:
    """Promote (or not) the given cells; the kind of promotion (feature, display...) follows.

    No promotion means none of any kind. A promotion where the baseline had one keeps its kind; a
    new one takes the item's usual mix of kinds (the share of its promotions that had each), since
    the model never saw a promotion of no kind.
    """
    was_on = np.nan_to_num(base.flags["promotion"][rows, cols], nan=0.0) > 0
    new = on & ~was_on
    flags["promotion"][rows, cols] = on.astype(float)
    for name, grid in flags.items():
        if name == "promotion" or np.isnan(grid).all():
            continue
        grid[rows[~on], cols[~on]] = 0.0
        grid[rows[new], cols[new]] = _promotion_mix(base, name)[rows[new]]


def _planned_panel(model: DemandModel, plan: pd.DataFrame | None) -> Panel:
    """The model's panel with the plan's prices and promotions over its baseline future."""
    base = model.panel
    if plan is None or not len(plan):
        return base
    flags = {name: grid.copy() for name, grid in base.flags.items()}
    price = base.price.copy()
    rows = row_index(base.keys, plan)
    weekly = base.freq == WEEKLY
    step_days = 7 if weekly else 1
    cols = period_index(pd.to_datetime(plan["date"]), base.dates[0], step_days, weekly) - base.n_hist
    keep = (rows >= 0) & (cols >= 0) & (cols < base.horizon)
    rows, cols = rows[keep], cols[keep] + base.n_hist
    regular_grid = base.regular
    if "regular_price" in plan.columns:
        regular_grid = base.regular.copy()
        new = pd.to_numeric(plan["regular_price"], errors="coerce").to_numpy(dtype=float)[keep]
        given = np.isfinite(new) & (new > 0)
        regular_grid[rows[given], cols[given]] = new[given]
    price_column = "price" if "price" in plan.columns else "unit_price"
    if price_column in plan.columns:
        new = pd.to_numeric(plan[price_column], errors="coerce").to_numpy(dtype=float)[keep]
        given = np.isfinite(new) & (new > 0)
        regular = regular_grid[rows[given], cols[given]]
        price[rows[given], cols[given]] = np.clip(
            new[given], regular * MIN_PRICE_RATIO, regular * MAX_PRICE_RATIO
        )
    if "promotion" in plan.columns:
        promoted = pd.to_numeric(plan["promotion"], errors="coerce").to_numpy(dtype=float)[keep]
        given = np.isfinite(promoted)
        _set_promotions(base, flags, rows[given], cols[given], promoted[given] > 0)
    for name in flags:
        if name != "promotion" and name in plan.columns:
            value = pd.to_numeric(plan[name], errors="coerce").to_numpy(dtype=float)[keep]
            given = np.isfinite(value)
            flags[name][rows[given], cols[given]] = (value[given] > 0).astype(float)
    return Panel(
        keys=base.keys,
        freq=base.freq,
        dates=base.dates,
        n_hist=base.n_hist,
        horizon=base.horizon,
        season=base.season,
        y=base.y,
        start=base.start,
        price=price,
        regular=regular_grid,
        flags=flags,
        planned=base.planned,
    )


def _respond(model: DemandModel, units: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """p10, p50, p90 (n, H) under a plan whose global-model forecast is `units` (scaled, clipped)."""
    own = model.labels == GLOBAL_MODEL
    baseline = model.global_p50
    relative = baseline > ZERO_UNITS
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(relative, units / np.where(relative, baseline, 1.0), 1.0)
    shift = np.where(relative, 0.0, units - baseline)
    p50 = np.where(own[:, None], units, np.clip(model.p50 * ratio + shift, 0.0, None))
    # The band moves with the median: scaled by the same ratio, or shifted by the same units.
    p10 = np.minimum(np.clip(model.p10 * ratio + shift, 0.0, None), p50)
    p90 = np.maximum(model.p90 * ratio + shift, p50)
    return p10, p50, p90


def predict_demand(
    model: DemandModel,
    plan: pd.DataFrame | None = None,
    *,
    drivers: bool = False,
    alone: bool = False,
    others: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Forecast under a plan: store, sku, date, p10, p50, p90 (+ the drivers' units with `drivers`).

    `plan` rows (store, sku, date, price or unit_price, promotion, and optionally regular_price and
    the kinds of promotion: feature, display, tpr_only; NaN keeps the baseline) override the
    baseline plan for those items and dates; rows of other items or dates are ignored. The
    drivers (base, seasonality, price, promotion, events, substitutes) sum to p50: each family is
    LightGBM's contribution of its features, in units; base is p50 minus the other five, so it
    absorbs the model's mean, the difference to another chosen model, and a clip at zero; on days a
    store is closed every driver is 0. With `alone`, every item sees its own plan only: the other
    items of its store and category stay at the baseline (its own-price curve, for pricing). With
    `others`, the other items are seen under that plan instead (cross-price responses).
    """
    panel = _planned_panel(model, plan)
    substitute_panel = (
        _planned_panel(model, others) if others is not None else (model.panel if alone else None)
    )
    n, h = panel.n_series, panel.horizon
    if model.models:
        units, shares = predict_global(
            model.boosters(),
            panel,
            model.events if model.events.grids else None,
            contributions=drivers,
            substitutes=model.substitutes,
            substitute_panel=substitute_panel,
            response=model.price_response(),
        )
        units = np.where(model.closed, 0.0, np.clip(units, 0.0, None) * model.scale[:, None])
    else:
        units, shares = model.global_p50, {}
    p10, p50, p90 = _respond(model, units)
    out = pd.DataFrame(
        {
            "store": np.repeat(panel.keys["store"].to_numpy(dtype=str), h),
            "sku": np.repeat(panel.keys["sku"].to_numpy(dtype=str), h),
            "date": np.tile(panel.dates[panel.n_hist :].to_numpy(dtype="datetime64[ns]"), n),
            "p10": p10.reshape(-1),
            "p50": p50.reshape(-1),
            "p90": p90.reshape(-1),
        }
    )
    if drivers:
        claimed = np.zeros((n, h))
        for family in FAMILIES[1:]:
            grid = shares.get(family, np.zeros((n, h))) * model.scale[:, None]
            grid = np.where(model.closed, 0.0, grid)
            out[family] = grid.reshape(-1)
            claimed = claimed + grid
        out.insert(6, "base", (p50 - claimed).reshape(-1))
    return out
