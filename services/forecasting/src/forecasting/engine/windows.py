"""The global model's running totals: any trailing-window sum of a panel's history in O(1)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecasting.engine.panel import Panel
from forecasting.engine.price_response import substitute_drivers


class WindowSums:
    """Cumulative sums of a panel's history that make any trailing-window mean an O(1) lookup."""

    def __init__(self, panel: Panel, substitutes: bool = True, substitute_panel: Panel | None = None) -> None:
        y = panel.y
        n, t = y.shape
        ok = np.isfinite(y)
        vals = np.where(ok, y, 0.0)
        promo = np.nan_to_num(panel.flags["promotion"][:, :t], nan=0.0)
        self.panel = panel
        # Integer codes for LightGBM's native categorical splits.
        self.codes = {
            name: pd.factorize(panel.keys[col])[0].astype(np.int32)
            for name, col in (("category", "category"), ("sku_code", "sku"), ("store_code", "store"))
        }
        self.y = vals
        self.ok = ok
        self.cum_y = np.zeros((n, t + 1))
        self.cum_n = np.zeros((n, t + 1))
        self.cum_py = np.zeros((n, t + 1))
        self.cum_pn = np.zeros((n, t + 1))
        self.cum_zero = np.zeros((n, t + 1))
        self.cum_price = np.zeros((n, t + 1))
        np.cumsum(vals, axis=1, out=self.cum_y[:, 1:])
        np.cumsum(ok, axis=1, out=self.cum_n[:, 1:])
        np.cumsum(vals * promo * ok, axis=1, out=self.cum_py[:, 1:])
        np.cumsum(promo * ok, axis=1, out=self.cum_pn[:, 1:])
        np.cumsum(ok & (vals <= 0), axis=1, out=self.cum_zero[:, 1:])
        rel_price = panel.price[:, :t] / panel.regular[:, :t]
        np.cumsum(np.where(ok, rel_price, 0.0), axis=1, out=self.cum_price[:, 1:])
        self.substitutes = substitute_drivers(substitute_panel or panel) if substitutes else {}

    def window(self, cum: np.ndarray, rows: np.ndarray, origin: np.ndarray, width: int) -> np.ndarray:
        """Sum over the `width` periods before `origin` of a cumulative matrix, per row."""
        lo = np.maximum(origin - width, 0)
        return cum[rows, origin] - cum[rows, lo]
