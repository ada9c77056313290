"""Stock history files (POST /upload-stock): their columns and how their rows are checked (pure).

A row is an item's end-of-day stock on a date: units on hand, or only whether it was in stock.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from ingest.mapping import SYNONYMS
from ingest.validation import Batch, RowError, ValidationState, read_past_dates, read_store
from ingest.values import clean_ids, is_null, parse_flags

STOCK_REQUIRED = ("date", "sku")
# Either column says how much was on the shelf; a file needs at least one of them.
STOCK_LEVELS = ("on_hand", "in_stock")
STOCK_SYNONYMS: dict[str, tuple[str, ...]] = {
    "date": SYNONYMS["date"]
    + ("snapshotdate", "stockdate", "countdate", "inventorydate", "asof", "asofdate"),
    "store": SYNONYMS["store"],
    "sku": SYNONYMS["sku"],
    "on_hand": (
        "onhand",
        "stock",
        "soh",
        "stockonhand",
        "qtyonhand",
        "quantityonhand",
        "onhandqty",
        "onhandquantity",
        "onhandunits",
        "inventory",
        "inventorylevel",
        "inventoryquantity",
        "inventoryqty",
        "stocklevel",
        "stockqty",
        "stockquantity",
        "closingstock",
        "endingstock",
        "endinginventory",
        "eodstock",
        "available",
        "availableqty",
    ),
    "in_stock": ("instock", "isinstock", "instockflag", "stockflag", "onshelf", "availability"),
}
LOADED_STOCK_COLUMNS = ("row_no", "store", "sku", "date", "on_hand", "in_stock")


def validate_stock(raw: pa.Table, first_row: int, state: ValidationState) -> tuple[pa.Table, list[RowError]]:
    """Check a batch of stock snapshots: past dates, units on hand of 0 or more, or a 0/1 in_stock flag."""
    batch = Batch(raw, first_row, state)
    dates = read_past_dates(batch, "stock is counted at the end of a day that has come")
    sku = clean_ids(batch.missing("sku", "a product code"))
    store = read_store(batch)
    on_hand = batch.number("on_hand")
    if on_hand is None:
        on_hand = np.full(batch.n, np.nan)
    else:
        batch.report(on_hand < 0, "on_hand", "units on hand of 0 or more", "negative_value")
    flag_text = batch.text("in_stock")
    flags = np.full(batch.n, np.nan)
    if flag_text is not None:
        flags, readable = parse_flags(flag_text, missing=np.nan)
        batch.report(~readable, "in_stock", "0 or 1 (or true/false, yes/no)", "invalid_flag")
    empty = np.ones(batch.n, dtype=bool)
    for canonical in STOCK_LEVELS:
        text = batch.text(canonical)
        if text is not None:
            empty &= is_null(text)
    # The row names the column the file has (on_hand when it has both or neither is mapped).
    column = "on_hand" if batch.text("on_hand") is not None or flag_text is None else "in_stock"
    batch.report(empty, column, "units on hand (or an in_stock flag of 0 or 1)", "missing_value")
    # Units on hand decide when given: in stock means more than none left at the day's end.
    in_stock = np.where(np.isfinite(on_hand), on_hand > 0, flags == 1)
    return batch.finish({"store": store, "sku": sku, "date": dates, "on_hand": on_hand, "in_stock": in_stock})
