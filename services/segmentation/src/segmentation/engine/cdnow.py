"""The CDNOW sample of Fader, Hardie & Lee (2005), used to check our CLV fits against the paper.

The published estimates and the paper's calibration summary; the sample itself (which ships inside
the dev dependency ``lifetimes``) is read by ``common.testing.datasets.load_cdnow_sample``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

# Published estimates. Ref: Fader, Hardie & Lee (2005), Marketing Science 24(2), p. 280 (BG/NBD);
# Fader & Hardie (2013), "The Gamma-Gamma Model of Monetary Value", p. 4 (Gamma-Gamma).
PUBLISHED_BGNBD: dict[str, float] = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
PUBLISHED_GAMMA_GAMMA: dict[str, float] = {"p": 6.25, "q": 3.74, "gamma": 15.44}
PUBLISHED_REPEAT_CUSTOMERS = 946
CALIBRATION_END = pd.Timestamp("1997-09-30")  # last day of the 39-week calibration period


def calibration_summary(
    transactions: pd.DataFrame,
    end: pd.Timestamp,
    *,
    time_unit_days: float = 7.0,
) -> pd.DataFrame:
    """Per customer: frequency (repeat purchase days), recency t_x, age T, mean repeat spend.

    ``transactions`` has customer_id, date and amount; only dates <= ``end`` are used. Purchases
    on the same day are one purchase, as in the paper. Time is in units of ``time_unit_days``.
    """
    calib = transactions.loc[transactions["date"] <= end, ["customer_id", "date", "amount"]]
    daily = calib.groupby(["customer_id", "date"], sort=True)["amount"].sum().reset_index()
    per = daily.groupby("customer_id", sort=True)
    first = per["date"].min()
    last = per["date"].max()
    days = per.size()
    total = per["amount"].sum()
    # ``daily`` is sorted by (customer, date), so each customer's first row is the first purchase.
    first_amount = daily.groupby("customer_id", sort=True)["amount"].first()
    frequency = (days - 1).astype(np.int64)
    unit_seconds = 86_400.0 * time_unit_days
    # Mean spend per REPEAT purchase (the first purchase is excluded, as in Fader & Hardie 2013).
    repeat_spend = (total - first_amount) / frequency.where(frequency > 0)
    return pd.DataFrame(
        {
            "frequency": frequency,
            "recency": (last - first).dt.total_seconds() / unit_seconds,
            "T": (end - first).dt.total_seconds() / unit_seconds,
            "monetary": repeat_spend.fillna(0.0),
        }
    )
