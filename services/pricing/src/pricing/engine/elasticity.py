"""Per-series log-log demand regressions and their partially pooled price elasticities."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats
from scipy.linalg import solve_triangular

from pricing.engine.data import PROMOTION_FLAGS, product_info, to_weekly
from pricing.engine.features import DAYS_PER_YEAR, fourier_terms, holiday_weeks
from pricing.engine.pooling import pool_elasticities

# Below this relative size a regressor is (almost) a copy of the ones before it and is dropped.
COLLINEAR_TOLERANCE = 1e-3
MAX_AUTOCORRELATION_INFLATION = 10.0
HUBER_TUNING = 1.345
BISQUARE_TUNING = 4.685
ROBUST_ITERATIONS = 3  # of each kind


@dataclass(frozen=True)
class EstimationSettings:
    """Knobs of the elasticity estimation; the defaults suit weekly retail data."""

    min_price_changes: int = 4
    price_change_threshold: float = 0.02  # |log price change| that counts as a price change
    min_weeks: int = 8
    interval_level: float = 0.9
    holiday_country: str | None = "US"
    use_price: bool = True  # False fits the same model without price (the holdout baseline)
    fourier_order: int = 3  # sine/cosine pairs of the annual seasonal profile
    # "category": one seasonal profile per category, estimated from all its series and used as an offset
    # (thin or gappy series cannot estimate their own); "series": each series its own (ridge-penalised)
    # profile, needing a year of history; "none": no seasonality.
    seasonality: Literal["category", "series", "none"] = "category"
    trend: bool = True  # a linear trend control while estimating (never extrapolated)
    # Ridge penalty (in pseudo-weeks) on the seasonal terms, so a history with gaps cannot produce
    # wild seasonal swings in the weeks it never saw.
    seasonal_ridge: float = 5.0
    # Half-life of the recency weights that set the current demand level for base units and forecasts.
    level_half_life_weeks: float = 13.0
    robust: bool = True  # outlier-resistant (Huber, then bisquare) price regression
    # Flags controlled for. tpr_only is left out on purpose: a temporary price reduction *is* a price
    # change, so a dummy for it would soak up the very price variation the elasticity is learnt from.
    promotion_controls: tuple[str, ...] = ("promotion", "feature", "display")


@dataclass
class SeriesFit:
    """Design and own-data estimate of one store x sku series (internal)."""

    names: list[str]
    design: np.ndarray  # non-price regressors of the fitted weeks
    log_price: np.ndarray  # log(price / reference price) of the fitted weeks
    log_units: np.ndarray
    penalty: np.ndarray = field(default_factory=lambda: np.empty(0))  # ridge weight per design column
    weeks_before_end: np.ndarray = field(default_factory=lambda: np.empty(0))
    panel_rows: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))  # fitted weeks
    weights: np.ndarray = field(default_factory=lambda: np.empty(0))  # robust weight of each fitted week
    coefficients: np.ndarray = field(default_factory=lambda: np.empty(0))  # design (+ price) coefficients
    elasticity: float = np.nan
    standard_error: float = np.nan
    reason: str | None = None  # why no own estimate exists
    extras: dict[str, Any] = field(default_factory=dict)


def _reference_prices(weekly: pd.DataFrame, info: pd.DataFrame, promoted: np.ndarray) -> np.ndarray:
    """Current regular price per series: list price, else last regular price, else recent unpromoted price."""
    keys = pd.MultiIndex.from_frame(info[["store", "sku"]])
    # Median of the last four unpromoted weeks (of the last four weeks when every week was promoted).
    unpromoted = weekly.loc[~promoted]
    recent = (
        unpromoted.groupby(["store", "sku"], sort=False)
        .tail(4)
        .groupby(["store", "sku"])["unit_price"]
        .median()
    )
    any_recent = (
        weekly.groupby(["store", "sku"], sort=False).tail(4).groupby(["store", "sku"])["unit_price"].median()
    )
    fallback = recent.reindex(keys).to_numpy(dtype=float)
    fallback = np.where(np.isfinite(fallback), fallback, any_recent.reindex(keys).to_numpy(dtype=float))
    reference = info["list_price"].to_numpy(dtype=float).copy()
    if "regular_price" in weekly.columns:
        regular_rows = weekly.dropna(subset=["regular_price"])
        last_regular = (
            regular_rows.groupby(["store", "sku"])["regular_price"].last().reindex(keys).to_numpy(dtype=float)
        )
        reference = np.where(np.isfinite(reference) & (reference > 0), reference, last_regular)
    return np.where(np.isfinite(reference) & (reference > 0), reference, fallback)


@dataclass
class _WeeklyArrays:
    """Column arrays of the weekly panel, sorted by series then week, with calendar regressors."""

    days: np.ndarray  # week start in days since the epoch
    quantity: np.ndarray
    price: np.ndarray
    flags: np.ndarray  # rows x promotion flags
    holiday: np.ndarray
    fourier: np.ndarray  # rows x 4 (two harmonics)


def _weekly_arrays(weekly: pd.DataFrame, flags: list[str], settings: EstimationSettings) -> _WeeklyArrays:
    week_values = pd.DatetimeIndex(weekly["week"])
    unique_weeks, inverse = np.unique(week_values.to_numpy(), return_inverse=True)
    calendar = pd.DatetimeIndex(unique_weeks)
    return _WeeklyArrays(
        days=(week_values.to_numpy().astype("datetime64[D]").astype(np.int64)).astype(float),
        quantity=weekly["quantity"].to_numpy(dtype=float),
        price=weekly["unit_price"].to_numpy(dtype=float),
        flags=weekly[flags].to_numpy(dtype=float) if flags else np.empty((len(weekly), 0)),
        holiday=holiday_weeks(calendar, settings.holiday_country)[inverse],
        fourier=fourier_terms(calendar, settings.fourier_order)[inverse],
    )


def _category_seasonality(fits: list[SeriesFit], categories: np.ndarray, order: int) -> np.ndarray:
    """Each category's seasonal Fourier coefficients (median over its series' own fits), one row per series."""
    names = [f"fourier_{index}" for index in range(2 * order)]
    own = np.full((len(fits), 2 * order), np.nan)
    for position, fit in enumerate(fits):
        if not all(name in fit.names for name in names):
            continue  # less than a year of history: no own seasonal estimate
        own[position] = [fit.coefficients[fit.names.index(name)] for name in names]
    profile = np.zeros((len(fits), 2 * order))
    for category in pd.unique(categories):
        members = np.flatnonzero(categories == category)
        estimated = own[members][np.isfinite(own[members, 0])]
        if len(estimated):
            # The median shrugs off series whose gappy history gave wild seasonal coefficients.
            profile[members] = np.median(estimated, axis=0)
    return profile


def _count_price_changes(log_price: np.ndarray, threshold: float) -> int:
    return int(np.sum(np.abs(np.diff(log_price)) > threshold)) if len(log_price) > 1 else 0


def _fit_series(
    panel: _WeeklyArrays,
    rows: slice,
    flags: list[str],
    reference_price: float,
    settings: EstimationSettings,
    seasonal_offset: np.ndarray | None = None,
) -> SeriesFit:
    """Own-data regression of log units on log price with promotion, trend, seasonality and holiday controls."""
    all_log_price = np.log(panel.price[rows] / reference_price)
    n_changes = _count_price_changes(all_log_price, settings.price_change_threshold)
    quantity = panel.quantity[rows]
    # log(units) needs units > 0; weeks without sales are left out of the regression.
    sold = quantity > 0
    days = panel.days[rows][sold]
    n_weeks = int(sold.sum())
    extras: dict[str, Any] = {"n_price_changes": n_changes, "n_weeks": n_weeks, "last_week": None}
    if n_weeks == 0:
        return SeriesFit(
            [], np.empty((0, 0)), np.empty(0), np.empty(0), reason="no weeks with sales", extras=extras
        )
    last_day = days.max()
    extras["last_week"] = pd.Timestamp(int(last_day), unit="D")
    span_weeks = (last_day - days.min()) / 7 + 1
    columns: list[np.ndarray] = [np.ones(n_weeks)]
    names = ["intercept"]
    for index, flag in enumerate(flags):
        columns.append(panel.flags[rows][sold, index])
        names.append(flag)
    if span_weeks >= 26 and n_weeks >= 16:
        if settings.trend:
            columns.append((days - last_day) / DAYS_PER_YEAR)
            names.append("trend")
        columns.append(panel.holiday[rows][sold])
        names.append("holiday")
    own_seasonality = settings.seasonality == "series" and settings.fourier_order > 0
    if own_seasonality and span_weeks >= 52 and n_weeks >= 40:
        seasonal = panel.fourier[rows][sold]
        columns.extend(seasonal.T)
        names.extend(f"fourier_{index}" for index in range(seasonal.shape[1]))
    design = np.column_stack(columns)
    panel_rows = np.arange(rows.start, rows.stop)[sold]
    log_units = np.log(quantity[sold])
    if seasonal_offset is not None:
        log_units = log_units - seasonal_offset[panel_rows]
    log_price = all_log_price[sold]
    design, names = _drop_collinear(design, names)
    penalty = np.array([settings.seasonal_ridge if name.startswith("fourier_") else 0.0 for name in names])
    fit = SeriesFit(
        names, design, log_price, log_units, penalty, (last_day - days) / 7, panel_rows, extras=extras
    )
    if not settings.use_price:
        fit.reason = "price ignored"
    elif n_weeks < settings.min_weeks:
        fit.reason = f"only {n_weeks} weeks with sales; not enough to estimate"
    elif n_changes < settings.min_price_changes:
        weeks_word = "week" if n_changes == 1 else "weeks"
        fit.reason = (
            "price never changed; not enough to estimate"
            if n_changes == 0
            else f"price changed on only {n_changes} {weeks_word}; not enough to estimate"
        )
    if fit.reason is None:
        elasticity, standard_error, price_fit = _price_coefficient(
            design, log_price, log_units, penalty, settings.robust
        )
        if price_fit is not None:
            fit.elasticity, fit.standard_error = elasticity, standard_error
            fit.weights, fit.coefficients = price_fit.weights, price_fit.coefficients
            return fit
        fit.reason = "price moved only together with promotions; its own effect cannot be separated"
    # No own elasticity: the controls alone, for robustness weights and the seasonal first pass.
    controls = _robust_least_squares(design, log_units, penalty, settings.robust)
    fit.weights, fit.coefficients = controls.weights, controls.coefficients
    return fit


def _drop_collinear(design: np.ndarray, names: list[str]) -> tuple[np.ndarray, list[str]]:
    """Drop constant regressors and ones that are (nearly) combinations of earlier ones."""
    norms = np.linalg.norm(design, axis=0)
    keep = norms > 0
    if keep.sum() and design.shape[0]:
        _, upper = np.linalg.qr(design[:, keep])
        relative = np.abs(np.diag(upper)) / norms[keep]
        kept_index = np.flatnonzero(keep)
        keep[kept_index[relative < COLLINEAR_TOLERANCE]] = False
    keep[0] = True  # the intercept always stays
    return design[:, keep], [name for name, kept in zip(names, keep, strict=True) if kept]


def _ridge_system(
    design: np.ndarray, target: np.ndarray, penalty: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Least-squares system with one pseudo-row sqrt(penalty) per penalised column (ridge toward zero)."""
    penalised = np.flatnonzero(penalty > 0)
    if penalised.size == 0:
        return design, target
    extra = np.zeros((penalised.size, design.shape[1]))
    extra[np.arange(penalised.size), penalised] = np.sqrt(penalty[penalised])
    return np.vstack([design, extra]), np.concatenate([target, np.zeros(penalised.size)])


@dataclass
class _LeastSquares:
    coefficients: np.ndarray
    weights: np.ndarray  # robustness weights the coefficients were fitted with
    q_matrix: np.ndarray
    upper: np.ndarray


def _robust_least_squares(
    design: np.ndarray, target: np.ndarray, penalty: np.ndarray, robust: bool
) -> _LeastSquares:
    """Ridge least squares, reweighted so that gross outliers lose their pull when `robust`."""
    weights = np.ones(len(target))
    if robust:
        for iteration in range(2 * ROBUST_ITERATIONS):
            residuals = target - design @ _weighted_normal_solve(design, target, weights, penalty)
            # Weeks far off the fit (bulk orders, stock-outs, data errors) count less: Huber weights
            # first, then Tukey's bisquare, which drops gross outliers entirely (Huber alone still
            # follows outliers at extreme prices). Tunings 1.345 / 4.685: 95% efficiency on normal noise.
            # Ref: Fox & Weisberg, "Robust Regression in R" (2018 appendix), section 3 (M-estimation).
            absolute = np.abs(residuals)
            scale = 1.4826 * float(np.partition(absolute, len(absolute) // 2)[len(absolute) // 2])
            if scale <= 0:
                break
            if iteration < ROBUST_ITERATIONS:
                new_weights = np.minimum(1.0, HUBER_TUNING * scale / np.maximum(absolute, 1e-12))
            else:
                new_weights = np.clip(1 - (residuals / (BISQUARE_TUNING * scale)) ** 2, 0.0, None) ** 2
            converged = float(np.max(np.abs(new_weights - weights))) < 1e-2
            weights = new_weights
            if converged and iteration >= ROBUST_ITERATIONS:
                break
    # The final fit goes through QR: its R factor gives the price coefficient's standard error.
    root = np.sqrt(weights)
    system, system_target = _ridge_system(design * root[:, None], target * root, penalty)
    q_matrix, upper = np.linalg.qr(system)
    diagonal = np.abs(np.diag(upper))
    square = upper.shape[0] == upper.shape[1]
    if square and diagonal.size and diagonal.min() > 1e-10 * max(diagonal.max(), 1e-300):
        coefficients = solve_triangular(upper, q_matrix.T @ system_target)
    else:
        coefficients = np.linalg.lstsq(system, system_target, rcond=None)[0]
    return _LeastSquares(coefficients, weights, q_matrix, upper)


def _weighted_normal_solve(
    design: np.ndarray, target: np.ndarray, weights: np.ndarray, penalty: np.ndarray
) -> np.ndarray:
    """Weighted ridge coefficients from the normal equations (fast; used between reweighting steps)."""
    weighted = design * weights[:, None]
    gram = design.T @ weighted + np.diag(penalty)
    try:
        return np.linalg.solve(gram, weighted.T @ target)
    except np.linalg.LinAlgError:
        return np.linalg.lstsq(gram, weighted.T @ target, rcond=None)[0]


def _price_coefficient(
    design: np.ndarray, log_price: np.ndarray, log_units: np.ndarray, penalty: np.ndarray, robust: bool
) -> tuple[float, float, _LeastSquares | None]:
    """Price coefficient (controls ridge-penalised) and its standard error, inflated for autocorrelation."""
    full = np.column_stack([design, log_price])
    n_rows, n_columns = full.shape
    if n_rows <= n_columns + 1 or np.linalg.norm(log_price) == 0:
        return np.nan, np.inf, None
    fit = _robust_least_squares(full, log_units, np.append(penalty, 0.0), robust)
    used = fit.weights > 0
    price_size = np.linalg.norm(log_price * np.sqrt(fit.weights))
    if price_size == 0 or abs(fit.upper[-1, -1]) / price_size < COLLINEAR_TOLERANCE:
        return np.nan, np.inf, None
    residuals = log_units - full @ fit.coefficients
    degrees = max(float(fit.weights.sum()) - n_columns, 1.0)
    variance = float(fit.weights * residuals @ residuals) / degrees / fit.upper[-1, -1] ** 2
    # Weekly residuals and prices are both autocorrelated; plain OLS errors would then be too narrow.
    # Variance factor (1 + rho*phi) / (1 - rho*phi) for AR(1) residuals and regressor.
    # Ref: Bence (1995), Ecology 76(2) 628-639 (short time series, autocorrelation)
    price_part = fit.q_matrix[:n_rows, -1][used] * fit.upper[-1, -1] / np.sqrt(fit.weights[used])
    rho = _lag_one_correlation(residuals[used])
    phi = _lag_one_correlation(price_part)
    product = float(np.clip(rho * phi, -0.9, 0.9))
    inflation = min(max(1.0, (1 + product) / (1 - product)), MAX_AUTOCORRELATION_INFLATION)
    return float(fit.coefficients[-1]), float(np.sqrt(variance * inflation)), fit


def _lag_one_correlation(values: np.ndarray) -> float:
    if len(values) < 3:
        return 0.0
    centred = values - values.mean()
    denominator = float(centred @ centred)
    return float(centred[1:] @ centred[:-1]) / denominator if denominator > 0 else 0.0


def _refit_controls(fit: SeriesFit, elasticity: float, settings: EstimationSettings) -> dict[str, Any]:
    """Re-estimate the controls with the (pooled) elasticity held fixed, then the current demand level."""
    if fit.design.size == 0:
        return {}
    price_effect = elasticity * fit.log_price if np.isfinite(elasticity) else 0.0
    target = fit.log_units - price_effect
    root = np.sqrt(fit.weights)
    system, system_target = _ridge_system(fit.design * root[:, None], target * root, fit.penalty)
    coefficients, *_ = np.linalg.lstsq(system, system_target, rcond=None)
    named = dict(zip(fit.names, map(float, coefficients), strict=True))
    # The trend only keeps a drifting level from biasing the other effects. Forecasts and base units
    # use a recency-weighted level instead: extrapolating a fitted line is what breaks holdouts.
    level_free = [name not in ("intercept", "trend") for name in fit.names]
    deseasoned = target - fit.design[:, level_free] @ coefficients[level_free]
    half_life = settings.level_half_life_weeks
    recency = 0.5 ** (fit.weeks_before_end / half_life) if half_life > 0 else np.ones(len(target))
    weights = recency * fit.weights
    if weights.sum() <= 0:
        weights = recency
    level = float(weights @ deseasoned / weights.sum())
    # Duan's smearing factor turns the mean of log units back into mean units.
    # Ref: Duan (1983), JASA 78(383) 605-610, "Smearing estimate: a nonparametric retransformation method".
    smearing = float(weights @ np.exp(deseasoned - level) / weights.sum())
    named["intercept"] = level
    named.pop("trend", None)
    holiday_share = float(fit.design[:, fit.names.index("holiday")].mean()) if "holiday" in fit.names else 0.0
    return {"coefficients": named, "smearing": smearing, "holiday_share": holiday_share}


def estimate_elasticities(
    sales: pd.DataFrame,
    products: pd.DataFrame | None = None,
    settings: EstimationSettings | None = None,
) -> pd.DataFrame:
    """Pooled price elasticity, its interval and a demand model per store x sku of the sales history."""
    settings = settings or EstimationSettings()
    weekly = to_weekly(sales)
    flags = [flag for flag in settings.promotion_controls if flag in weekly.columns]
    info = product_info(weekly, products)
    if info.empty:
        return info
    any_flag = [flag for flag in PROMOTION_FLAGS if flag in weekly.columns]
    # Any promotion, tpr_only included, disqualifies a week from setting the current regular price.
    promoted = weekly[any_flag].max(axis=1).to_numpy() > 0 if any_flag else np.zeros(len(weekly), dtype=bool)
    info["reference_price"] = _reference_prices(weekly, info, promoted)
    panel = _weekly_arrays(weekly, flags, settings)
    # to_weekly sorts by store, sku, week and product_info keeps that order: series are contiguous blocks.
    sizes = (
        weekly.groupby(["store", "sku"], sort=False)
        .size()
        .reindex(pd.MultiIndex.from_frame(info[["store", "sku"]]))
    )
    ends = np.cumsum(sizes.to_numpy())
    starts = ends - sizes.to_numpy()
    blocks = list(zip(starts, ends, info["reference_price"], strict=True))
    seasonal_profile = np.zeros((len(info), 2 * settings.fourier_order))
    seasonal_offset = None
    if settings.seasonality == "category" and settings.fourier_order > 0:
        own_seasons = dataclasses.replace(settings, seasonality="series", seasonal_ridge=0.0)
        first_pass = [
            _fit_series(panel, slice(start, end), flags, ref, own_seasons) for start, end, ref in blocks
        ]
        seasonal_profile = _category_seasonality(
            first_pass, info["category"].to_numpy(), settings.fourier_order
        )
        row_profile = np.repeat(seasonal_profile, ends - starts, axis=0)
        seasonal_offset = np.einsum("ij,ij->i", panel.fourier, row_profile)
    fits = [
        _fit_series(panel, slice(start, end), flags, ref, settings, seasonal_offset)
        for start, end, ref in blocks
    ]
    info["elasticity_own"] = [fit.elasticity for fit in fits]
    info["elasticity_own_se"] = [fit.standard_error for fit in fits]
    info["n_price_changes"] = [fit.extras["n_price_changes"] for fit in fits]
    info["n_weeks"] = [fit.extras["n_weeks"] for fit in fits]
    info["reason"] = [fit.reason for fit in fits]
    pooled = pool_elasticities(info[["sku", "category", "elasticity_own", "elasticity_own_se"]])
    info = pd.concat([info, pooled], axis=1)
    z_value = float(stats.norm.ppf(0.5 + settings.interval_level / 2))
    info["elasticity_ci_low"] = info["elasticity"] - z_value * info["elasticity_sd"]
    info["elasticity_ci_high"] = info["elasticity"] + z_value * info["elasticity_sd"]
    if not settings.use_price:
        info[["elasticity", "elasticity_sd", "elasticity_ci_low", "elasticity_ci_high"]] = 0.0
    info["demand"] = [
        _demand_spec(fit, elasticity, settings, profile)
        for fit, elasticity, profile in zip(
            fits, info["elasticity"].to_numpy(), seasonal_profile, strict=True
        )
    ]
    info["interval_level"] = settings.interval_level
    return info


def _demand_spec(
    fit: SeriesFit, elasticity: float, settings: EstimationSettings, seasonal_profile: np.ndarray
) -> dict[str, Any]:
    """JSON-ready description of the fitted weekly demand regression of one series."""
    refit = _refit_controls(fit, elasticity, settings)
    coefficients = refit.get("coefficients", {})
    last_week = fit.extras.get("last_week")
    # Keep every harmonic's slot (0 for one dropped as collinear) so predictions line up with the terms.
    own = [coefficients.get(f"fourier_{index}", 0.0) for index in range(2 * settings.fourier_order)]
    fourier = [float(shared + mine) for shared, mine in zip(seasonal_profile, own, strict=True)]
    intercept = coefficients.get("intercept", np.nan)
    holiday = coefficients.get("holiday", 0.0)
    # Base week: reference price, no promotion, current level, average season and holidays.
    base_log_units = intercept + holiday * refit.get("holiday_share", 0.0)
    base_units = (
        float(np.exp(base_log_units) * refit.get("smearing", 1.0)) if np.isfinite(base_log_units) else 0.0
    )
    return {
        "base_units": base_units,
        "intercept": _json_float(intercept),
        "holiday": holiday,
        "holiday_share": refit.get("holiday_share", 0.0),
        "holiday_country": settings.holiday_country,
        "fourier": fourier,
        "promotion_effects": {name: value for name, value in coefficients.items() if name in PROMOTION_FLAGS},
        "smearing": refit.get("smearing", 1.0),
        "last_week": last_week.strftime("%Y-%m-%d") if last_week is not None else None,
    }


def _json_float(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None
