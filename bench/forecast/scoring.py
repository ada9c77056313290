"""Scores of a forecast on held-out rows: WAPE, MASE, bias and the p10-p90 band's coverage."""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecasting.engine.panel import Panel, build_panel


def score(scored: pd.DataFrame, pred: pd.DataFrame, scale: pd.Series) -> dict[str, float]:
    """WAPE, MASE (over `scale`, see naive_scale), p10-p90 coverage of `pred` on the scored rows."""
    merged = scored.merge(pred, on=["store", "sku", "date"], how="left")
    missing = int(merged["p50"].isna().sum())
    merged["p50"] = merged["p50"].fillna(0.0)
    err = (merged["quantity"] - merged["p50"]).abs()
    out = {"wape": float(err.sum() / merged["quantity"].sum()), "missing": missing}
    # Forecast units over actual units: 1 is unbiased, 0.33 a three-fold under-forecast.
    out["units_ratio"] = float(merged["p50"].sum() / merged["quantity"].sum())
    mae = err.groupby([merged["store"], merged["sku"]]).mean()
    ratio = (mae / scale.reindex(mae.index)).replace([np.inf], np.nan).dropna()
    out["mase"] = float(ratio.mean())
    if "p10" in merged and merged["p10"].notna().all():
        inside = (merged["quantity"] >= merged["p10"]) & (merged["quantity"] <= merged["p90"])
        out["coverage80"] = float(inside.mean())
        out["below_p10"] = float((merged["quantity"] < merged["p10"]).mean())
        out["above_p90"] = float((merged["quantity"] > merged["p90"]).mean())
        out["zero_share"] = float((merged["quantity"] <= 0).mean())
    else:
        out["coverage80"] = float("nan")
    return out


def naive_scale(history: pd.DataFrame) -> pd.Series:
    """In-sample one-step naive MAE per series on the dense (zero-filled) history."""
    panel = build_panel(history, 7, None, None)
    diffs = np.abs(np.diff(panel.y, axis=1))
    with np.errstate(invalid="ignore"):
        scale = np.nanmean(diffs, axis=1)
    index = pd.MultiIndex.from_frame(panel.keys[["store", "sku"]])
    return pd.Series(np.where(scale > 0, scale, np.nan), index=index)


def panel_points(panel: Panel, preds: np.ndarray) -> pd.DataFrame:
    """Long (store, sku, date, p50) frame from an (n, H) forecast matrix of a panel."""
    n, horizon = preds.shape
    return pd.DataFrame(
        {
            "store": np.repeat(panel.keys["store"].to_numpy(), horizon),
            "sku": np.repeat(panel.keys["sku"].to_numpy(), horizon),
            "date": np.tile(panel.dates[panel.n_hist :].to_numpy(), n),
            "p50": preds.reshape(-1),
        }
    )


def only(frame: pd.DataFrame, keys: pd.DataFrame) -> pd.DataFrame:
    """Rows of `frame` whose (store, sku) pair is present in `keys`."""
    wanted = pd.MultiIndex.from_frame(keys[["store", "sku"]].drop_duplicates())
    return frame[pd.MultiIndex.from_frame(frame[["store", "sku"]]).isin(wanted)]
