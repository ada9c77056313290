"""Reading retailers' files in batches of text columns (pure: a file in, Arrow tables out).

The type is read from the content (never the name): CSV (sniffed delimiter and encoding,
optionally gzipped), XLSX (first sheet) or Parquet. CSV is read with pyarrow's streaming reader,
so memory stays flat whatever the file size; validation.py then checks every value.
"""

from __future__ import annotations

import codecs
import csv
import encodings.cp1252
import io
import re
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from common.errors import AppError, Unprocessable

# Arrow's CSV reader reads several blocks ahead: 2 MiB blocks keep that (and the peak memory of
# the ingest process) under ~100 MB whatever the file size; larger blocks barely speed it up.
BATCH_BYTES = 2 * 1024 * 1024
PARQUET_BATCH_ROWS = 50_000
# Text that is not UTF-8 is read as Windows-1252, the encoding of spreadsheet exports on Western
# systems: Latin-1 for printable text, plus € and curly quotes where Latin-1 has control codes.
WINDOWS_1252 = "windows-1252"
# Python's cp1252 fails on the five bytes Windows-1252 leaves unassigned; this codec reads them as
# the control characters of the same number (as browsers do), so no byte stops an upload.
_TOLERANT_CODEC = "smartretail-windows-1252"
_DECODING_TABLE = "".join(
    chr(byte) if char == "\ufffe" else char for byte, char in enumerate(encodings.cp1252.decoding_table)
)


_ENCODING_TABLE = codecs.charmap_build(_DECODING_TABLE)


def _encode(text: str, errors: str = "strict") -> tuple[bytes, int]:
    return codecs.charmap_encode(text, errors, _ENCODING_TABLE)


def _decode(data: Any, errors: str = "strict") -> tuple[str, int]:
    return codecs.charmap_decode(data, errors, _DECODING_TABLE)


class _IncrementalDecoder(codecs.IncrementalDecoder):
    def decode(self, data: Any, final: bool = False) -> str:
        return _decode(data, self.errors)[0]


class _IncrementalEncoder(codecs.IncrementalEncoder):
    def encode(self, text: str, final: bool = False) -> bytes:
        return _encode(text, self.errors)[0]


def _search_codec(name: str) -> codecs.CodecInfo | None:
    if name.replace("_", "-") != _TOLERANT_CODEC:
        return None
    return codecs.CodecInfo(
        _encode,
        _decode,
        name=_TOLERANT_CODEC,
        incrementalencoder=_IncrementalEncoder,
        incrementaldecoder=_IncrementalDecoder,
    )


codecs.register(_search_codec)


def codec(encoding: str) -> str:
    """The Python codec that reads text of a sniffed `encoding` (Windows-1252 without failures)."""
    return _TOLERANT_CODEC if encoding == WINDOWS_1252 else encoding


@dataclass(frozen=True)
class FileFormat:
    """What a file is: kind, compression, text encoding, delimiter and header."""

    kind: str  # csv | xlsx | parquet
    compression: str | None
    encoding: str
    delimiter: str
    headers: list[str]


def too_big(limit: int) -> AppError:
    """The 413 for a file whose content inflates beyond `limit` bytes."""
    return AppError(
        f"the file inflates to more than the limit of {limit:,} bytes uncompressed "
        "(MAX_UPLOAD_DECOMPRESSED_BYTES); split it or send it uncompressed in parts",
        413,
    )


def sniff(path: Path, max_decompressed_bytes: int | None = None) -> FileFormat:
    """Detect the file type from its content (never its name), compression, encoding and delimiter.

    With `max_decompressed_bytes`, an XLSX or Parquet file whose own directory declares more
    uncompressed bytes than that is refused (413) before any of it is inflated.
    """
    with open(path, "rb") as handle:
        magic = handle.read(8)
    if magic.startswith(b"PAR1"):
        try:
            parquet = pq.ParquetFile(path)
            schema = parquet.schema_arrow
            declared = sum(
                parquet.metadata.row_group(i).total_byte_size for i in range(parquet.metadata.num_row_groups)
            )
        except (pa.ArrowException, OSError) as exc:
            raise Unprocessable(f"the Parquet file is damaged ({str(exc).splitlines()[0][:200]})") from exc
        if max_decompressed_bytes is not None and declared > max_decompressed_bytes:
            raise too_big(max_decompressed_bytes)
        return FileFormat("parquet", None, "utf-8", ",", list(schema.names))
    if magic.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(path) as archive:
                is_xlsx = "xl/workbook.xml" in archive.namelist()
                # zipfile never inflates a member past the size its directory declares, so the
                # declared sizes bound what reading the workbook can take.
                declared = sum(info.file_size for info in archive.infolist())
        except zipfile.BadZipFile as exc:
            raise Unprocessable(
                "the file looks like a damaged zip archive; send CSV, XLSX or Parquet"
            ) from exc
        if not is_xlsx:
            raise Unprocessable(
                "zip archives are not accepted; send CSV (optionally gzipped), XLSX or Parquet"
            )
        if max_decompressed_bytes is not None and declared > max_decompressed_bytes:
            raise too_big(max_decompressed_bytes)
        try:
            headers = _xlsx_headers(path)
        except Exception as exc:  # openpyxl raises many kinds of error on a damaged workbook
            raise Unprocessable(
                "the XLSX file is damaged or not a real workbook; save it again from Excel"
            ) from exc
        return FileFormat("xlsx", None, "utf-8", ",", headers)
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
            encoding = WINDOWS_1252
        text = head.decode(codec(encoding), errors="ignore")
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
        except (OSError, EOFError, zlib.error) as exc:
            raise Unprocessable("the gzip file is damaged or truncated") from exc
    with open(path, "rb") as handle:
        return handle.read(size)


def _xlsx_headers(path: Path) -> list[str]:
    from openpyxl import load_workbook

    # Opened as a file: openpyxl refuses a path without an Excel suffix (uploads are kept as .bin).
    with open(path, "rb") as handle:
        workbook = load_workbook(handle, read_only=True, data_only=True)
        try:
            sheet = workbook.worksheets[0]
            first = next(sheet.iter_rows(max_row=1, values_only=True), ())
            return [str(v).strip() if v is not None else f"column_{i + 1}" for i, v in enumerate(first)]
        finally:
            workbook.close()


def read_batches(
    path: Path, fmt: FileFormat, max_decompressed_bytes: int | None = None
) -> Iterator[tuple[pa.Table, float]]:
    """Yield (text columns of a batch, fraction of the file read), in file order.

    With `max_decompressed_bytes`, reading stops with a 413 as soon as the content read crosses
    it (inflated CSV bytes; for XLSX and Parquet, the text of the cells read so far).
    """
    if fmt.kind == "csv":
        yield from _csv_batches(path, fmt, max_decompressed_bytes)
        return
    batches = _parquet_batches(path) if fmt.kind == "parquet" else _xlsx_batches(path, fmt.headers)
    inflated = 0
    try:
        for table, progress in batches:
            inflated += table.nbytes
            if max_decompressed_bytes is not None and inflated > max_decompressed_bytes:
                raise too_big(max_decompressed_bytes)
            yield table, progress
    except AppError:  # Unprocessable included
        raise
    except Exception as exc:  # pyarrow and openpyxl raise many kinds of error on a damaged file
        raise Unprocessable(
            f"the {fmt.kind.upper()} file is damaged and could not be read past its first rows "
            f"({type(exc).__name__})"
        ) from exc


def _csv_batches(
    path: Path, fmt: FileFormat, max_decompressed_bytes: int | None
) -> Iterator[tuple[pa.Table, float]]:
    total = max(path.stat().st_size, 1)
    # Arrow's own file (no Python callback per read); its position is the progress, also under gzip.
    raw = pa.OSFile(str(path), "rb")
    stream: Any = pa.CompressedInputStream(raw, "gzip") if fmt.compression == "gzip" else raw
    if max_decompressed_bytes is not None:
        stream = _LimitedStream(stream, max_decompressed_bytes)
    try:
        reader = pacsv.open_csv(
            stream,
            read_options=pacsv.ReadOptions(
                encoding=codec(fmt.encoding),
                block_size=BATCH_BYTES,
                column_names=fmt.headers,
                skip_rows=1,
                use_threads=False,
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
        while True:
            try:
                batch = reader.read_next_batch()
            except StopIteration:
                break
            except (pa.ArrowInvalid, OSError) as exc:
                _check_limit(stream)  # a row cut at the limit is the limit's fault, not the file's
                raise Unprocessable(f"the CSV could not be read: {_arrow_message(exc)}") from exc
            _check_limit(stream)
            yield pa.Table.from_batches([batch]), min(raw.tell() / total, 1.0)
        _check_limit(stream)
    except (pa.ArrowInvalid, OSError) as exc:
        _check_limit(stream)
        raise Unprocessable(f"the CSV could not be read: {_arrow_message(exc)}") from exc
    finally:
        stream.close()


def _check_limit(stream: Any) -> None:
    if isinstance(stream, _LimitedStream) and stream.over_limit:
        raise too_big(stream.limit)


class _LimitedStream(io.RawIOBase):
    """A stream that stops at `limit` bytes read (one Python call per 2 MiB block, not per row).

    Past the limit it answers end-of-file, so the CSV reader stops inflating at once; the caller
    sees `over_limit` and refuses the file rather than taking it as complete.
    """

    def __init__(self, inner: Any, limit: int) -> None:
        super().__init__()
        self.inner, self.limit = inner, limit
        self.read_bytes = 0
        self.over_limit = False

    def readable(self) -> bool:
        """A read-only stream."""
        return True

    def read(self, size: int | None = -1) -> bytes:
        """Up to `size` bytes; b"" once more than `limit` bytes were read."""
        if self.over_limit:
            return b""
        data = self.inner.read(self.limit + 1 - self.read_bytes if size is None or size < 0 else size)
        chunk = bytes(data)
        self.read_bytes += len(chunk)
        if self.read_bytes > self.limit:
            self.over_limit = True
            return b""
        return chunk

    def close(self) -> None:
        """Close the inner stream too."""
        self.inner.close()
        super().close()


def _arrow_message(exc: Exception) -> str:
    message = str(exc)
    match = re.search(r"Expected (\d+) columns, got (\d+)", message)
    if match:
        return (
            f"a row has {match.group(2)} columns where the header has {match.group(1)} "
            f"({message.splitlines()[0][:300]})"
        )
    return message.splitlines()[0][:300]


def _parquet_batches(path: Path) -> Iterator[tuple[pa.Table, float]]:
    parquet = pq.ParquetFile(path)
    total = max(parquet.metadata.num_rows, 1)
    done = 0
    for batch in parquet.iter_batches(batch_size=PARQUET_BATCH_ROWS):
        columns = {name: _as_text(batch.column(i)) for i, name in enumerate(batch.schema.names)}
        done += batch.num_rows
        yield pa.table(columns), done / total


def _as_text(column: pa.Array) -> pa.Array:
    if pa.types.is_timestamp(column.type) or pa.types.is_date(column.type):
        return pc.strftime(column, format="%Y-%m-%d %H:%M:%S")
    if pa.types.is_dictionary(column.type):
        column = column.dictionary_decode()
    return column.cast(pa.string())


def _xlsx_batches(path: Path, headers: list[str]) -> Iterator[tuple[pa.Table, float]]:
    from openpyxl import load_workbook

    with open(path, "rb") as handle:  # as in _xlsx_headers
        workbook = load_workbook(handle, read_only=True, data_only=True)
        try:
            sheet = workbook.worksheets[0]
            total = max((sheet.max_row or 2) - 1, 1)
            rows: list[list[str | None]] = []
            done = 0
            for values in sheet.iter_rows(min_row=2, values_only=True):
                cells = [_cell_text(v) for v in values[: len(headers)]]
                rows.append(cells + [None] * (len(headers) - len(cells)))
                if len(rows) >= 50_000:
                    done += len(rows)
                    yield _rows_table(rows, headers), min(done / total, 1.0)
                    rows = []
            if rows:
                yield _rows_table(rows, headers), 1.0
        finally:
            workbook.close()


def _rows_table(rows: list[list[str | None]], headers: list[str]) -> pa.Table:
    return pa.table({h: pa.array([r[i] for r in rows], pa.string()) for i, h in enumerate(headers)})


def _cell_text(value: Any) -> str | None:
    if value is None:
        return None
    if hasattr(value, "isoformat"):
        return str(value.isoformat(sep=" ")) if hasattr(value, "hour") else str(value.isoformat())
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
