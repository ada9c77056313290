"""Prophet as a per-series candidate (and the bench's comparison): defaults, optional drivers."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from forecasting.engine.panel import Panel


def _quiet() -> None:
    """Silence cmdstanpy's per-fit INFO chatter, which would flood worker logs."""
    for name in ("cmdstanpy", "prophet"):
        logging.getLogger(name).setLevel(logging.WARNING)


def prophet_forecasts(panel: Panel, origins: list[int], drivers: bool = False) -> np.ndarray:
    """Forecasts (n, len(origins), H) from one Prophet fit per series and origin.

    With `drivers`, the price ratio and promotion flag enter as extra regressors; without, this is
    Prophet with its defaults (no intervals, which we calibrate ourselves).
    """
    from prophet import Prophet

    _quiet()
    n, horizon = panel.n_series, panel.horizon
    out = np.zeros((n, len(origins), horizon))
    ratio = panel.price / panel.regular
    promo = np.nan_to_num(panel.flags["promotion"], nan=0.0)
    for i in range(n):
        for k, origin in enumerate(origins):
            start = int(panel.start[i])
            if origin - start < 2:
                seen = panel.y[i, start:origin] if origin > start else np.zeros(0)
                out[i, k] = float(np.mean(seen)) if len(seen) else 0.0
                continue
            frame = pd.DataFrame({"ds": panel.dates[start:origin], "y": panel.y[i, start:origin]})
            future = pd.DataFrame({"ds": panel.dates[origin : origin + horizon]})
            model = Prophet(uncertainty_samples=0)
            if drivers:
                for name, grid in (("price_ratio", ratio), ("promotion", promo)):
                    model.add_regressor(name)
                    frame[name] = grid[i, start:origin]
                    future[name] = grid[i, origin : origin + horizon]
            model.fit(frame)
            pred = model.predict(future)["yhat"].to_numpy()
            out[i, k, : len(pred)] = pred
    return np.clip(out, 0.0, None)
