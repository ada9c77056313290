"""Checking every value of a batch and turning it into canonical columns (pure, vectorised).

A batch arrives as Arrow text columns (parsing.py); its values are read by values.py. Every bad
value is counted, and reported with its row, column, value and what was expected, up to a cap that
keeps a garbage file from filling memory.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from ingest.mapping import ColumnMapping
from ingest.values import (
    bools,
    choose_date_format,
    clean_ids,
    clean_text,
    date_example,
    is_null,
    parse_dates,
    parse_flags,
    parse_numbers,
)

DEFAULT_STORE = "default"
MAX_ERRORS = 100_000
# Non-product codes in real exports (postage, fees, manual adjustments, vouchers): kept, flagged,
# and left out of pricing and forecasting. Matched on the SKU, or on the description.
NON_PRODUCT_SKUS = (
    "POST",
    "DOT",
    "M",
    "D",
    "C2",
    "S",
    "B",
    "CRUK",
    "PADS",
    "AMAZONFEE",
    "BANK CHARGES",
    "POSTAGE",
    "SHIPPING",
    "FEE",
    "DISCOUNT",
    "ADJUST",
    "GIFT",
)
NON_PRODUCT_NAME = (
    "postage|carriage|bank charges|amazon fee|manual|discount|adjust bad debt|gift voucher|shipping fee"
)
# Beyond these a value is a mistake, and would overflow totals (quantity x price) downstream.
MAX_ABS_NUMBER = 1e12
EARLIEST_DATE = np.datetime64("1900-01-01", "D")
# The database's column widths (sales_lines, products).
MAX_LENGTHS = {
    "store": 200,
    "sku": 200,
    "transaction_id": 200,
    "customer_id": 200,
    "category": 300,
    "supplier": 300,
}


@dataclass
class RowError:
    """One bad value: where it is and what was expected."""

    row: int
    column: str
    value: str | None
    expected: str
    kind: str

    @property
    def message(self) -> str:
        """The error in words."""
        shown = "empty" if self.value in (None, "") else f"'{str(self.value)[:80]}'"
        return f"row {self.row:,}: '{self.column}' is {shown}, expected {self.expected}"

    def as_dict(self) -> dict[str, Any]:
        """JSON form for responses."""
        return {
            "row": self.row,
            "column": self.column,
            "value": self.value,
            "expected": self.expected,
            "kind": self.kind,
            "message": self.message,
        }


@dataclass
class ValidationState:
    """What is learned across batches (the date format) and the running tallies of a file."""

    mapping: ColumnMapping
    today: date
    future_tolerance_days: int = 2
    # A plan's dates must be after this: the organization's last sales date (today without sales).
    plan_after: date | None = None
    date_format: str | None = None
    error_counts: dict[str, int] = field(default_factory=dict)
    # Rows kept but marked: returns, non-product lines, zero-price lines, repeated keys.
    flag_counts: dict[str, int] = field(default_factory=dict)
    # How many more errors may be materialised (every one is still counted).
    error_room: int = MAX_ERRORS

    def flag(self, name: str, count: int) -> None:
        """Add to a flag's tally."""
        if count:
            self.flag_counts[name] = self.flag_counts.get(name, 0) + int(count)


class Batch:
    """One batch under validation: its cleaned text columns, row numbers and bad rows so far."""

    def __init__(self, raw: pa.Table, first_row: int, state: ValidationState) -> None:
        self.raw, self.state = raw, state
        self.n = raw.num_rows
        self.rows = np.arange(first_row, first_row + self.n, dtype=np.int64)
        self.bad = np.zeros(self.n, dtype=bool)
        self.errors: list[RowError] = []
        self._texts: dict[str, pa.Array | None] = {}

    def source(self, canonical: str) -> str | None:
        """The file's column for a canonical one, if the file has it."""
        name = self.state.mapping.source(canonical)
        return name if name is not None and name in self.raw.column_names else None

    def text(self, canonical: str) -> pa.Array | None:
        """A column's values, trimmed, with empty cells as nulls; None when the file lacks it.

        Values longer than their database column allows are reported (once, on first use)."""
        if canonical not in self._texts:
            name = self.source(canonical)
            values = None if name is None else clean_text(self.raw.column(name))
            self._texts[canonical] = values
            limit = MAX_LENGTHS.get(canonical)
            if values is not None and limit is not None:
                too_long = bools(pc.greater(pc.utf8_length(values), limit))
                self.report(too_long, canonical, f"at most {limit} characters", "too_long")
        return self._texts[canonical]

    def report(self, mask: np.ndarray, canonical: str, expected: str, kind: str) -> None:
        """Mark rows bad and record their errors (materialised up to the state's room)."""
        where = np.flatnonzero(mask)
        if len(where) == 0:
            return
        self.bad[where] = True
        state = self.state
        state.error_counts[kind] = state.error_counts.get(kind, 0) + len(where)
        keep = where[: max(state.error_room, 0)]
        if len(keep) == 0:
            return
        state.error_room -= len(keep)
        values = self.text(canonical)
        shown = values.take(pa.array(keep)).to_pylist() if values is not None else [None] * len(keep)
        column = self.state.mapping.source(canonical) or canonical
        self.errors.extend(
            RowError(int(self.rows[i]), column, value, expected, kind)
            for i, value in zip(keep, shown, strict=True)
        )

    def missing(self, canonical: str, expected: str) -> pa.Array:
        """A required column's values; rows where it is empty are reported."""
        values = self.text(canonical)
        assert values is not None, f"{canonical} is mapped (detect_mapping checks it)"
        self.report(is_null(values), canonical, expected, "missing_value")
        return values

    def number(self, canonical: str) -> np.ndarray | None:
        """A numeric column as float64 (NaN where empty or bad; bad values reported)."""
        values = self.text(canonical)
        if values is None:
            return None
        numbers = parse_numbers(values)
        self.report(~is_null(values) & np.isnan(numbers), canonical, "a number", "not_a_number")
        with np.errstate(invalid="ignore"):
            absurd = np.abs(numbers) > MAX_ABS_NUMBER
        self.report(
            absurd,
            canonical,
            f"a number between -{MAX_ABS_NUMBER:,.0f} and {MAX_ABS_NUMBER:,.0f}",
            "out_of_range",
        )
        return numbers

    def finish(self, columns: dict[str, pa.Array | np.ndarray]) -> tuple[pa.Table, list[RowError]]:
        """The good rows in canonical form, and this batch's errors in row order."""
        keep = ~self.bad
        mask = pa.array(keep)
        out: dict[str, pa.Array] = {"row_no": pa.array(self.rows[keep])}
        for name, values in columns.items():
            if isinstance(values, np.ndarray):
                values = values[keep]
                out[name] = (
                    pa.array(values, pa.date32())
                    if values.dtype.kind == "M"
                    else pa.array(values, from_pandas=True)
                )
            else:
                out[name] = values.filter(mask)
        self.errors.sort(key=lambda e: e.row)
        return pa.table(out), self.errors


def non_product(sku: pa.Array, name: pa.Array | None) -> np.ndarray:
    """Lines that are not goods (postage, fees, adjustments): by code, or by description."""
    flagged = bools(pc.is_in(pc.utf8_upper(sku), value_set=pa.array(NON_PRODUCT_SKUS)))
    if name is not None:
        flagged |= bools(pc.match_substring_regex(name, NON_PRODUCT_NAME, ignore_case=True))
    return flagged


def read_dates(batch: Batch, canonical: str = "date", *, required: bool = True) -> np.ndarray:
    """A date column in the file's own format (NaT where an optional one is empty); unreadable or
    implausible dates are reported."""
    text = batch.missing(canonical, "a date") if required else batch.text(canonical)
    if text is None:  # an optional column the file does not have
        return np.full(batch.n, np.datetime64("NaT"), dtype="datetime64[D]")
    state = batch.state
    if state.date_format is None:
        state.date_format = choose_date_format(text)
    dates = parse_dates(text, state.date_format)
    batch.report(
        np.isnat(dates) & ~is_null(text),
        canonical,
        f"a date like {date_example(state.date_format)}",
        "invalid_date",
    )
    batch.report(dates < EARLIEST_DATE, canonical, f"a date from {EARLIEST_DATE} on", "out_of_range")
    return dates


def read_past_dates(batch: Batch, why: str) -> np.ndarray:
    """The date column, with dates after today (and the tolerance) reported as in the future."""
    dates = read_dates(batch)
    latest = np.datetime64(batch.state.today + timedelta(days=batch.state.future_tolerance_days), "D")
    batch.report(dates > latest, "date", f"a date on or before {latest} ({why})", "future_date")
    return dates


def read_store(batch: Batch) -> pa.Array:
    """The store column, or the default store for a file without one."""
    if batch.text("store") is None:
        return pa.repeat(pa.scalar(DEFAULT_STORE), batch.n)
    return clean_ids(batch.missing("store", "a store code"))


def validate_sales(raw: pa.Table, first_row: int, state: ValidationState) -> tuple[pa.Table, list[RowError]]:
    """Check every value of a batch of sales lines; return the good rows in canonical form and the errors."""
    batch = Batch(raw, first_row, state)
    dates = read_past_dates(batch, "sales cannot be in the future")
    sku = clean_ids(batch.missing("sku", "a product code"))
    store = read_store(batch)
    batch.missing("quantity", "a number")
    quantity = batch.number("quantity")
    assert quantity is not None
    unit_price = _unit_price(batch, quantity)

    product_name = batch.text("product_name")
    is_product = ~non_product(sku, product_name)
    # A negative price is an error on a product, but real exports use it for adjustments (UCI "B").
    batch.report((unit_price < 0) & is_product, "unit_price", "a price of 0 or more", "negative_price")

    transaction = batch.text("transaction_id")
    if transaction is None:
        transaction = pa.repeat(pa.scalar(""), batch.n)
    else:
        transaction = pc.fill_null(clean_ids(transaction), "")
        starts_c = pc.starts_with(transaction, "C", ignore_case=True)
        if pc.any(starts_c).as_py():
            # Cancellation invoices (UCI "C536548") are returns: the quantity reduces net demand.
            cancelled = bools(pc.match_substring_regex(transaction, r"^[Cc]\d+$"))
            quantity = np.where(cancelled, -np.abs(quantity), quantity)
    customer = batch.text("customer_id")

    flags: dict[str, np.ndarray] = {}
    for canonical in ("promotion", "feature", "display", "tpr_only"):
        text = batch.text(canonical)
        if text is None:
            flags[canonical] = np.zeros(batch.n) if canonical == "promotion" else np.full(batch.n, np.nan)
            continue
        values, readable = parse_flags(text)
        batch.report(~readable, canonical, "0 or 1 (or true/false, yes/no)", "invalid_flag")
        flags[canonical] = values
    regular_price = batch.number("regular_price")
    promotion = flags["promotion"]
    if regular_price is not None:
        # Shelf price below the regular price is a price promotion (Breakfast at the Frat's TPR).
        with np.errstate(invalid="ignore"):
            promotion = np.maximum(promotion, (unit_price < 0.98 * regular_price).astype(np.float64))
    else:
        regular_price = np.full(batch.n, np.nan)
    for name in ("feature", "display", "tpr_only"):
        promotion = np.maximum(promotion, np.nan_to_num(flags[name]))

    good = ~batch.bad
    state.flag("returns", int(np.count_nonzero(good & (quantity < 0))))
    state.flag("non_product", int(np.count_nonzero(good & ~is_product)))
    state.flag("zero_price", int(np.count_nonzero(good & (unit_price == 0))))
    return batch.finish(
        {
            "store": store,
            "sku": sku,
            "date": dates,
            "transaction_id": transaction,
            "quantity": quantity,
            "unit_price": unit_price,
            "customer_id": clean_ids(customer) if customer is not None else nulls(batch.n),
            "product_name": optional_text(batch, "product_name"),
            "category": optional_text(batch, "category"),
            "promotion": promotion,
            "regular_price": regular_price,
            "feature": flags["feature"],
            "display": flags["display"],
            "tpr_only": flags["tpr_only"],
            "is_product": is_product,
        }
    )


def _unit_price(batch: Batch, quantity: np.ndarray) -> np.ndarray:
    """The unit price, or the line total over the units where the file gives only that."""
    price_text = batch.text("unit_price")
    price = batch.number("unit_price") if price_text is not None else None
    missing = is_null(price_text) if price_text is not None else np.ones(batch.n, dtype=bool)
    if price is None:
        price = np.full(batch.n, np.nan)
    revenue_text = batch.text("revenue")
    if revenue_text is not None and missing.any():
        revenue = parse_numbers(revenue_text)
        unreadable = missing & ~is_null(revenue_text) & np.isnan(revenue)
        batch.report(unreadable, "revenue", "a number (the line total)", "not_a_number")
        with np.errstate(divide="ignore", invalid="ignore"):
            # A line total of 0 is a free line (price 0) whatever the units.
            derived = np.where(revenue == 0, 0.0, np.where(quantity != 0, revenue / quantity, np.nan))
        fill = missing & np.isfinite(derived)
        price = np.where(fill, derived, price)
        missing &= ~fill & ~unreadable
    column = "unit_price" if price_text is not None else "revenue"
    batch.report(missing, column, "a price (or a line total)", "missing_value")
    return price


def nulls(n: int) -> pa.Array:
    """A text column of n empty cells."""
    return pa.nulls(n, pa.string())


def optional_text(batch: Batch, canonical: str) -> pa.Array:
    """An optional text column's values (all empty when the file does not have it)."""
    values = batch.text(canonical)
    return values if values is not None else nulls(batch.n)


def validate_products(
    raw: pa.Table, first_row: int, state: ValidationState
) -> tuple[pa.Table, list[RowError]]:
    """Check a batch of the product master (cost, stock, lead time per store and sku)."""
    batch = Batch(raw, first_row, state)
    sku = clean_ids(batch.missing("sku", "a product code"))
    store = read_store(batch)
    name = batch.text("name")
    columns: dict[str, pa.Array | np.ndarray] = {
        "store": store,
        "sku": sku,
        "name": name if name is not None else nulls(batch.n),
        "category": optional_text(batch, "category"),
        "supplier": optional_text(batch, "supplier"),
    }
    for canonical in PRODUCT_NUMBERS:
        values = batch.number(canonical)
        if values is None:
            columns[canonical] = np.full(batch.n, np.nan)
            continue
        kind = "negative_price" if canonical in ("unit_cost", "price") else "negative_value"
        batch.report(values < 0, canonical, "a number of 0 or more", kind)
        if canonical == "pack_size":
            batch.report(values == 0, canonical, "a pack size of more than 0", "negative_value")
        columns[canonical] = values
    columns["is_product"] = ~non_product(sku, name)
    return batch.finish(columns)


PRODUCT_NUMBERS = (
    "unit_cost",
    "price",
    "on_hand",
    "on_order",
    "lead_time_days",
    "min_order_qty",
    "pack_size",
)


def validate_plan(raw: pa.Table, first_row: int, state: ValidationState) -> tuple[pa.Table, list[RowError]]:
    """Check a batch of planned prices and promotions: dates after the sales, prices of 0 or more, flags."""
    batch = Batch(raw, first_row, state)
    dates = read_dates(batch)
    after = state.plan_after or state.today
    why = (
        "the last sales date: a plan is for the days after the history"
        if state.plan_after
        else "a plan is for the future"
    )
    batch.report(
        dates <= np.datetime64(after, "D"), "date", f"a date after {after.isoformat()} ({why})", "past_date"
    )
    sku = clean_ids(batch.missing("sku", "a product code"))
    store = read_store(batch)
    price = batch.number("unit_price")
    if price is not None:
        batch.report(price < 0, "unit_price", "a price of 0 or more", "negative_price")
    else:
        price = np.full(batch.n, np.nan)
    given = np.isfinite(price)
    flags: dict[str, np.ndarray] = {}
    for canonical in ("promotion", "feature", "display"):
        text = batch.text(canonical)
        if text is None:
            flags[canonical] = np.full(batch.n, np.nan)
            continue
        # An empty cell in a plan is "not planned", not "no promotion".
        values, readable = parse_flags(text, missing=np.nan)
        batch.report(~readable, canonical, "0 or 1 (or true/false, yes/no)", "invalid_flag")
        flags[canonical] = values
        given |= np.isfinite(values)
    batch.report(~given, "unit_price", "a planned price or promotion flag", "missing_value")
    return batch.finish({"store": store, "sku": sku, "date": dates, "unit_price": price, **flags})


Validator = Callable[[pa.Table, int, ValidationState], tuple[pa.Table, list[RowError]]]

# The staging table's columns, in COPY order (job_id and organization_id come from the session).
STAGED_COLUMNS = (
    "row_no",
    "store",
    "sku",
    "date",
    "transaction_id",
    "quantity",
    "unit_price",
    "customer_id",
    "product_name",
    "category",
    "promotion",
    "regular_price",
    "feature",
    "display",
    "tpr_only",
    "is_product",
)


def to_copy_csv(table: pa.Table, columns: tuple[str, ...] = STAGED_COLUMNS) -> bytes:
    """Rows as CSV for PostgreSQL COPY (columnar all the way: no Python tuples per row)."""
    sink = io.BytesIO()
    pacsv.write_csv(
        table.select(list(columns)),
        sink,
        write_options=pacsv.WriteOptions(include_header=False, quoting_style="needed"),
    )
    return sink.getvalue()
