"""File sniffing and row validation, on small files written by the tests."""

from __future__ import annotations

import gzip
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from common.errors import AppError, Unprocessable
from ingest import parsing, validation
from ingest.mapping import detect_mapping

TODAY = date(2024, 6, 30)


def _validate(
    path: Path, mapping: dict[str, str] | None = None
) -> tuple[pd.DataFrame, list[validation.RowError]]:
    fmt = parsing.sniff(path)
    state = validation.ValidationState(mapping=detect_mapping(fmt.headers, mapping), today=TODAY)
    goods, errors, row = [], [], 2
    for raw, _progress in parsing.read_batches(path, fmt):
        good, errs = validation.validate_sales(raw, row, state)
        row += raw.num_rows
        goods.append(good.to_pandas())
        errors += errs
    return pd.concat(goods), errors


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_delimiters_are_sniffed(tmp_path: Path, delimiter: str) -> None:
    path = tmp_path / "s.csv"
    path.write_text(
        delimiter.join(["date", "sku", "qty", "price"])
        + "\n"
        + delimiter.join(["2024-01-02", "A1", "3", "1.5"])
        + "\n"
    )
    good, errors = _validate(path)
    assert errors == []
    assert good.iloc[0]["quantity"] == 3 and good.iloc[0]["unit_price"] == 1.5
    assert good.iloc[0]["store"] == validation.DEFAULT_STORE


def test_gzip_latin1_and_decimal_commas(tmp_path: Path) -> None:
    path = tmp_path / "s.csv.gz"
    text = "Datum;Artikel;Menge;Preis;Produktname\n02.01.2024;A1;2;1,99;Crème brûlée\n"
    path.write_bytes(gzip.compress(text.encode("latin-1")))
    fmt = parsing.sniff(path)
    assert (fmt.compression, fmt.encoding, fmt.delimiter) == ("gzip", "windows-1252", ";")
    good, errors = _validate(
        path,
        {
            "date": "Datum",
            "sku": "Artikel",
            "quantity": "Menge",
            "unit_price": "Preis",
            "product_name": "Produktname",
        },
    )
    assert errors == []
    assert good.iloc[0]["unit_price"] == pytest.approx(1.99)
    assert good.iloc[0]["product_name"] == "Crème brûlée"
    assert good.iloc[0]["date"] == date(2024, 1, 2)


def test_text_that_is_not_utf8_is_read_as_windows_1252(tmp_path: Path) -> None:
    # A spreadsheet export on Windows: € and curly quotes are single bytes (0x80, 0x93, 0x94, 0x92)
    # that Latin-1 would read as invisible control codes.
    path = tmp_path / "s.csv"
    text = "date,sku,qty,price,product_name\n2024-01-02,A1,2,1.99,“Bio” Café’s 5€ mix\n"
    path.write_bytes(text.encode("cp1252"))
    fmt = parsing.sniff(path)
    assert fmt.encoding == "windows-1252"
    good, errors = _validate(path)
    assert errors == []
    assert good.iloc[0]["product_name"] == "“Bio” Café’s 5€ mix"


def test_bytes_windows_1252_leaves_unassigned_do_not_fail_the_file(tmp_path: Path) -> None:
    # 0x81 (and 0x8D, 0x8F, 0x90, 0x9D) have no Windows-1252 character: read as the control
    # character of the same number rather than refusing the whole file.
    path = tmp_path / "s.csv"
    path.write_bytes(b"date,sku,qty,price,product_name\n2024-01-02,A1,2,1.99,Caf\xe9 \x80\x81\n")
    good, errors = _validate(path)
    assert errors == []
    assert good.iloc[0]["product_name"] == "Café €\x81"


def test_utf8_bom_header(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_bytes("\ufeffdate,sku,quantity,unit_price\n2024-01-02,A,1,2\n".encode())
    good, errors = _validate(path)
    assert errors == [] and len(good) == 1


def test_every_validation_rule_names_row_column_value_and_expectation(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(
        "date,store,sku,quantity,unit_price,promotion\n"
        "2024-01-02,S1,A,1,2.5,0\n"  # row 2 ok
        "2024-13-45,S1,A,1,2.5,0\n"  # row 3 bad date
        "2024-01-03,S1,A,abc,2.5,0\n"  # row 4 quantity not a number
        "2024-01-03,S1,,1,2.5,0\n"  # row 5 missing sku
        "2024-01-03,S1,A,1,-3,0\n"  # row 6 negative price
        "2030-01-01,S1,A,1,2.5,0\n"  # row 7 future date
        "2024-01-03,S1,A,1,2.5,maybe\n"  # row 8 bad flag
        "2024-01-04,S1,B,-2,2.5,1\n"  # row 9 a return: fine
    )
    good, errors = _validate(path)
    by_row = {e.row: e for e in errors}
    assert sorted(by_row) == [3, 4, 5, 6, 7, 8]
    assert (by_row[3].column, by_row[3].kind, by_row[3].value) == ("date", "invalid_date", "2024-13-45")
    assert by_row[4].message == "row 4: 'quantity' is 'abc', expected a number"
    assert (by_row[5].column, by_row[5].kind) == ("sku", "missing_value")
    assert (by_row[6].kind, by_row[6].expected) == ("negative_price", "a price of 0 or more")
    assert by_row[7].kind == "future_date" and "2024-07-02" in by_row[7].expected
    assert by_row[8].kind == "invalid_flag"
    assert list(good["row_no"]) == [2, 9]
    assert good.set_index("row_no").loc[9, "quantity"] == -2


def test_cancellations_are_returns_and_fees_are_flagged(tmp_path: Path) -> None:
    path = tmp_path / "uci.csv"
    path.write_text(
        "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"
        "536365,85123A,WHITE HANGING HEART,6,12/1/2010 8:26,2.55,17850.0,United Kingdom\n"
        "C536379,D,Discount,1,12/1/2010 9:41,27.50,14527,United Kingdom\n"
        "536370,POST,POSTAGE,3,12/1/2010 8:45,18,12583,France\n"
        "A563186,B,Adjust bad debt,1,8/12/2011 14:51,-11062.06,,United Kingdom\n"
    )
    good, errors = _validate(path)
    assert errors == []
    rows = good.set_index("sku")
    assert rows.loc["85123A", "customer_id"] == "17850"
    assert rows.loc["85123A", "date"] == date(2010, 12, 1)
    assert rows.loc["D", "quantity"] == -1  # cancellation invoice: a return
    assert not rows.loc["POST", "is_product"] and not rows.loc["B", "is_product"]
    assert rows.loc["85123A", "is_product"]


def test_promotion_depth_from_regular_price(tmp_path: Path) -> None:
    path = tmp_path / "batf.csv"
    path.write_text(
        "week_end_date,store_id,upc_id,units,price,base_price,feature,display,tpr_only\n"
        "2009-01-14,10019,111,14,1.17,1.18,0,0,0\n"
        "2009-01-21,10019,111,44,0.99,1.18,0,0,0\n"
        "2009-01-28,10019,111,20,1.18,1.18,1,0,0\n"
    )
    good, errors = _validate(path)
    assert errors == []
    assert list(good["promotion"]) == [0.0, 1.0, 1.0]
    assert list(good["regular_price"]) == [1.18, 1.18, 1.18]


@pytest.mark.parametrize(
    "content, message",
    [
        (b"\x00\x01\x02binary" * 10, "binary"),
        (b"PK\x03\x04notreallyazip", "zip"),
        (b"justonecolumn\n1\n", "could not find columns"),
        (b"a,b,a\n1,2,3\n", "repeats a column"),
    ],
)
def test_unusable_files_are_refused_with_a_reason(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "f"
    path.write_bytes(content)
    with pytest.raises(Unprocessable, match=message):
        parsing.sniff(path)


def test_xlsx_and_parquet(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "Date": pd.to_datetime(["2024-01-02", "2024-01-03"]),
            "SKU": ["A", "B"],
            "Qty": [1, 2],
            "Price": [1.5, 2.5],
        }
    )
    xlsx, parquet = tmp_path / "s.xlsx", tmp_path / "s.parquet"
    frame.to_excel(xlsx, index=False)
    frame.to_parquet(parquet)
    for path, kind in ((xlsx, "xlsx"), (parquet, "parquet")):
        assert parsing.sniff(path).kind == kind
        good, errors = _validate(path)
        assert errors == []
        assert list(good["sku"]) == ["A", "B"] and list(good["quantity"]) == [1, 2]
        assert good.iloc[1]["date"] == date(2024, 1, 3)


@pytest.mark.parametrize(
    "content, message",
    [
        (b"\x1f\x8b\x08\x00" + bytes(range(256)) * 8, "gzip file is damaged"),
        (b"PAR1" + bytes(range(256)) * 8, "Parquet file is damaged"),
    ],
)
def test_damaged_compressed_and_parquet_files_are_refused(
    tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "f"
    path.write_bytes(content)
    with pytest.raises(Unprocessable, match=message):
        parsing.sniff(path)


def test_a_damaged_workbook_is_refused(tmp_path: Path) -> None:
    import zipfile

    path = tmp_path / "f.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("xl/workbook.xml", "<workbook><sheets><sheet name='x' r:id='")
    with pytest.raises(Unprocessable, match="XLSX file is damaged"):
        parsing.sniff(path)


def _gzip_bomb(path: Path, lines: int) -> int:
    """A gzipped CSV of `lines` identical rows (inflates ~1000x); returns its inflated size."""
    line = b"2024-01-02,S1,A,1,2.0\n"
    block = line * 100_000
    with gzip.open(path, "wb", compresslevel=9) as handle:
        handle.write(b"date,store,sku,quantity,unit_price\n")
        for _ in range(lines // 100_000):
            handle.write(block)
    return len(line) * lines


def test_a_gzip_inflating_past_the_limit_is_refused_while_reading(tmp_path: Path) -> None:
    path = tmp_path / "bomb.csv.gz"
    inflated = _gzip_bomb(path, 1_000_000)  # 22 MB of text in ~40 kB
    limit = 1024 * 1024
    fmt = parsing.sniff(path, limit)
    rows_read = 0
    with pytest.raises(AppError) as error:
        for batch, _progress in parsing.read_batches(path, fmt, limit):
            rows_read += batch.num_rows
    assert error.value.status_code == 413 and "1,048,576 bytes" in error.value.message
    # Stopped at the limit: at most the limit's worth of rows reached the caller, not 22 MB.
    assert rows_read * 22 <= limit < inflated
    # Under the limit the same file reads whole.
    assert sum(b.num_rows for b, _ in parsing.read_batches(path, fmt, inflated + 1024)) == 1_000_000


def test_xlsx_and_parquet_declaring_more_than_the_limit_are_refused_before_reading(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {"date": ["2024-01-02"] * 2_000, "sku": [f"SKU-{i:08d}" for i in range(2_000)], "qty": [1] * 2_000}
    )
    xlsx, parquet = tmp_path / "s.xlsx", tmp_path / "s.parquet"
    frame.to_excel(xlsx, index=False)
    frame.to_parquet(parquet)
    for path in (xlsx, parquet):
        with pytest.raises(AppError) as error:
            parsing.sniff(path, 10_000)
        assert error.value.status_code == 413 and "10,000 bytes" in error.value.message
        fmt = parsing.sniff(path, 100 * 1024 * 1024)
        # A file whose directory understates its content is still stopped while it is read.
        with pytest.raises(AppError, match="10,000 bytes"):
            for _batch in parsing.read_batches(path, fmt, 10_000):
                pass
        assert sum(b.num_rows for b, _ in parsing.read_batches(path, fmt, 100 * 1024 * 1024)) == 2_000
