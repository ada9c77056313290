"""The CDNOW sample of Fader, Hardie & Lee (2005), used to check our CLV fits against the paper.

The 2,357-customer sample ships inside the PyPI package ``Lifetimes`` (a dev dependency). We only
read its data file, never import the package, because it does not import on every numpy version.
"""

from __future__ import annotations

import importlib.metadata
from pathlib import Path

import numpy as np
import pandas as pd

# Published estimates. Ref: Fader, Hardie & Lee (2005), Marketing Science 24(2), p. 280 (BG/NBD);
# Fader & Hardie (2013), "The Gamma-Gamma Model of Monetary Value", p. 4 (Gamma-Gamma).
PUBLISHED_BGNBD: dict[str, float] = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
PUBLISHED_GAMMA_GAMMA: dict[str, float] = {"p": 6.25, "q": 3.74, "gamma": 15.44}
PUBLISHED_REPEAT_CUSTOMERS = 946
CALIBRATION_START = pd.Timestamp("1997-01-01")
CALIBRATION_END = pd.Timestamp("1997-09-30")  # last day of the 39-week calibration period


def cdnow_sample_path() -> Path:
    """Location of ``CDNOW_sample.txt`` inside the installed ``lifetimes`` distribution."""
    dist = importlib.metadata.distribution("lifetimes")
    return Path(str(dist.locate_file("lifetimes/datasets/CDNOW_sample.txt")))


def read_cdnow_sample(path: Path | None = None) -> pd.DataFrame:
    """Raw CDNOW sample transactions: customer_id:str, date:datetime64, cds:int, amount:float."""
    # Whitespace-separated: master id, sample id (1..2357), yyyymmdd, number of CDs, dollar value.
    raw = pd.read_csv(
        path or cdnow_sample_path(),
        sep=r"\s+",
        header=None,
        names=["master_id", "customer_id", "date", "cds", "amount"],
        dtype={"master_id": str, "customer_id": str, "date": str, "cds": np.int64, "amount": np.float64},
    )
    raw["date"] = pd.to_datetime(raw["date"], format="%Y%m%d")
    return raw[["customer_id", "date", "cds", "amount"]]


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
