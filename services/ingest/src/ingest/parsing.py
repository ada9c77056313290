"""Reading retailers' files in batches and validating every row (pure: a file in, frames out).

Files are read as text columns in batches (pyarrow's streaming CSV reader), so memory stays flat
whatever the file size; every value is then checked with vectorised pandas operations and each
bad value is reported with its row, column, value and what was expected.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from common.errors import Unprocessable
from ingest.mapping import ColumnMapping

DEFAULT_STORE = "default"
BATCH_BYTES = 8 * 1024 * 1024
# Non-product codes in real exports (postage, fees, manual adjustments): kept, flagged, and left out
# of pricing and forecasting. Matched on the SKU, or on the description for free-text codes.
NON_PRODUCT_SKUS = {
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
}
NON_PRODUCT_NAME = re.compile(
    r"postage|carriage|bank charges|amazon fee|manual|discount|adjust bad debt", re.IGNORECASE
)
DATE_FORMATS = (
    "ISO8601",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y",
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y",
    "%d-%b-%y",
    "%d-%b-%Y",
    "%d.%m.%Y",
    "%d.%m.%Y %H:%M",
    "%Y/%m/%d",
    "%m/%d/%y",
    "%d/%m/%y",
    "%Y%m%d",
)
TRUE_VALUES = {"1", "1.0", "true", "t", "yes", "y"}
FALSE_VALUES = {"0", "0.0", "false", "f", "no", "n", ""}


@dataclass(frozen=True)
class FileFormat:
    """What a file is: kind, compression, text encoding, delimiter and header."""

    kind: str  # csv | xlsx | parquet
    compression: str | None
    encoding: str
    delimiter: str
    headers: list[str]


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
    """What is learned across batches (the date format) and the running error tally."""

    mapping: ColumnMapping
    today: date
    future_tolerance_days: int = 2
    date_format: str | None = None
    error_counts: dict[str, int] = field(default_factory=dict)


def sniff(path: Path) -> FileFormat:
    """Detect the file type from its content (never its name), compression, encoding and delimiter."""
    with open(path, "rb") as handle:
        magic = handle.read(8)
    if magic.startswith(b"PAR1"):
        schema = pq.ParquetFile(path).schema_arrow
        return FileFormat("parquet", None, "utf-8", ",", list(schema.names))
    if magic.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(path) as archive:
                is_xlsx = "xl/workbook.xml" in archive.namelist()
        except zipfile.BadZipFile as exc:
            raise Unprocessable(
                "the file looks like a damaged zip archive; send CSV, XLSX or Parquet"
            ) from exc
        if not is_xlsx:
            raise Unprocessable(
                "zip archives are not accepted; send CSV (optionally gzipped), XLSX or Parquet"
            )
        return FileFormat("xlsx", None, "utf-8", ",", _xlsx_headers(path))
    compression = "gzip" if magic.startswith(b"\x1f\x8b") else None
    head = _read_head(path, compression)
    if b"\x00" in head:
        raise Unprocessable("the file is binary, not text: send CSV (optionally gzipped), XLSX or Parquet")
    if not head.strip():
        raise Unprocessable("the file is empty")
    encoding = "utf-8"
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # Cut mid-character at the end of the sample is fine; anything earlier means not UTF-8.
        if exc.start < len(head) - 4:
            encoding = "latin-1"
        text = head.decode(encoding, errors="ignore")
    text = text.lstrip("\ufeff")
    first_line = text.splitlines()[0] if text.splitlines() else ""
    try:
        delimiter = (
            csv.Sniffer().sniff(text[:16384].rsplit("\n", 1)[0] or first_line, delimiters=",;\t|").delimiter
        )
    except csv.Error:
        delimiter = max(",;\t|", key=first_line.count)
    headers = next(csv.reader([first_line], delimiter=delimiter))
    headers = [h.strip() for h in headers]
    if len(headers) < 2:
        raise Unprocessable(
            f"could not find columns in the header line {first_line[:200]!r}: "
            "expected a CSV with a header row separated by , ; or tab"
        )
    if len(set(headers)) != len(headers):
        raise Unprocessable(f"the header repeats a column name: {headers}")
    return FileFormat("csv", compression, encoding, delimiter, headers)


def _read_head(path: Path, compression: str | None, size: int = 65536) -> bytes:
    if compression == "gzip":
        import gzip

        try:
            with gzip.open(path, "rb") as handle:
                return handle.read(size)
        except (OSError, EOFError) as exc:
            raise Unprocessable("the gzip file is damaged or truncated") from exc
    with open(path, "rb") as handle:
        return handle.read(size)


def _xlsx_headers(path: Path) -> list[str]:
    from openpyxl import load_workbook

    workbook = load_workbook(path, read_only=True, data_only=True)
    try:
        sheet = workbook.worksheets[0]
        first = next(sheet.iter_rows(max_row=1, values_only=True), ())
        return [str(v).strip() if v is not None else f"column_{i + 1}" for i, v in enumerate(first)]
    finally:
        workbook.close()


class _CountingReader(io.RawIOBase):
    """A file wrapper that counts bytes read, for byte-based progress."""

    def __init__(self, handle: IO[bytes]) -> None:
        self.handle = handle
        self.bytes_read = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.handle.read(len(buffer))
        buffer[: len(data)] = data
        self.bytes_read += len(data)
        return len(data)


def read_batches(path: Path, fmt: FileFormat) -> Iterator[tuple[pd.DataFrame, float]]:
    """Yield (text columns of a batch, fraction of the file read), in file order."""
    if fmt.kind == "parquet":
        yield from _parquet_batches(path)
    elif fmt.kind == "xlsx":
        yield from _xlsx_batches(path, fmt.headers)
    else:
        yield from _csv_batches(path, fmt)


def _csv_batches(path: Path, fmt: FileFormat) -> Iterator[tuple[pd.DataFrame, float]]:
    total = max(path.stat().st_size, 1)
    with open(path, "rb") as raw:
        counter = _CountingReader(raw)
        stream: Any = pa.PythonFile(counter, mode="r")
        if fmt.compression == "gzip":
            stream = pa.CompressedInputStream(stream, "gzip")
        reader = pacsv.open_csv(
            stream,
            read_options=pacsv.ReadOptions(
                encoding=fmt.encoding, block_size=BATCH_BYTES, column_names=fmt.headers, skip_rows=1
            ),
            parse_options=pacsv.ParseOptions(
                delimiter=fmt.delimiter, newlines_in_values=True, invalid_row_handler=None
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={h: pa.string() for h in fmt.headers},
                strings_can_be_null=True,
                quoted_strings_can_be_null=True,
            ),
        )
        try:
            for batch in reader:
                yield batch.to_pandas(), min(counter.bytes_read / total, 1.0)
        except pa.ArrowInvalid as exc:
            raise Unprocessable(f"the CSV could not be read: {_arrow_message(exc)}") from exc


def _arrow_message(exc: Exception) -> str:
    message = str(exc)
    match = re.search(r"Expected (\d+) columns, got (\d+)", message)
    if match:
        return (
            f"a row has {match.group(2)} columns where the header has {match.group(1)} "
            f"({message.splitlines()[0][:300]})"
        )
    return message.splitlines()[0][:300]


def _parquet_batches(path: Path) -> Iterator[tuple[pd.DataFrame, float]]:
    parquet = pq.ParquetFile(path)
    total = max(parquet.metadata.num_rows, 1)
    done = 0
    for batch in parquet.iter_batches(batch_size=200_000):
        frame = pd.DataFrame({name: _as_text(batch.column(i)) for i, name in enumerate(batch.schema.names)})
        done += batch.num_rows
        yield frame, done / total


def _as_text(column: pa.Array) -> pd.Series:
    if pa.types.is_timestamp(column.type) or pa.types.is_date(column.type):
        return pd.Series(pd.to_datetime(column.to_pandas()).dt.strftime("%Y-%m-%d"), dtype=object)
    return pd.Series(column.cast(pa.string()).to_pandas(), dtype=object)


def _xlsx_batches(path: Path, headers: list[str]) -> Iterator[tuple[pd.DataFrame, float]]:
    from openpyxl import load_workbook

    workbook = load_workbook(path, read_only=True, data_only=True)
    try:
        sheet = workbook.worksheets[0]
        total = max((sheet.max_row or 2) - 1, 1)
        rows: list[list[Any]] = []
        done = 0
        for values in sheet.iter_rows(min_row=2, values_only=True):
            rows.append([_cell_text(v) for v in values[: len(headers)]])
            if len(rows) >= 50_000:
                done += len(rows)
                yield pd.DataFrame(rows, columns=headers[: len(rows[0])]), min(done / total, 1.0)
                rows = []
        if rows:
            yield pd.DataFrame(rows, columns=headers[: len(rows[0])]), 1.0
    finally:
        workbook.close()


def _cell_text(value: Any) -> str | None:
    if value is None:
        return None
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return str(value)


def choose_date_format(values: pd.Series) -> str | None:
    """The first known date format that parses every value of a sample, or None."""
    sample = values.dropna().astype(str).str.strip()
    sample = sample[sample != ""].head(500)
    if sample.empty:
        return None
    for fmt in DATE_FORMATS:
        parsed = pd.to_datetime(sample, format=fmt, errors="coerce")
        if parsed.notna().all():
            return fmt
    return None


def _parse_dates(values: pd.Series, fmt: str | None) -> pd.Series:
    if fmt is None:
        return pd.to_datetime(values, format="mixed", errors="coerce")
    parsed = pd.to_datetime(values, format=fmt, errors="coerce")
    return parsed


def _parse_numbers(values: pd.Series) -> pd.Series:
    numbers = pd.to_numeric(values, errors="coerce")
    retry = numbers.isna() & values.notna()
    if retry.any():
        # Decimal commas (1,99) and currency signs from European or spreadsheet exports.
        cleaned = (
            values[retry]
            .astype(str)
            .str.strip()
            .str.replace(r"^[£$€]\s*", "", regex=True)
            .str.replace(r"^(-?\d+),(\d+)$", r"\1.\2", regex=True)
        )
        numbers.loc[retry] = pd.to_numeric(cleaned, errors="coerce")
    return numbers.astype("float64")


def _parse_flags(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    text = values.fillna("").astype(str).str.strip().str.lower()
    is_true = text.isin(TRUE_VALUES)
    valid = is_true | text.isin(FALSE_VALUES)
    return is_true.astype("float64"), valid


def _clean_ids(values: pd.Series) -> pd.Series:
    # Spreadsheets turn numeric ids into floats ("17850.0"): that is the same customer.
    text = values.astype("string").str.strip()
    return text.str.replace(r"^(\d+)\.0$", r"\1", regex=True)


def validate_batch(
    raw: pd.DataFrame, first_row: int, state: ValidationState
) -> tuple[pd.DataFrame, list[RowError]]:
    """Check every value of a batch; return the good rows in canonical form and the errors."""
    mapping = state.mapping
    n = len(raw)
    rows = np.arange(first_row, first_row + n)
    bad = np.zeros(n, dtype=bool)
    errors: list[RowError] = []

    def col(canonical: str) -> pd.Series | None:
        source = mapping.source(canonical)
        if source is None or source not in raw.columns:
            return None
        values = raw[source]
        return values.where(values.isna(), values.astype(str).str.strip()).replace("", None)

    def report(mask: np.ndarray, canonical: str, values: pd.Series | None, expected: str, kind: str) -> None:
        nonlocal bad
        idx = np.flatnonzero(mask)
        if len(idx) == 0:
            return
        bad |= mask
        state.error_counts[kind] = state.error_counts.get(kind, 0) + len(idx)
        column = mapping.source(canonical) or canonical
        shown = values.iloc[idx] if values is not None else pd.Series([None] * len(idx))
        errors.extend(
            RowError(int(rows[i]), column, None if pd.isna(v) else str(v), expected, kind)
            for i, v in zip(idx, shown, strict=True)
        )

    out = pd.DataFrame(index=raw.index)
    text_date = col("date")
    assert text_date is not None
    if state.date_format is None:
        state.date_format = choose_date_format(text_date)
    dates = _parse_dates(text_date, state.date_format)
    report(text_date.isna().to_numpy(), "date", text_date, "a date", "missing_value")
    report(
        (dates.isna() & text_date.notna()).to_numpy(),
        "date",
        text_date,
        f"a date like {_example(state.date_format)}",
        "invalid_date",
    )
    latest = pd.Timestamp(state.today + timedelta(days=state.future_tolerance_days))
    report(
        (dates.dt.normalize() > latest).to_numpy(),
        "date",
        text_date,
        f"a date on or before {latest.date().isoformat()} (sales cannot be in the future)",
        "future_date",
    )
    out["date"] = dates.dt.date

    sku = col("sku")
    assert sku is not None
    report(sku.isna().to_numpy(), "sku", sku, "a product code", "missing_value")
    out["sku"] = _clean_ids(sku)

    store = col("store")
    if store is None:
        out["store"] = DEFAULT_STORE
    else:
        report(store.isna().to_numpy(), "store", store, "a store code", "missing_value")
        out["store"] = _clean_ids(store)

    for canonical in ("quantity", "unit_price"):
        text = col(canonical)
        assert text is not None
        numbers = _parse_numbers(text)
        report(text.isna().to_numpy(), canonical, text, "a number", "missing_value")
        report(
            (numbers.isna() & text.notna()).to_numpy() | ~np.isfinite(numbers.fillna(0)).to_numpy(),
            canonical,
            text,
            "a number",
            "not_a_number",
        )
        out[canonical] = numbers

    product_name = col("product_name")
    out["product_name"] = product_name if product_name is not None else None
    category = col("category")
    out["category"] = category if category is not None else None
    sku_upper = out["sku"].fillna("").str.upper()
    is_product = ~sku_upper.isin(NON_PRODUCT_SKUS)
    if product_name is not None:
        is_product &= ~product_name.fillna("").str.contains(NON_PRODUCT_NAME)
    out["is_product"] = is_product.to_numpy()
    # A negative price is an error on a product, but real exports use it for adjustments (UCI "B").
    report(
        ((out["unit_price"] < 0) & is_product).to_numpy(),
        "unit_price",
        col("unit_price"),
        "a price of 0 or more",
        "negative_price",
    )

    transaction = col("transaction_id")
    out["transaction_id"] = _clean_ids(transaction).fillna("") if transaction is not None else ""
    if transaction is not None:
        # Cancellation invoices (UCI "C536548") are returns: the quantity reduces net demand.
        cancelled = out["transaction_id"].str.upper().str.startswith("C").fillna(False).to_numpy()
        out.loc[cancelled, "quantity"] = -out.loc[cancelled, "quantity"].abs()
    customer = col("customer_id")
    out["customer_id"] = _clean_ids(customer) if customer is not None else None

    for canonical in ("promotion", "feature", "display", "tpr_only"):
        text = col(canonical)
        if text is None:
            out[canonical] = np.nan if canonical != "promotion" else 0.0
            continue
        flags, valid = _parse_flags(text)
        report((~valid).to_numpy(), canonical, text, "0 or 1 (or true/false, yes/no)", "invalid_flag")
        out[canonical] = flags
    regular = col("regular_price")
    if regular is not None:
        regular_price = _parse_numbers(regular)
        report(
            (regular_price.isna() & regular.notna()).to_numpy(),
            "regular_price",
            regular,
            "a number",
            "not_a_number",
        )
        out["regular_price"] = regular_price
        # Shelf price below the regular price is a price promotion (Breakfast at the Frat's TPR).
        discounted = (out["unit_price"] < 0.98 * regular_price).fillna(False)
        out["promotion"] = np.maximum(out["promotion"], discounted.astype("float64"))
    else:
        out["regular_price"] = np.nan
    promo_flags = out[["feature", "display", "tpr_only"]].fillna(0).max(axis=1)
    out["promotion"] = np.maximum(out["promotion"], promo_flags)
    out["row_no"] = rows
    return out.loc[~bad], errors


def _example(fmt: str | None) -> str:
    if fmt in (None, "ISO8601"):
        return "2024-03-31"
    return pd.Timestamp("2024-03-31 14:30").strftime(fmt)


STAGED_COLUMNS = (
    "job_id",
    "organization_id",
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


def to_copy_csv(frame: pd.DataFrame) -> bytes:
    """Rows as CSV for PostgreSQL COPY (columnar all the way: no Python tuples per row)."""
    table = pa.Table.from_pandas(frame[list(STAGED_COLUMNS)], preserve_index=False)
    sink = io.BytesIO()
    pacsv.write_csv(
        table, sink, write_options=pacsv.WriteOptions(include_header=False, quoting_style="needed")
    )
    return sink.getvalue()
