"""Dense series-by-period matrices built from long sales rows, plus the known future drivers."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from forecasting.engine.metrics import nanmean

DAILY = "D"
WEEKLY = "W"
# Promotion-like 0/1 columns the engine understands; only `promotion` is required.
FLAG_COLUMNS = ("promotion", "feature", "display", "tpr_only")
# Bounds for the price / regular-price ratio: outside them the price is a data error, not a discount.
MIN_PRICE_RATIO = 0.2
MAX_PRICE_RATIO = 2.0


@dataclass
class Panel:
    """All series of one forecast call on a common period grid (history + horizon)."""

    keys: pd.DataFrame  # store, sku, category; row i is series i of every matrix
    freq: str  # "D" or "W"
    dates: pd.DatetimeIndex  # T history periods, then H future periods
    n_hist: int  # T
    horizon: int  # H
    season: int  # seasonal period in periods (7 daily, 52 weekly), 1 when none detected
    y: np.ndarray  # (n, T) net units, clipped at 0; NaN before a series' first sale
    start: np.ndarray  # (n,) index of the first period with a sale, T for a series with no history
    price: np.ndarray  # (n, T+H) price paid; where unknown the last non-promoted price, else regular
    regular: np.ndarray  # (n, T+H) regular (shelf) price
    flags: dict[str, np.ndarray]  # name -> (n, T+H) 0/1; NaN when the column never appeared
    planned: np.ndarray  # (n, H) True where the plan gave a driver for that series and period

    @property
    def n_series(self) -> int:
        """Number of series."""
        return len(self.keys)

    @property
    def n_history(self) -> np.ndarray:
        """Periods from each series' first sale to the end of history."""
        return (self.n_hist - self.start).astype(int)


def detect_frequency(dates: pd.Series | pd.DatetimeIndex) -> str:
    """Return "W" when all dates fall on one weekday in 7-day steps, else "D"."""
    unique = pd.DatetimeIndex(pd.unique(np.asarray(dates, dtype="datetime64[D]"))).sort_values()
    if len(unique) < 2:
        return DAILY
    steps = np.diff(unique.asi8) // (86_400 * 10**9)
    if unique.day_of_week.nunique() == 1 and bool(np.all(steps % 7 == 0)):
        return WEEKLY
    return DAILY


def horizon_periods(horizon_days: int, freq: str) -> int:
    """Horizon in periods: days for daily data, ceil(days / 7) weeks for weekly data."""
    if horizon_days < 1:
        raise ValueError(f"horizon_days must be >= 1, got {horizon_days}")
    return horizon_days if freq == DAILY else math.ceil(horizon_days / 7)


def period_index(dates: pd.Series, origin: pd.Timestamp, step_days: int, weekly: bool) -> np.ndarray:
    """Map dates to period numbers; a weekly date maps to the first grid date on or after it."""
    days = (dates.to_numpy(dtype="datetime64[D]") - np.datetime64(origin.date(), "D")).astype(np.int64)
    if weekly:
        return np.ceil(days / step_days).astype(np.int64)
    return days.astype(np.int64)


def _history_keys(history: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """Unique (store, sku) pairs of the history and each history row's index into them.

    Factorises the two columns separately and then their integer pair, which stays fast and small on
    tens of millions of rows (no per-row string or tuple objects).
    """
    store_codes, stores = pd.factorize(history["store"])
    sku_codes, skus = pd.factorize(history["sku"])
    pair = store_codes.astype(np.int64) * max(len(skus), 1) + sku_codes
    rows, pairs = pd.factorize(pair)
    pairs = np.asarray(pairs, dtype=np.int64)
    keys = pd.DataFrame(
        {
            "store": np.asarray(stores, dtype=object)[pairs // max(len(skus), 1)].astype(str),
            "sku": np.asarray(skus, dtype=object)[pairs % max(len(skus), 1)].astype(str),
        }
    )
    return keys, np.asarray(rows, dtype=np.int64)


def _add_keys(keys: pd.DataFrame, frame: pd.DataFrame | None) -> pd.DataFrame:
    """Append the (store, sku) pairs of `frame` that `keys` does not hold yet."""
    if frame is None or not len(frame):
        return keys
    extra = frame[["store", "sku"]].astype(str).drop_duplicates(ignore_index=True)
    new = extra[row_index(keys, extra) < 0]
    return pd.concat([keys, new], ignore_index=True) if len(new) else keys


def row_index(keys: pd.DataFrame, frame: pd.DataFrame) -> np.ndarray:
    """Row of each frame line in `keys`, matched on store and sku; -1 where absent."""
    if not len(keys):
        return np.full(len(frame), -1, dtype=np.int64)
    lookup = pd.MultiIndex.from_frame(keys[["store", "sku"]])
    probe = pd.MultiIndex.from_arrays([frame["store"].astype(str), frame["sku"].astype(str)])
    return np.asarray(lookup.get_indexer(probe), dtype=np.int64)


def _scatter_mean(n: int, width: int, rows: np.ndarray, cols: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Mean of `values` per (row, col) cell on an (n, width) grid; NaN where no value landed."""
    values = np.asarray(values, dtype=float)
    ok = np.isfinite(values)
    flat = rows[ok] * width + cols[ok]
    total = np.bincount(flat, weights=values[ok], minlength=n * width)
    count = np.bincount(flat, minlength=n * width)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = total / count
    return out.reshape(n, width)


def _scatter_max_flag(
    n: int, width: int, rows: np.ndarray, cols: np.ndarray, values: np.ndarray
) -> np.ndarray:
    """1 where any value in the cell is > 0, 0 where only zeros landed, NaN where nothing landed."""
    out = np.full(n * width, np.nan)
    values = np.nan_to_num(np.asarray(values, dtype=float), nan=0.0)
    flat = rows * width + cols
    out[flat] = 0.0
    out[flat[values > 0]] = 1.0
    return out.reshape(n, width)


def trailing_max(x: np.ndarray, window: int) -> np.ndarray:
    """Max over the last `window` periods (current included) of each row, NaNs skipped; NaN if none.

    Same as a pandas rolling(window, min_periods=1).max() per row, without its per-column loop:
    doubling spans (a sparse table) cover any window with two overlapping power-of-two spans.
    """
    n, t = x.shape
    window = max(1, min(window, t)) if t else 1
    padded = np.full((n, window - 1 + t), -np.inf)
    padded[:, window - 1 :] = np.where(np.isnan(x), -np.inf, x)
    span, spans = 1, padded
    while span * 2 <= window:
        spans = np.maximum(spans[:, :-span], spans[:, span:])
        span *= 2
    out = np.maximum(spans[:, :t], spans[:, window - span : window - span + t])
    return np.where(np.isfinite(out), out, np.nan)


def infer_regular_price(price: np.ndarray, promo: np.ndarray, window: int) -> np.ndarray:
    """Regular price per period: trailing max of non-promoted prices, forward-filled.

    Shelf prices only drop during promotions, so the recent non-promoted maximum is a robust estimate
    of the regular price; the first observed value back-fills the start.
    """
    base = np.where(promo > 0, np.nan, price)
    regular = pd.DataFrame(trailing_max(base, window).T).ffill().bfill()
    # Series that were always on promotion: fall back to their own maximum price paid.
    fallback = pd.DataFrame(trailing_max(price, window).T).ffill().bfill()
    return np.asarray(regular.fillna(fallback).to_numpy().T, dtype=float)


def detect_season(y: np.ndarray, freq: str) -> int:
    """Seasonal period (7 daily, 52 weekly) when the pooled autocorrelation shows it, else 1."""
    candidate = 7 if freq == DAILY else 52
    n_hist = y.shape[1]
    if n_hist < 2 * candidate + 1:
        return 1
    level = nanmean(y, axis=1)[:, None]
    ok = np.isfinite(level[:, 0]) & (level[:, 0] > 0)
    if not ok.any():
        return 1
    # Pool normalised series so big sellers do not drown the shape of the rest.
    pooled = nanmean(y[ok] / level[ok], axis=0)
    pooled = pooled[np.isfinite(pooled)]
    if len(pooled) < 2 * candidate + 1:
        return 1
    centred = pooled - pooled.mean()
    denom = float(np.sum(centred**2))
    if denom <= 0:
        return 1
    acf = float(np.sum(centred[candidate:] * centred[:-candidate]) / denom)
    # 0.2 is well above the ~2/sqrt(T) noise band for the history lengths we see.
    return candidate if acf > max(0.2, 2.0 / math.sqrt(len(pooled))) else 1


@dataclass
class _Grid:
    """The common period grid of a panel: frequency, first history date, T and H."""

    freq: str
    first: pd.Timestamp
    n_hist: int
    horizon: int

    @property
    def step_days(self) -> int:
        """Days per period."""
        return 7 if self.freq == WEEKLY else 1

    @property
    def dates(self) -> pd.DatetimeIndex:
        """The T history and H future period dates."""
        width = self.n_hist + self.horizon
        return pd.DatetimeIndex(self.first + pd.to_timedelta(np.arange(width) * self.step_days, unit="D"))

    def columns(self, dates: pd.Series) -> np.ndarray:
        """Period number of each date on the grid (a weekly date maps to the next grid date)."""
        return period_index(dates, self.first, self.step_days, self.freq == WEEKLY)


def _period_grid(hist_dates: pd.Series, plan: pd.DataFrame | None, horizon_days: int) -> _Grid:
    """The grid from the history's dates, or for brand-new items only, from the plan (or today)."""
    if len(hist_dates):
        freq = detect_frequency(hist_dates)
        first, last = hist_dates.min(), hist_dates.max()
    else:
        # Only brand-new items: anchor the grid on the plan (or today) and forecast daily.
        freq = detect_frequency(plan["date"]) if plan is not None else DAILY
        anchor = plan["date"].min() if plan is not None else pd.Timestamp.today().normalize()
        first = last = anchor - pd.Timedelta(days=7 if freq == WEEKLY else 1)
    step_days = 7 if freq == WEEKLY else 1
    n_hist = int((last - first).days // step_days) + 1
    return _Grid(freq, first, n_hist, horizon_periods(horizon_days, freq))


def _history_matrices(
    history: pd.DataFrame, rows: np.ndarray, cols: np.ndarray, n: int, grid: _Grid
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """Units, first-sale index, price, regular price and flags of the history rows on the grid.

    Duplicates of a cell are summed (quantity) or averaged (prices); the future columns stay NaN.
    """
    n_hist, width = grid.n_hist, grid.n_hist + grid.horizon
    qty = pd.to_numeric(history["quantity"], errors="coerce").fillna(0.0).to_numpy(dtype=float)
    flat = rows * n_hist + cols
    net = np.bincount(flat, weights=qty, minlength=n * n_hist).reshape(n, n_hist)
    seen = np.bincount(flat, minlength=n * n_hist).reshape(n, n_hist) > 0
    start = np.where(seen.any(axis=1), seen.argmax(axis=1), n_hist)
    period = np.arange(n_hist)[None, :]
    # Net units can be negative after returns: a period cannot sell fewer than zero units.
    y = np.where(period >= start[:, None], np.clip(net, 0.0, None), np.nan)
    price = np.full((n, width), np.nan)
    if "unit_price" in history.columns:
        price[:, :n_hist] = _scatter_mean(n, n_hist, rows, cols, history["unit_price"].to_numpy())
    price[price <= 0] = np.nan
    flags: dict[str, np.ndarray] = {}
    for name in FLAG_COLUMNS:
        flag_grid = np.full((n, width), np.nan)
        if name in history.columns:
            flag_grid[:, :n_hist] = _scatter_max_flag(n, n_hist, rows, cols, history[name].to_numpy())
        flags[name] = flag_grid
    regular = np.full((n, width), np.nan)
    if "regular_price" in history.columns:
        regular[:, :n_hist] = _scatter_mean(n, n_hist, rows, cols, history["regular_price"].to_numpy())
        regular[regular <= 0] = np.nan
    return y, start, price, regular, flags


def _apply_plan(
    plan: pd.DataFrame,
    keys: pd.DataFrame,
    grid: _Grid,
    price: np.ndarray,
    regular: np.ndarray,
    flags: dict[str, np.ndarray],
) -> np.ndarray:
    """Write the plan's drivers into the future columns (in place); True where the plan spoke."""
    n, n_hist, horizon = len(keys), grid.n_hist, grid.horizon
    planned = np.zeros((n, horizon), dtype=bool)
    p_rows = row_index(keys, plan)
    p_cols = grid.columns(plan["date"]) - n_hist
    keep = (p_cols >= 0) & (p_cols < horizon) & (p_rows >= 0)
    p_rows, p_cols, plan = p_rows[keep], p_cols[keep], plan.loc[keep]
    planned[p_rows, p_cols] = True
    if "unit_price" in plan.columns:
        fut = _scatter_mean(n, horizon, p_rows, p_cols, plan["unit_price"].to_numpy())
        price[:, n_hist:] = np.where(fut > 0, fut, np.nan)
    if "regular_price" in plan.columns:
        fut = _scatter_mean(n, horizon, p_rows, p_cols, plan["regular_price"].to_numpy())
        regular[:, n_hist:] = np.where(fut > 0, fut, np.nan)
    for name in FLAG_COLUMNS:
        if name in plan.columns:
            flags[name][:, n_hist:] = _scatter_max_flag(n, horizon, p_rows, p_cols, plan[name].to_numpy())
    return planned


def _categories(keys: pd.DataFrame, products: pd.DataFrame | None) -> np.ndarray:
    """Category of each series from the products (by store and sku, else by sku alone), "" if none."""
    category = np.full(len(keys), "", dtype=object)
    if products is None or not len(products) or "category" not in products.columns:
        return category
    cats = products.dropna(subset=["category"])
    if {"store", "sku"} <= set(cats.columns):
        idx = row_index(keys, cats)
        ok = idx >= 0
        category[idx[ok]] = cats["category"].astype(str).to_numpy()[ok]
    if "sku" in cats.columns:
        # Product master without a store column (or a store not listed): match on sku alone.
        by_sku = cats.assign(sku=cats["sku"].astype(str)).drop_duplicates("sku").set_index("sku")
        fill = keys["sku"].map(by_sku["category"].astype(str)).fillna("").to_numpy(dtype=object)
        category = np.where(category == "", fill, category)
    return category


def build_panel(
    history: pd.DataFrame,
    horizon_days: int,
    plan: pd.DataFrame | None = None,
    products: pd.DataFrame | None = None,
) -> Panel:
    """Turn long history/plan/product rows into a Panel of dense matrices."""
    missing = {"store", "sku", "date", "quantity"} - set(history.columns)
    if missing:
        raise ValueError(f"history is missing columns: {sorted(missing)}")
    # No copy of `history`: it may hold tens of millions of rows.
    hist_dates = pd.to_datetime(history["date"]).dt.normalize()
    if plan is not None and len(plan):
        plan = plan.assign(date=pd.to_datetime(plan["date"]).dt.normalize())
    else:
        plan = None

    keys, rows = _history_keys(history)
    keys = _add_keys(keys, plan)
    if products is not None and len(products) and {"store", "sku"} <= set(products.columns):
        keys = _add_keys(keys, products)
    n = len(keys)
    if n == 0:
        raise ValueError("no series: history, plan and products are all empty")

    grid = _period_grid(hist_dates, plan, horizon_days)
    cols = grid.columns(hist_dates)
    y, start, price, regular, flags = _history_matrices(history, rows, cols, n, grid)
    planned = np.zeros((n, grid.horizon), dtype=bool)
    if plan is not None:
        planned = _apply_plan(plan, keys, grid, price, regular, flags)
    _complete_drivers(price, regular, flags, grid.n_hist, grid.freq)
    keys = keys.assign(category=_categories(keys, products).astype(str))
    return Panel(
        keys=keys.reset_index(drop=True),
        freq=grid.freq,
        dates=grid.dates,
        n_hist=grid.n_hist,
        horizon=grid.horizon,
        season=detect_season(y, grid.freq),
        y=y,
        start=start.astype(int),
        price=price,
        regular=regular,
        flags=flags,
        planned=planned,
    )


def _complete_drivers(
    price: np.ndarray, regular: np.ndarray, flags: dict[str, np.ndarray], n_hist: int, freq: str
) -> None:
    """Fill unknown prices, regular prices and flags in place (history and future)."""
    any_flag = np.zeros_like(price)
    for grid in flags.values():
        any_flag = np.maximum(any_flag, np.nan_to_num(grid, nan=0.0))
    window = 13 if freq == WEEKLY else 56
    inferred = infer_regular_price(price[:, :n_hist], any_flag[:, :n_hist], window)
    hist_regular = np.where(np.isfinite(regular[:, :n_hist]), regular[:, :n_hist], inferred)
    hist_regular = pd.DataFrame(hist_regular.T).ffill().bfill().to_numpy().T
    regular[:, :n_hist] = hist_regular
    # Future regular price: the plan's when given, else the last known regular price.
    last_regular = hist_regular[:, -1:] if n_hist else np.full((price.shape[0], 1), np.nan)
    fut = regular[:, n_hist:]
    regular[:, n_hist:] = np.where(np.isfinite(fut), fut, last_regular)
    # A brand-new item has no price at all: use its planned price as regular, else leave it 1.0.
    planned_price = np.nanmax(np.where(np.isfinite(price[:, n_hist:]), price[:, n_hist:], -np.inf), axis=1)
    no_regular = ~np.isfinite(regular)
    regular[no_regular] = np.broadcast_to(
        np.where(np.isfinite(planned_price), planned_price, 1.0)[:, None], regular.shape
    )[no_regular]
    # Periods with no sale (or no plan) carry the last price seen outside a promotion: the shelf
    # price stays where it was. Filling them with the regular price instead made "price exactly
    # regular" mean "no sale" wherever paid prices sit below it (volume discounts in transactional
    # data), so every unplanned future day looked like a no-sale day (forecasts far too low).
    unknown = ~np.isfinite(price)
    shelf = np.where(any_flag > 0, np.nan, price)
    shelf = pd.DataFrame(shelf.T).ffill().to_numpy().T
    price[unknown] = np.where(np.isfinite(shelf), shelf, regular)[unknown]
    np.clip(price, regular * MIN_PRICE_RATIO, regular * MAX_PRICE_RATIO, out=price)
    for name, grid in flags.items():
        if np.isnan(grid).all():
            continue
        grid[np.isnan(grid)] = 0.0
        flags[name] = grid
