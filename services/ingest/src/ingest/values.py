"""A text column's values read as numbers, dates, yes/no flags and codes (pure, vectorised).

Arrow compute kernels read the plain values (C++, nothing per row in Python); only the values that
fast path cannot read (decimal commas, currency signs, unusual date forms) go through pandas, so a
clean file never takes the slow path. Unreadable values come out as NaN / NaT for the caller to
report (validation.py).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

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
TRUE_VALUES = ("1", "1.0", "true", "t", "yes", "y")
FALSE_VALUES = ("0", "0.0", "false", "f", "no", "n")
NUMBER_PATTERN = r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$"
NULL_TEXT = pa.scalar(None, pa.string())


def clean_text(values: pa.ChunkedArray | pa.Array) -> pa.Array:
    """Trim surrounding whitespace; an empty cell is a null."""
    array = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    if not pa.types.is_string(array.type):
        array = array.cast(pa.string())
    trimmed = pc.utf8_trim_whitespace(array)
    return pc.if_else(pc.equal(trimmed, ""), NULL_TEXT, trimmed)


def is_null(values: pa.Array) -> np.ndarray:
    """Null mask as a numpy array."""
    return np.asarray(pc.is_null(values).to_numpy(zero_copy_only=False), dtype=bool)


def bools(values: pa.Array) -> np.ndarray:
    return np.asarray(pc.fill_null(values, False).to_numpy(zero_copy_only=False), dtype=bool)


def parse_numbers(values: pa.Array) -> np.ndarray:
    """Text to float64; NaN where empty or unreadable (also for 'nan' and 'inf')."""
    try:
        numbers = pc.cast(values, pa.float64())
        out = np.array(numbers.to_numpy(zero_copy_only=False), dtype=np.float64)
    except pa.ArrowInvalid:
        plain = pc.match_substring_regex(values, NUMBER_PATTERN)
        numbers = pc.cast(pc.if_else(plain, values, NULL_TEXT), pa.float64())
        out = np.array(numbers.to_numpy(zero_copy_only=False), dtype=np.float64)
        retry = np.flatnonzero(~bools(pc.or_(plain, pc.is_null(values))))
        out[retry] = _lenient_numbers(values.take(pa.array(retry)).to_pylist())
    out[~np.isfinite(out)] = np.nan
    return out


def _lenient_numbers(texts: list[str]) -> np.ndarray:
    # Spreadsheet and European exports: currency signs, decimal commas, thousands separators.
    cleaned = (
        pd.Series(texts, dtype=object)
        .astype(str)
        .str.replace(r"^([-+]?)\s*[£$€]\s*", r"\1", regex=True)
        .str.replace(r"\s*[£$€]$", "", regex=True)
        .str.replace(
            r"^(-?\d{1,3}(?:\.\d{3})+),(\d+)$",
            lambda m: m.group(1).replace(".", "") + "." + m.group(2),
            regex=True,
        )
        .str.replace(
            r"^(-?\d{1,3}(?:,\d{3})+)\.(\d+)$",
            lambda m: m.group(1).replace(",", "") + "." + m.group(2),
            regex=True,
        )
        .str.replace(r"^(-?\d+),(\d+)$", r"\1.\2", regex=True)
    )
    return np.asarray(pd.to_numeric(cleaned, errors="coerce"), dtype=np.float64)


def choose_date_format(values: pa.Array) -> str | None:
    """The known date format that reads a sample best (all of it, else most of it), or None."""
    sample = values.drop_null().slice(0, 500).to_pylist()
    if not sample:
        return None
    series = pd.Series(sample, dtype=object)
    best, best_count = None, len(sample) // 2  # a format must read more than half the sample
    for fmt in DATE_FORMATS:
        try:
            count = int(pd.to_datetime(series, format=fmt, errors="coerce").notna().sum())
        except (ValueError, TypeError):  # mixed time zones: not one format
            continue
        if count == len(sample):
            return fmt
        if count > best_count:
            best, best_count = fmt, count
    return best


def parse_dates(values: pa.Array, fmt: str | None) -> np.ndarray:
    """Text to datetime64[D] (the calendar date; time of day dropped); NaT where unreadable."""
    timestamps: pa.Array | None
    if fmt in (None, "ISO8601"):
        try:
            timestamps = pc.cast(values, pa.timestamp("us"))
        except pa.ArrowInvalid:
            timestamps = None
    else:
        timestamps = pc.strptime(values, format=fmt, unit="us", error_is_null=True)
    if timestamps is None:
        out = np.full(len(values), np.datetime64("NaT"), dtype="datetime64[D]")
    else:
        out = np.array(
            timestamps.cast(pa.date32(), safe=False).to_numpy(zero_copy_only=False), dtype="datetime64[D]"
        )
    retry = np.flatnonzero(np.isnat(out) & ~is_null(values))
    if len(retry):
        out[retry] = _lenient_dates(values.take(pa.array(retry)).to_pylist(), fmt)
    return out


def _lenient_dates(texts: list[str], fmt: str | None) -> np.ndarray:
    series = pd.Series(texts, dtype=object)
    pandas_format = "mixed" if fmt is None else fmt
    try:
        parsed = pd.to_datetime(series, format=pandas_format, errors="coerce")
    except (ValueError, TypeError):  # mixed time-zone offsets
        parsed = pd.to_datetime(series, format=pandas_format, errors="coerce", utc=True)
    if isinstance(parsed.dtype, pd.DatetimeTZDtype):
        # The date as the retailer wrote it, in its own time zone.
        parsed = parsed.dt.tz_localize(None)
    return np.asarray(parsed.to_numpy(dtype="datetime64[ns]"), dtype="datetime64[D]")


def parse_flags(values: pa.Array, missing: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Yes/no text to 1.0/0.0 (`missing` where empty), and which values were readable."""
    lowered = pc.utf8_lower(values)
    is_true = bools(pc.is_in(lowered, value_set=pa.array(TRUE_VALUES)))
    is_false = bools(pc.is_in(lowered, value_set=pa.array(FALSE_VALUES)))
    empty = is_null(values)
    flags = np.where(is_true, 1.0, np.where(empty, missing, 0.0))
    return flags, is_true | is_false | empty


def clean_ids(values: pa.Array) -> pa.Array:
    """Codes as text; spreadsheets' '17850.0' is the same code as '17850'."""
    if pc.any(pc.ends_with(values, ".0")).as_py():
        return pc.replace_substring_regex(values, r"^(\d+)\.0$", r"\1")
    return values


def date_example(fmt: str | None) -> str:
    """How a date looks in a format, for error messages."""
    if fmt in (None, "ISO8601"):
        return "2024-03-31"
    return pd.Timestamp("2024-03-31 14:30").strftime(fmt)
