"""Moving data frames in and out of PostgreSQL columnar-wise, with COPY (no per-row Python)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
from sqlalchemy import Connection

COPY_CHUNK = 4 * 1024 * 1024


def _cursor(connection: Connection) -> Any:
    raw = connection.connection.driver_connection
    assert raw is not None
    return raw.cursor()


def read_frame(
    connection: Connection,
    query: str,
    params: dict[str, Any] | None = None,
    dtypes: dict[str, pa.DataType] | None = None,
) -> pd.DataFrame:
    """Run a SELECT and return its rows as a DataFrame, via COPY ... TO STDOUT (CSV)."""
    buffer = io.BytesIO()
    with (
        _cursor(connection) as cursor,
        cursor.copy(f"COPY ({query}) TO STDOUT WITH (FORMAT csv, HEADER true)", params or {}) as copy,
    ):
        for chunk in copy:
            buffer.write(chunk)
    if buffer.tell() == 0:
        return pd.DataFrame()
    buffer.seek(0)
    table = pacsv.read_csv(
        buffer,
        convert_options=pacsv.ConvertOptions(
            column_types=dtypes or {}, strings_can_be_null=True, quoted_strings_can_be_null=False
        ),
    )
    return table.to_pandas()


def write_frame(connection: Connection, table: str, frame: pd.DataFrame, columns: Sequence[str]) -> int:
    """Append a DataFrame's columns to a table with COPY (CSV); returns the row count."""
    if frame.empty:
        return 0
    arrow = pa.Table.from_pandas(frame[list(columns)], preserve_index=False)
    sink = io.BytesIO()
    pacsv.write_csv(arrow, sink, write_options=pacsv.WriteOptions(include_header=False))
    data = sink.getbuffer()
    # Quoted: some columns are SQL keywords (stockouts' "end").
    column_list = ", ".join(f'"{c}"' for c in columns)
    with (
        _cursor(connection) as cursor,
        cursor.copy(f"COPY {table} ({column_list}) FROM STDIN WITH (FORMAT csv)") as copy,
    ):
        for start in range(0, len(data), COPY_CHUNK):
            copy.write(data[start : start + COPY_CHUNK])
    return len(frame)
