"""SQL of stock-outs for the forecasting worker: the stock snapshots it reads, the stock-outs it writes."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import pandas as pd
import pyarrow as pa
from sqlalchemy import Connection, text

from common.frames import read_frame, write_frame
from common.stockouts import COLUMNS

_STR = pa.string()
_KEYS = {"store": _STR, "sku": _STR}
# write_frame quotes the names ("end" is an SQL keyword).
STOCKOUT_COLUMNS = ("organization_id", *COLUMNS)


def _store_filter(stores: Sequence[str] | None) -> str:
    return "" if stores is None else " AND store = ANY(%(stores)s)"


def load_stock(
    connection: Connection, organization_id: uuid.UUID, stores: Sequence[str], as_of: pd.Timestamp
) -> pd.DataFrame:
    """The stock snapshots (store, sku, date, on_hand, in_stock) of some stores up to `as_of`."""
    frame = read_frame(
        connection,
        "SELECT store, sku, date, on_hand, in_stock FROM stock_snapshots"
        " WHERE organization_id = %(org)s AND date <= %(as_of)s" + _store_filter(stores),
        {"org": str(organization_id), "as_of": as_of.date(), "stores": list(stores)},
        _KEYS,
    )
    if len(frame):
        frame["date"] = pd.to_datetime(frame["date"])
        frame["on_hand"] = pd.to_numeric(frame["on_hand"], errors="coerce").astype(float)
        frame["in_stock"] = frame["in_stock"].astype(str).str.lower().isin(["t", "true"])
    return frame


def stock_fingerprints(
    connection: Connection,
    organization_id: uuid.UUID,
    as_of: pd.Timestamp,
    stores: Sequence[str] | None = None,
) -> pd.DataFrame:
    """store, sku and a hash of each item's snapshots up to `as_of` (a new snapshot re-fits it)."""
    return read_frame(
        connection,
        """
        SELECT store, sku, md5(string_agg(date::text || ':' || coalesce(on_hand::text, '') || ':'
                                          || in_stock::text, ',' ORDER BY date)) AS stock_fingerprint
        FROM stock_snapshots WHERE organization_id = %(org)s AND date <= %(as_of)s"""
        + _store_filter(stores)
        + " GROUP BY store, sku",
        {"org": str(organization_id), "as_of": as_of.date(), "stores": list(stores or [])},
        {**_KEYS, "stock_fingerprint": _STR},
    )


def replace_stockouts(
    connection: Connection, organization_id: uuid.UUID, keys: pd.DataFrame, stockouts: pd.DataFrame
) -> int:
    """Replace the stock-outs of these series (store, sku) with `stockouts`; returns rows written."""
    connection.execute(
        text("CREATE TEMP TABLE IF NOT EXISTS _stockout_keys (store text, sku text) ON COMMIT DROP")
    )
    connection.execute(text("TRUNCATE _stockout_keys"))
    write_frame(connection, "_stockout_keys", keys[["store", "sku"]].drop_duplicates(), ("store", "sku"))
    connection.execute(
        text("""
        DELETE FROM stockouts s USING _stockout_keys k
        WHERE s.organization_id = :org AND s.store = k.store AND s.sku = k.sku"""),
        {"org": organization_id},
    )
    rows = stockouts.merge(keys[["store", "sku"]].drop_duplicates(), on=["store", "sku"])
    rows = rows.assign(organization_id=str(organization_id))
    return write_frame(connection, "stockouts", rows, STOCKOUT_COLUMNS)
