"""A large, realistic sales export for the ingest bench (generated, never committed)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

CHUNK_ROWS = 500_000
N_STORES = 40
N_SKUS = 2_000
N_CUSTOMERS = 200_000
START = np.datetime64("2022-01-01T08:00:00", "s")
DAYS = 730


def write_sales_csv(path: Path, rows: int, *, gzip: bool = True, seed: int = 7) -> Path:
    """Write `rows` sales lines like a POS export: receipts of 1-6 lines, returns, guests, promotions."""
    rng = np.random.default_rng(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    sku_price = np.round(rng.lognormal(1.2, 0.6, N_SKUS) + 0.29, 2)
    # Receipts are numbered in time order; a receipt's lines share store, time and customer.
    receipt = 0
    written = 0
    sink = pa.OSFile(str(partial), "wb")
    stream = pa.CompressedOutputStream(sink, "gzip") if gzip else sink
    try:
        writer: pacsv.CSVWriter | None = None
        while written < rows:
            n = min(CHUNK_ROWS, rows - written)
            lines_per = rng.integers(1, 7, size=n)  # more receipts than needed; cut to n lines
            receipt_of_line = np.repeat(np.arange(n), lines_per)[:n]
            n_receipts = int(receipt_of_line[-1]) + 1
            # Shops open 08:00-21:00; receipts in time order within a chunk, as POS exports are.
            days = np.sort(rng.integers(0, DAYS, size=n_receipts))
            seconds = days * 86400 + rng.integers(0, 13 * 3600, size=n_receipts)
            stores = rng.integers(1, N_STORES + 1, size=n_receipts)
            customers = rng.integers(100_000, 100_000 + N_CUSTOMERS, size=n_receipts)
            guest = rng.random(n_receipts) < 0.25
            skus = (rng.zipf(1.3, size=n) - 1) % N_SKUS
            quantity = rng.poisson(1.2, size=n) + 1
            returned = rng.random(n) < 0.02
            quantity[returned] *= -1
            promo = rng.random(n) < 0.15
            price = np.where(promo, np.round(sku_price[skus] * 0.8, 2), sku_price[skus])
            timestamps = (START + seconds[receipt_of_line]).astype("datetime64[s]")
            customer_text = pa.array(customers[receipt_of_line].astype(str)).to_numpy(zero_copy_only=False)
            table = pa.table(
                {
                    "receipt_no": pa.array(
                        np.char.add("R", (receipt + receipt_of_line).astype(str)), pa.string()
                    ),
                    "sale_datetime": pa.array(timestamps).cast(pa.timestamp("s")),
                    "store_id": pa.array(np.char.add("ST", stores[receipt_of_line].astype(str))),
                    "sku": pa.array(np.char.add("P", skus.astype(str))),
                    "qty": pa.array(quantity),
                    "unit_price": pa.array(price),
                    "customer_id": pa.array(np.where(guest[receipt_of_line], "", customer_text), pa.string()),
                    "promo": pa.array(promo.astype(np.int8)),
                }
            )
            if writer is None:
                writer = pacsv.CSVWriter(
                    stream, table.schema, write_options=pacsv.WriteOptions(quoting_style="needed")
                )
            writer.write_table(table)
            receipt += n_receipts
            written += n
        if writer is not None:
            writer.close()
    finally:
        stream.close()
    partial.rename(path)
    return path
