"""The public data sets that benches and tests read in place: where they live and how to load them.

The real retail data sits beside the project in `../shared/data` (override with $SHARED_DATA_DIR) and
is never committed. Loaders only read and rename: each returns the raw file in the platform's column
names, and the caller decides what to hold out, aggregate or sample.
"""

from __future__ import annotations

import importlib.metadata
import os
from pathlib import Path

import numpy as np
import pandas as pd

from common.settings import REPO_ROOT

SHARED_DATA_ENV = "SHARED_DATA_DIR"
FRAT = "breakfast_at_the_frat"
FRAT_TRANSACTIONS = f"{FRAT}/transaction.csv.gz"
ONLINE_RETAIL = "online_retail/online_retail_2010-12-01_2011-12-09.csv.gz"
# Breakfast at the Frat's promotion flags, as the forecasting and pricing engines name them.
FRAT_FLAGS = ("feature", "display", "tpr_only")


def shared_data_dir() -> Path:
    """Folder of the real data sets: $SHARED_DATA_DIR, else `../shared/data` beside the repository."""
    return Path(os.environ.get(SHARED_DATA_ENV, REPO_ROOT.parent / "shared" / "data"))


def frat_transactions_path() -> Path:
    """Breakfast at the Frat's weekly store x product file."""
    return shared_data_dir() / FRAT_TRANSACTIONS


def online_retail_path() -> Path:
    """UCI Online Retail's invoice lines file."""
    return shared_data_dir() / ONLINE_RETAIL


def load_frat(nrows: int | None = None) -> pd.DataFrame:
    """Breakfast at the Frat as sales rows: store, sku (str), date, quantity, prices and the flags."""
    raw = pd.read_csv(frat_transactions_path(), nrows=nrows)
    return pd.DataFrame(
        {
            "store": raw["store_id"].astype(str),
            "sku": raw["upc_id"].astype(str),
            "date": pd.to_datetime(raw["week_end_date"]),
            "quantity": raw["units"].astype(float),
            "unit_price": raw["price"].astype(float),
            "regular_price": raw["base_price"].astype(float),
            **{flag: raw[flag].fillna(0).astype(float) for flag in FRAT_FLAGS},
        }
    )


def load_frat_products() -> pd.DataFrame:
    """Breakfast at the Frat's products: sku (str), category, name."""
    products = pd.read_csv(shared_data_dir() / FRAT / "product.csv")
    return pd.DataFrame(
        {
            "sku": products["upc_id"].astype(str),
            "category": products["category"],
            "name": products["description"],
        }
    )


def load_frat_stores() -> pd.DataFrame:
    """Breakfast at the Frat's stores: store (str), name, city, country (all US), subdivision (state)."""
    stores = pd.read_csv(shared_data_dir() / FRAT / "store.csv")
    return pd.DataFrame(
        {
            "store": stores["store_id"].astype(str),
            "name": stores["store_name"],
            "city": stores["address_city_name"],
            "country": "US",
            "subdivision": stores["address_state_prov_code"],
        }
    )


def load_online_retail() -> pd.DataFrame:
    """UCI Online Retail invoice lines: customer_id, transaction_id, sku (text), date, quantity, unit_price.

    Cancellations stay in (invoice numbers starting with "C", negative quantities), as in the file.
    """
    raw = pd.read_csv(online_retail_path(), dtype={"InvoiceNo": str, "StockCode": str, "CustomerID": str})
    return pd.DataFrame(
        {
            "customer_id": raw["CustomerID"],
            "transaction_id": raw["InvoiceNo"],
            "sku": raw["StockCode"],
            "date": pd.to_datetime(raw["InvoiceDate"]),
            "quantity": raw["Quantity"].astype(float),
            "unit_price": raw["UnitPrice"].astype(float),
        }
    )


def online_retail_daily(lines: pd.DataFrame, min_days: int) -> pd.DataFrame:
    """Daily store x sku rows (one store, "online") of the SKUs with a sale on `min_days`+ days.

    `lines` are `load_online_retail` rows the caller has filtered; quantity is summed and unit
    price is the median per sku and day.
    """
    lines = lines.assign(date=lines["date"].dt.normalize())
    daily = (
        lines.groupby(["sku", "date"])
        .agg(quantity=("quantity", "sum"), unit_price=("unit_price", "median"))
        .reset_index()
    )
    days = daily[daily["quantity"] > 0].groupby("sku").size()
    daily = daily[daily["sku"].isin(days[days >= min_days].index)]
    return pd.DataFrame(
        {
            "store": "online",
            "sku": daily["sku"].astype(str),
            "date": daily["date"],
            "quantity": daily["quantity"].astype(float),
            "unit_price": daily["unit_price"].astype(float),
            "promotion": 0.0,
        }
    )


def cdnow_sample_path() -> Path:
    """Location of `CDNOW_sample.txt` inside the installed `lifetimes` distribution (a dev dependency).

    Only the data file is read, never the package, which does not import on every numpy version.
    """
    dist = importlib.metadata.distribution("lifetimes")
    return Path(str(dist.locate_file("lifetimes/datasets/CDNOW_sample.txt")))


def load_cdnow_sample(path: Path | None = None) -> pd.DataFrame:
    """The CDNOW sample of Fader, Hardie & Lee (2005): customer_id, date, cds, amount."""
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
