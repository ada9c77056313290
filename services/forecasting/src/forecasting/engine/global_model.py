"""One gradient-boosting model over all series: recent levels, season, price and promotion drivers.

It is a direct multi-horizon model: each training row is (series, origin, horizon step) with
features known at the origin (recent means, last season, promotion lift so far) and features known
for the target period (price relative to regular price, promotion flags, calendar, events, which
come from the plan for future periods). The target is divided by the series' recent level so that
one model serves slow and fast sellers; rows are weighted by that level, so an L1-like loss (Huber,
see PARAMS) on the ratio is close to the absolute error in units, i.e. WAPE.
Ref: Januschowski et al. (2022), "Forecasting with trees", IJF 38(4) 1473-1481.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from forecasting.engine.events import CATEGORICAL as EVENT_CATEGORICAL
from forecasting.engine.events import EventFeatures
from forecasting.engine.metrics import nanmean
from forecasting.engine.panel import WEEKLY, Panel
from forecasting.engine.price_response import PriceResponse, fit_price_response, substitute_drivers
from forecasting.engine.stockouts import Estimator, trailing_mean_estimator
from forecasting.engine.windows import WindowSums as _Matrices

if TYPE_CHECKING:
    import lightgbm as lgb

# Cap on training rows: a sample this size scores within seed noise of all rows of a few thousand
# weekly series, at less than half the fitting time.
MAX_TRAIN_ROWS = 200_000
# Cap on a backtest fit's rows (a random subset of those before its cutoff): the backtest only ranks
# the candidates and sizes the bands, which half the final model's rows do as well as all of them.
MAX_BACKTEST_ROWS = MAX_TRAIN_ROWS // 2
MIN_TRAIN_ROWS = 200
# One OpenMP thread per fit: the task layer runs chunks in parallel worker processes, and a second
# thread costs CPU in synchronisation for the same model.
THREADS = 1
# The final forecast averages this many models that differ only in their seed. One model's forecast
# moves with its seed (the rows and features each tree samples); the average of two moves less, so
# the same data gives nearly the same forecast, and it is more accurate on held-out seasons of
# every year tried, for a second fit's CPU (bench/RESULTS.md has both).
FINAL_MODELS = 2
BOOST_ROUNDS = 100
# Days of the level normaliser for daily data: shorter windows (14 or 7 days) scored no better.
DAILY_LEVEL_DAYS = 28
PARAMS = {
    # Huber on the level-normalised target: quadratic for errors under half the level, linear beyond,
    # so it behaves like L1 (WAPE) on promotion spikes at the cost of L2 (L1 refits every leaf).
    "objective": "huber",
    "alpha": 0.5,
    "learning_rate": 0.2,
    "num_leaves": 63,
    "min_data_in_leaf": 100,
    # Sampling few features per tree decorrelates the trees; 0.4 rather than 0.6 scored the same or
    # better at less fitting time.
    "feature_fraction": 0.4,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "lambda_l2": 1.0,
    "max_bin": 127,
    # The basic method over-constrains (flat price responses where the data shows a slope); the
    # intermediate one keeps the own-price constraint with a visible slope, at little cost.
    "monotone_constraints_method": "intermediate",
    # Storage layout only, the same trees: dense columns and column-wise histograms train about a
    # quarter faster here than the sparse bins and row-wise layout LightGBM picks by itself.
    "enable_sparse": False,
    "force_col_wise": True,
    "verbose": -1,
}


# Driver families: every feature's contribution to a forecast is reported under one of them, and
# whatever no family claims (the model's mean, recent levels, the item's identity) is the base.
FAMILIES = ("base", "seasonality", "price", "promotion", "events", "substitutes")
_FAMILY_OF = {
    # The plan's own price; a change of the regular price itself stays in base (a trend, not a plan).
    "price": ("price_ratio", "price_vs_recent", "log_price"),
    # Last period's price counts with the promotions: it carries a promotion's after-effect.
    "promotion": (
        "promotion",
        "feature",
        "display",
        "tpr_only",
        "promotion_prev",
        "promotion_next",
        "price_ratio_prev",
    ),
    "events": ("event_",),
    "seasonality": ("season_lag_", "season_mean3", "week_of_year", "day_of_week", "day_of_month"),
    "substitutes": ("sub_",),
}
# Demand never rises with the item's own price, all else equal: the constraint keeps the price
# response (and the elasticities read from it) sound where the data alone is noisy.
DECREASING = ("price_ratio", "price_vs_recent", "log_price")


def feature_family(name: str) -> str:
    """The driver family a feature's contribution is reported under."""
    for family, names in _FAMILY_OF.items():
        if any(name == n or (n.endswith("_") and name.startswith(n)) for n in names):
            return family
    return "base"


def _level(m: _Matrices, rows: np.ndarray, origin: np.ndarray, width: int) -> np.ndarray:
    """Normaliser: recent mean, else whole-history mean, else 1; never below a tiny floor."""
    recent = m.window(m.cum_y, rows, origin, width) / np.maximum(m.window(m.cum_n, rows, origin, width), 1)
    overall = m.cum_y[rows, origin] / np.maximum(m.cum_n[rows, origin], 1)
    level = np.where(recent > 0, recent, np.where(overall > 0, overall, 1.0))
    return np.maximum(level, 1e-3)


def _features(
    m: _Matrices, rows: np.ndarray, origin: np.ndarray, step: np.ndarray, events: EventFeatures | None
) -> tuple[pd.DataFrame, np.ndarray]:
    """Feature table and normaliser for rows (series, origin, step); target period = origin + step - 1."""
    panel = m.panel
    weekly = panel.freq == WEEKLY
    target = origin + step - 1
    norm_width = 13 if weekly else DAILY_LEVEL_DAYS
    level = _level(m, rows, origin, norm_width)
    feats: dict[str, np.ndarray] = {"step": step.astype(np.float32)}
    widths = (1, 2, 4, 8, 13, 26, 52) if weekly else (1, 7, 14, 28, 56, 91, 182, 364)
    for width in widths:
        count = m.window(m.cum_n, rows, origin, width)
        with np.errstate(invalid="ignore", divide="ignore"):
            feats[f"mean_{width}"] = (
                np.where(count > 0, m.window(m.cum_y, rows, origin, width) / count, np.nan) / level
            )
    feats["log_level"] = np.log1p(level)
    feats["age"] = np.minimum(m.cum_n[rows, origin], 3 * 364 if not weekly else 3 * 52)
    zero_count = m.window(m.cum_zero, rows, origin, norm_width)
    feats["zero_share"] = zero_count / np.maximum(m.window(m.cum_n, rows, origin, norm_width), 1)
    # Same phase of the season, from the latest season fully before the origin.
    season = 52 if weekly else 7
    cycles = np.ceil(step / season).astype(int)
    for back in range(3 if not weekly else 1):
        col = target - season * (cycles + back)
        valid = col >= 0
        safe = np.where(valid, col, 0)
        val = np.where(valid & m.ok[rows, safe], m.y[rows, safe], np.nan)
        feats[f"season_lag_{back}"] = val / level
    if weekly:
        # Mean of the three weeks around the same week last year, which is less noisy than one week.
        col = target - 52 * cycles
        vals = []
        for off in (-1, 0, 1):
            c = np.clip(col + off, 0, panel.n_hist - 1)
            vals.append(
                np.where((col + off >= 0) & (col + off < origin) & m.ok[rows, c], m.y[rows, c], np.nan)
            )
        feats["season_mean3"] = nanmean(np.stack(vals), axis=0) / level
    # Promotion history up to the origin: how much this series lifts when promoted.
    promo_n = m.cum_pn[rows, origin]
    promo_y = m.cum_py[rows, origin]
    base_n = m.cum_n[rows, origin] - promo_n
    base_y = m.cum_y[rows, origin] - promo_y
    with np.errstate(invalid="ignore", divide="ignore"):
        promo_mean = np.where(promo_n > 0, promo_y / promo_n, np.nan)
        base_mean = np.where(base_n > 0, base_y / base_n, np.nan)
        feats["promo_lift"] = promo_mean / base_mean
        feats["promo_mean"] = promo_mean / level
        feats["base_mean"] = base_mean / level
    feats["promo_share"] = m.window(m.cum_pn, rows, origin, norm_width) / np.maximum(
        m.window(m.cum_n, rows, origin, norm_width), 1
    )
    recent_rel_price = m.window(m.cum_price, rows, origin, norm_width) / np.maximum(
        m.window(m.cum_n, rows, origin, norm_width), 1
    )
    # Drivers of the target period (from history in training, from the plan when forecasting).
    width = panel.price.shape[1]
    price_t = panel.price[rows, target]
    regular_t = panel.regular[rows, target]
    last = np.maximum(origin - 1, 0)
    feats["price_ratio"] = price_t / regular_t
    feats["price_vs_recent"] = feats["price_ratio"] / np.where(recent_rel_price > 0, recent_rel_price, np.nan)
    feats["regular_change"] = regular_t / panel.regular[rows, last]
    feats["log_price"] = np.log(price_t)
    for name, grid in panel.flags.items():
        feats[name] = grid[rows, target]
        if weekly and name == "promotion":
            feats["promotion_prev"] = grid[rows, np.maximum(target - 1, 0)]
            feats["promotion_next"] = grid[rows, np.minimum(target + 1, width - 1)]
            feats["price_ratio_prev"] = (panel.price / panel.regular)[rows, np.maximum(target - 1, 0)]
    dates = panel.dates[target]
    if events is not None:
        feats.update(events.columns(rows, target))
    if weekly:
        feats["week_of_year"] = dates.isocalendar().week.to_numpy(dtype=float)
    else:
        feats["day_of_week"] = dates.day_of_week.to_numpy(dtype=float)
        feats["day_of_month"] = dates.day.to_numpy(dtype=float)
        feats["week_of_year"] = dates.isocalendar().week.to_numpy(dtype=float)
    # One float32 block (the codes are exact in it): LightGBM reads it without another copy.
    columns = {**feats, **{name: codes[rows] for name, codes in m.codes.items()}}
    block = np.empty((len(columns), len(rows)), dtype=np.float32)
    for k, values in enumerate(columns.values()):
        block[k] = values
    return pd.DataFrame(block.T, columns=list(columns), copy=False), level


CATEGORICAL = ["category", "sku_code", "store_code", *EVENT_CATEGORICAL]


def _training_rows(
    panel: Panel, cutoff: int, rng: np.random.Generator, max_rows: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sample (series, origin, step) triples whose target period lies before `cutoff`."""
    n = panel.n_series
    horizon = panel.horizon
    min_seen = 4 if panel.freq == WEEKLY else 14
    targets = np.arange(cutoff)
    rows = np.repeat(np.arange(n), len(targets))
    target = np.tile(targets, n)
    # One random step per (series, target period): every step is trained on, at 1/H of the cost.
    step = rng.integers(1, horizon + 1, size=len(rows))
    origin = target - step + 1
    # A period whose sales are unknown (a stock-out censored them, see stockouts.py, or its store
    # was closed) is no target to learn from.
    keep = ((origin - panel.start[rows]) >= min_seen) & np.isfinite(panel.y[rows, target])
    rows, origin, step = rows[keep], origin[keep], step[keep]
    if len(rows) > max_rows:
        pick = np.sort(rng.choice(len(rows), size=max_rows, replace=False))
        rows, origin, step = rows[pick], origin[pick], step[pick]
    return rows, origin, step


class _Trainer:
    """Training rows and their LightGBM Dataset, built once; each fit uses the rows before its cutoff.

    Features of a row depend only on its origin and target period, never on the cutoff, so one
    binned Dataset serves the final model and every backtest refit (bin edges and the price
    response are shared, sales after a cutoff are never seen by that fit).
    """

    def __init__(self, m: _Matrices, events: EventFeatures | None, seed: int) -> None:
        import lightgbm as lgb

        rng = np.random.default_rng(seed)
        rows, origin, step = _training_rows(m.panel, m.panel.n_hist, rng, MAX_TRAIN_ROWS)
        self.seed = seed
        self.rng = rng  # draws each backtest fit's rows (MAX_BACKTEST_ROWS)
        self.target_period = origin + step - 1
        self.data: lgb.Dataset | None = None
        self.response = PriceResponse.neutral(m.panel.n_series)
        if len(rows) < MIN_TRAIN_ROWS:
            return
        x, level = _features(m, rows, origin, step, events)
        # The label: level-normalised units without the price response (price_response.py), estimated
        # on all history and shared by every fit, the backtest's too (a few elasticities per category,
        # which the backtest windows barely move); self.response keeps it for the forecasts.
        self.response = fit_price_response(m.panel, m.substitutes)
        own, cross = self.response.factors(m.panel, m.substitutes, rows, self.target_period)
        label = m.y[rows, self.target_period] / level / (own * cross)
        monotone = [-1 if name in DECREASING else 0 for name in x.columns]
        self.params = {**PARAMS, "seed": seed, "num_threads": THREADS, "monotone_constraints": monotone}
        self.data = lgb.Dataset(
            x,
            label=label,
            weight=level,
            categorical_feature=[name for name in CATEGORICAL if name in x.columns],
            params=self.params,
            free_raw_data=False,
        ).construct()

    def fit(self, cutoff: int, seed: int | None = None) -> lgb.Booster | None:
        """Model trained on the rows whose target period is before `cutoff` (at most
        MAX_BACKTEST_ROWS of them for a backtest fit); None if too few. Its price response is
        self.response.
        """
        import lightgbm as lgb

        if self.data is None:
            return None
        used = np.nonzero(self.target_period < cutoff)[0]
        if len(used) < MIN_TRAIN_ROWS:
            return None
        if len(self.target_period) > len(used) > MAX_BACKTEST_ROWS:
            used = np.sort(self.rng.choice(used, MAX_BACKTEST_ROWS, replace=False))
        data = self.data if len(used) == len(self.target_period) else self.data.subset(used.tolist())
        params = self.params if seed is None else {**self.params, "seed": seed}
        return lgb.train(params, data, num_boost_round=BOOST_ROUNDS)


def _raw(models: list[lgb.Booster], x: pd.DataFrame) -> np.ndarray:
    """The models' mean prediction (the trees' output, before level and price response)."""
    # LightGBM predicts on every core unless told otherwise (the fit's num_threads does not carry
    # over); the threads cost more CPU in synchronisation than they save on these tables.
    return np.mean([np.asarray(m.predict(x, num_threads=THREADS), dtype=np.float64) for m in models], axis=0)


def _final_rows(panel: Panel, origin: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(series, origin, step) of every series and horizon step forecast from `origin`."""
    n, horizon = panel.n_series, panel.horizon
    rows = np.repeat(np.arange(n), horizon)
    step = np.tile(np.arange(1, horizon + 1), n)
    return rows, np.full(len(rows), origin), step


def _predict(
    model: lgb.Booster, m: _Matrices, origin: int, events: EventFeatures | None, response: PriceResponse
) -> np.ndarray:
    """Forecast (n, H) from one origin."""
    rows, origins, step = _final_rows(m.panel, origin)
    x, level = _features(m, rows, origins, step, events)
    own, cross = response.factors(m.panel, m.substitutes, rows, origins + step - 1)
    pred = _raw([model], x) * level * own * cross
    return np.clip(pred, 0.0, None).reshape(m.panel.n_series, m.panel.horizon)


def _at_reference(x: pd.DataFrame, family: str) -> None:
    """Set one family's features (in place) to the reference the drivers are measured against.

    Regular price (unchanged regular price, the same distance to the recent price), no promotion of
    any kind, no event, substitutes at their regular price and not promoted, and no seasonal
    signal (last season at the recent level, calendar unknown).
    """
    columns = [name for name in x.columns if feature_family(name) == family]
    for name in columns:
        value = x[name]
        if name == "price_vs_recent":
            x[name] = value / x["price_ratio"]
        elif name == "log_price":
            x[name] = value - np.log(x["price_ratio"])
    for name in columns:
        if name in ("price_ratio", "price_ratio_prev"):
            x[name] = np.where(x[name].isna(), np.nan, 1.0)
        elif family in ("promotion", "events"):
            x[name] = np.where(x[name].isna(), np.nan, 0.0)
        elif name.startswith("season_"):
            x[name] = np.where(x[name].isna(), np.nan, 1.0)
        elif family == "seasonality":
            x[name] = np.nan


def _family_shapley(
    models: list[lgb.Booster], x: pd.DataFrame, factors: dict[str, np.ndarray]
) -> dict[str, np.ndarray]:
    """Exact Shapley value of each non-base family (features at their value vs at the reference).

    The value of a set of families is the model's prediction with those families at their actual
    values and the others at the reference, times each of its families' price-response factor
    (`factors`, per row: price and substitutes); "base" is the prediction with all of them at the
    reference, so the families sum to the prediction. Five families take 32 predictions, far
    cheaper than per-feature TreeSHAP on trees this deep.
    """
    players = FAMILIES[1:]
    k = len(players)
    value: dict[int, np.ndarray] = {}
    for mask in range(1 << k):
        probe = x.copy()
        for bit, family in enumerate(players):
            if not mask & (1 << bit):
                _at_reference(probe, family)
        value[mask] = _raw(models, probe)
        for family, factor in factors.items():
            if mask & (1 << players.index(family)):
                value[mask] = value[mask] * factor
    weights = [math.factorial(size) * math.factorial(k - size - 1) / math.factorial(k) for size in range(k)]
    out = {"base": value[0]}
    for bit, family in enumerate(players):
        total = np.zeros(len(x))
        for mask in range(1 << k):
            if not mask & (1 << bit):
                total += weights[bin(mask).count("1")] * (value[mask | (1 << bit)] - value[mask])
        out[family] = total
    return out


def predict_global(
    models: list[lgb.Booster],
    panel: Panel,
    events: EventFeatures | None,
    contributions: bool = False,
    substitutes: bool = True,
    substitute_panel: Panel | None = None,
    response: PriceResponse | None = None,
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Unclipped units (n, H) from the end of history, and with `contributions` each driver
    family's share of them (see _family_shapley), in units; the shares sum to the units.

    `substitute_panel` (same series and grid) supplies the other items' prices and promotions
    instead of `panel`: each item's response to its own plan alone. `response` is the fit's price
    response (price_response.py; estimated from `panel`'s history when None).
    """
    if response is None:
        response = fit_price_response(panel, substitute_drivers(panel) if substitutes else {})
    return _units(models, _Matrices(panel, substitutes, substitute_panel), events, response, contributions)


def _units(
    models: list[lgb.Booster],
    m: _Matrices,
    events: EventFeatures | None,
    response: PriceResponse,
    contributions: bool = False,
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """predict_global on matrices already built."""
    panel = m.panel
    n, horizon = panel.n_series, panel.horizon
    rows, origins, step = _final_rows(panel, panel.n_hist)
    x, level = _features(m, rows, origins, step, events)
    own, cross = response.factors(panel, m.substitutes, rows, origins + step - 1)
    raw = _raw(models, x)
    units = (raw * level * own * cross).reshape(n, horizon)
    shares: dict[str, np.ndarray] = {}
    if contributions:
        for family, share in _family_shapley(models, x, {"price": own, "substitutes": cross}).items():
            shares[family] = (share * level).reshape(n, horizon)
    return units, shares


def predict_history(
    models: list[lgb.Booster],
    panel: Panel,
    events: EventFeatures | None,
    substitutes: bool,
    response: PriceResponse,
) -> Estimator:
    """What the models expect at history periods (an Estimator): what a stock-out hid (stockouts.py).

    The trees' prediction times the fit's price `response`, as the forecast's (predict_global).
    """
    m = _Matrices(panel, substitutes)

    def estimate(rows: np.ndarray, origin: np.ndarray, step: np.ndarray) -> np.ndarray:
        x, level = _features(m, rows, origin, step, events)
        own, cross = response.factors(panel, m.substitutes, rows, origin + step - 1)
        raw = _raw(models, x)
        return np.clip(raw * level * own * cross, 0.0, None)

    return estimate


def global_forecasts(
    panel: Panel,
    origins: list[int],
    seed: int = 0,
    events: EventFeatures | None = None,
    refit: bool = False,
    substitutes: bool = True,
) -> tuple[np.ndarray, list[lgb.Booster], PriceResponse]:
    """Forecasts (n, len(origins), H), the final models (FINAL_MODELS fitted on all history) and
    their price response (price_response.py, estimated on all history).

    The last origin is forecast by the final models (none when there was too little data to fit).
    With `refit` each backtest origin gets its own model fitted on the targets before it (honest
    residuals); without, all backtest origins share one model fitted before the earliest of them.
    Either way no backtest model learns from its own future sales (every fit shares the price
    response estimated on all history: _Trainer). `substitutes` False leaves out the response
    to the other items in the store and category (price_response.py; to measure what it adds).
    `events` are the series' event features (events.py); None leaves events out of the model.
    """
    m = _Matrices(panel, substitutes)
    out = np.zeros((panel.n_series, len(origins), panel.horizon))
    *backtest, final = origins
    recent = trailing_mean_estimator(panel)
    every = np.arange(panel.n_series)

    def fallback(origin: int) -> np.ndarray:
        # Too little data for a model: recent mean, which the backtest will rank as it deserves.
        return np.repeat(recent(every, np.full(panel.n_series, origin), every)[:, None], panel.horizon, 1)

    trainer = _Trainer(m, events, seed)
    if backtest:
        model = None if refit else trainer.fit(backtest[0])
        for k, origin in enumerate(backtest):
            if refit:
                model = trainer.fit(origin)
            out[:, k] = (
                fallback(origin) if model is None else _predict(model, m, origin, events, trainer.response)
            )
    finals = [trainer.fit(final, seed=seed + k) for k in range(FINAL_MODELS)]
    fitted = [model for model in finals if model is not None]
    if fitted:
        units = _units(fitted, m, events, trainer.response)[0]
        out[:, -1] = np.clip(units, 0.0, None)
    else:
        out[:, -1] = fallback(final)
    return out, fitted, trainer.response
