"""Known-answer tests of forecast reconciliation on generated hierarchies."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecasting.engine import forecast
from forecasting.engine.hierarchy import LEVELS, build_hierarchy
from forecasting.engine.reconcile import METHODS, coherence_error, pick_method, projector, reconcile

WEEKS, HORIZON, WINDOWS = 104, 13, 3


def _catalogue(stores: int = 3, categories: int = 2, skus: int = 5) -> pd.DataFrame:
    """store, sku, category of a small catalogue (every sku in every store)."""
    return pd.DataFrame(
        [
            {"store": f"S{s}", "sku": f"C{c}P{k}", "category": f"C{c}"}
            for s in range(stores)
            for c in range(categories)
            for k in range(skus)
        ]
    )


def _easy_aggregates(
    seed: int = 0,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Smooth store demand split over items at fixed shares; item base forecasts carry heavy noise.

    Returns items, history, base points, backtest rows and the held-out truth. Each item's base
    forecast is its true mean times independent noise, so sums of item forecasts are noisy while
    each aggregate's own (smooth) history forecasts it well: reconciliation should use that.
    """
    rng = np.random.default_rng(seed)
    items = _catalogue()
    dates = pd.date_range("2022-01-03", periods=WEEKS + HORIZON, freq="7D")
    store_level = {s: rng.uniform(300, 600) for s in items["store"].unique()}
    shares = rng.dirichlet(np.ones(10), size=3).reshape(-1)
    mean = np.array([store_level[s] * share for s, share in zip(items["store"], shares, strict=True)])
    truth = mean[:, None] * np.ones(len(dates))[None, :] + rng.normal(0, 1, (len(items), len(dates)))
    truth = np.clip(truth, 0, None)
    long = items.loc[items.index.repeat(len(dates))].reset_index(drop=True)
    long["date"] = np.tile(dates, len(items))
    long["quantity"] = truth.reshape(-1)
    history = long[long["date"] < dates[WEEKS]].drop(columns="category")
    future = long[long["date"] >= dates[WEEKS]].drop(columns="category")

    def noisy(size: tuple[int, ...]) -> np.ndarray:
        return mean.reshape((-1,) + (1,) * (len(size) - 1)) * rng.lognormal(0.0, 0.6, size)

    points = future[["store", "sku", "date"]].copy()
    p50 = noisy((len(items), HORIZON))
    points["p50"] = p50.reshape(-1)
    points["p10"] = 0.6 * points["p50"]
    points["p90"] = 1.5 * points["p50"]
    rows = []
    for window in range(WINDOWS):
        start = WEEKS - (WINDOWS - window) * HORIZON
        window_dates = dates[start : start + HORIZON]
        rows.append(
            pd.DataFrame(
                {
                    "store": np.repeat(items["store"], HORIZON),
                    "sku": np.repeat(items["sku"], HORIZON),
                    "window": window,
                    "date": np.tile(window_dates, len(items)),
                    "forecast": noisy((len(items), HORIZON)).reshape(-1),
                    "actual": truth[:, start : start + HORIZON].reshape(-1),
                }
            )
        )
    return items, history, points, pd.concat(rows, ignore_index=True), future


def _levels_of(frame: pd.DataFrame, items: pd.DataFrame, value: str) -> pd.DataFrame:
    """Sums of `value` per level, key and date from item rows."""
    merged = frame.merge(items, on=["store", "sku"])
    keys = {
        "total": pd.Series("total", index=merged.index),
        "category": merged["category"],
        "store": merged["store"],
        "store_category": merged["store"] + "|" + merged["category"],
    }
    return pd.concat(
        [
            merged.groupby([keys[level].rename("key"), merged["date"]])[value]
            .sum()
            .reset_index()
            .assign(level=level)
            for level in LEVELS
        ],
        ignore_index=True,
    )


def test_projections_match_hierarchicalforecast_mintrace() -> None:
    from hierarchicalforecast.methods import BottomUp, MinTrace

    rng = np.random.default_rng(3)
    hierarchy = build_hierarchy(_catalogue(stores=2, categories=2, skus=3))
    nodes = len(hierarchy.nodes)
    y_hat = rng.uniform(1, 50, (nodes, 4))
    residuals = rng.normal(0, 1, (nodes, 30)) * rng.uniform(0.5, 3, (nodes, 1))
    summing = hierarchy.summing_matrix()
    for method in METHODS:
        library = BottomUp() if method == "bottom_up" else MinTrace(method=method)
        library.fit(S=summing, y_hat=y_hat, y_insample=residuals, y_hat_insample=np.zeros_like(residuals))
        expected = library.P @ y_hat
        np.testing.assert_allclose(
            projector(method, hierarchy, residuals)(y_hat), expected, rtol=1e-7, atol=1e-7
        )


def test_method_chosen_by_backtest_uses_the_easier_aggregates() -> None:
    items, history, points, backtest, future = _easy_aggregates()
    result = reconcile(points, backtest, history, items)
    assert result.method != "bottom_up"
    assert result.scores[result.method] < result.scores["bottom_up"]
    actual = _levels_of(future, items, "quantity")
    bottom_up = _levels_of(points, items, "p50").rename(columns={"p50": "bottom_up"})
    scored = result.levels.merge(actual, on=["level", "key", "date"]).merge(
        bottom_up, on=["level", "key", "date"]
    )
    for level in LEVELS:
        rows = scored[scored["level"] == level]
        reconciled_error = (rows["p50"] - rows["quantity"]).abs().sum()
        bottom_up_error = (rows["bottom_up"] - rows["quantity"]).abs().sum()
        assert reconciled_error < bottom_up_error, level


def test_a_method_worse_than_bottom_up_at_any_level_is_not_chosen() -> None:
    bottom_up = {"total": 0.061, "category": 0.108, "store": 0.100, "store_category": 0.156, "item": 0.384}
    # Better on average over the levels, but worse for the category and store x category planners.
    trading = {"total": 0.050, "category": 0.110, "store": 0.090, "store_category": 0.157, "item": 0.384}
    method, scores = pick_method({"bottom_up": bottom_up, "wls_var": trading})
    assert scores["wls_var"] < scores["bottom_up"]
    assert method == "bottom_up"
    # No worse anywhere and better somewhere: it wins, and the better of two such methods wins.
    better = {**bottom_up, "total": 0.055, "store": 0.095}
    best = {**bottom_up, "total": 0.050, "store": 0.090, "item": 0.380}
    method, _ = pick_method(
        {"bottom_up": bottom_up, "wls_struct": better, "mint_shrink": best, "wls_var": trading}
    )
    assert method == "mint_shrink"


def test_every_level_adds_up_and_quantiles_are_coherent() -> None:
    items, history, points, backtest, _ = _easy_aggregates(seed=1)
    # A closed store week (every quantile zero) stays zero; a big negative adjustment is clipped.
    closed = (points["store"] == "S0") & (points["date"] == points["date"].min())
    points.loc[closed, ["p10", "p50", "p90"]] = 0.0
    result = reconcile(points, backtest, history, items)
    sums = _levels_of(result.items, items, "p50").rename(columns={"p50": "sum"})
    merged = result.levels.merge(sums, on=["level", "key", "date"], how="outer")
    assert not merged[["p50", "sum"]].isna().any().any()
    assert set(merged["level"]) == set(LEVELS)
    assert ((merged["p50"] - merged["sum"]).abs() <= 1e-9 * merged["p50"].abs().clip(lower=1.0)).all()
    assert result.coherence <= 1e-9
    for frame in (result.items, result.levels):
        assert (frame["p10"] >= 0).all()
        assert (frame["p10"] <= frame["p50"] + 1e-12).all()
        assert (frame["p50"] <= frame["p90"] + 1e-12).all()
    closed_rows = result.items.merge(
        points.loc[closed, ["store", "sku", "date"]], on=["store", "sku", "date"]
    )
    assert len(closed_rows) == 10 and (closed_rows[["p10", "p50", "p90"]] == 0).all().all()
    # The aggregates' bands come from summed sample paths: wider than any item's, narrower than
    # the sum of the items' band widths (errors partly cancel).
    total = result.levels[result.levels["level"] == "total"].set_index("date")
    item_widths = (
        (result.items["p90"] - result.items["p10"]).groupby(result.items["date"]).agg(["max", "sum"])
    )
    width = total["p90"] - total["p10"]
    assert (width > item_widths["max"]).all()
    assert (width < item_widths["sum"]).all()


def test_reconciles_the_engines_own_forecast_and_backtest() -> None:
    items = _catalogue(stores=2, categories=2, skus=3)
    rng = np.random.default_rng(5)
    dates = pd.date_range("2022-01-03", periods=WEEKS, freq="7D")
    history = items.loc[items.index.repeat(WEEKS)].reset_index(drop=True).drop(columns="category")
    history["date"] = np.tile(dates, len(items))
    history["quantity"] = rng.poisson(20, len(history)).astype(float)
    result = forecast(history, HORIZON * 7, products=items, candidates=["moving_average", "ets"])
    assert result.backtest is not None and set(result.backtest["window"]) == {0, 1, 2}
    reconciled = reconcile(result.points, result.backtest, history, items)
    assert reconciled.method in METHODS
    assert len(reconciled.items) == len(result.points)
    levels = reconciled.levels
    assert coherence_error(build_hierarchy(items), _stacked(levels, reconciled.items)) <= 1e-9


def _stacked(levels: pd.DataFrame, items: pd.DataFrame) -> np.ndarray:
    """Every node's p50 (aggregates in hierarchy order, then items) as (nodes, H)."""
    horizon = items["date"].nunique()
    return np.vstack(
        [levels["p50"].to_numpy().reshape(-1, horizon), items["p50"].to_numpy().reshape(-1, horizon)]
    )


@pytest.mark.parametrize("windows", [0, 1])
def test_without_enough_backtest_windows(windows: int) -> None:
    items, history, points, backtest, _ = _easy_aggregates(seed=2)
    result = reconcile(points, backtest[backtest["window"] < windows], history, items)
    if windows == 0:
        assert result.method == "bottom_up"
        merged = result.items.merge(points, on=["store", "sku", "date"], suffixes=("", "_base"))
        np.testing.assert_allclose(merged["p50"], merged["p50_base"])
    assert result.coherence <= 1e-9


def test_an_imposed_method_skips_the_selection() -> None:
    items, history, points, backtest, _ = _easy_aggregates(seed=4)
    imposed = reconcile(points, backtest, history, items, method="bottom_up")
    assert imposed.method == "bottom_up" and imposed.scores == {}
    merged = imposed.items.merge(points, on=["store", "sku", "date"], suffixes=("", "_base"))
    np.testing.assert_allclose(merged["p50"], merged["p50_base"])
    assert reconcile(points, backtest, history, items, method="mint_shrink").method == "mint_shrink"


def test_a_large_hierarchy_leaves_the_full_covariance_out(monkeypatch: pytest.MonkeyPatch) -> None:
    import forecasting.engine.reconcile as reconcile_module

    items, history, points, backtest, _ = _easy_aggregates(seed=5)
    monkeypatch.setattr(reconcile_module, "MAX_DENSE_NODES", 10)
    result = reconcile(points, backtest, history, items)
    assert set(result.scores) == {"bottom_up", "ols", "wls_struct", "wls_var"}
    assert result.coherence <= 1e-9
