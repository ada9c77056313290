"""Uploads against the real database: reject vs skip, idempotency, dry runs, limits, isolation."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from common.db import sync_session
from common.settings import get_settings

pytestmark = pytest.mark.asyncio(loop_scope="session")

HEADER = "date,store,sku,quantity,unit_price,transaction_id,customer_id\n"


@pytest.fixture
async def client(servers: Any) -> AsyncIterator[httpx.AsyncClient]:
    from ingest.main import app

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://ingest") as c:
        yield c


def _count(sql: str, **params: Any) -> int:
    with sync_session() as session:
        return int(session.execute(text(sql), params).scalar_one())


def _merge(job_id: str) -> None:
    from ingest.tasks import merge

    merge(job_id)


async def _upload(
    client: httpx.AsyncClient, headers: dict[str, str], content: str, query: str = "", name: str = "sales.csv"
) -> httpx.Response:
    return await client.post(
        f"/upload-sales{query}", headers=headers, files={"file": (name, content.encode(), "text/csv")}
    )


async def test_a_bad_row_rejects_the_whole_file_and_reports_it(
    client: httpx.AsyncClient, make_identity: Any
) -> None:
    identity, headers = make_identity()
    body = HEADER + "2024-01-02,S1,A,1,2.0,T1,C1\n2024-01-02,S1,B,two,2.0,T1,C1\n"
    response = await _upload(client, headers, body)
    assert response.status_code == 422
    data = response.json()
    assert data["errors"][0]["row"] == 3 and data["errors"][0]["column"] == "quantity"
    assert "row 3: 'quantity' is 'two', expected a number" in data["detail"]
    org = identity.organization_id
    assert _count("SELECT count(*) FROM staged_sales WHERE organization_id = :o", o=org) == 0
    assert _count("SELECT count(*) FROM sales_lines WHERE organization_id = :o", o=org) == 0
    job = (await client.get(f"/jobs/{data['job_id']}", headers=headers)).json()
    assert job["status"] == "failed" and job["error_counts"] == {"not_a_number": 1}
    report = (await client.get(f"/jobs/{data['job_id']}/errors.csv", headers=headers)).text
    assert report.splitlines()[1] == '3,"quantity","two","a number","not_a_number"'


async def test_skip_stores_good_rows_and_merge_counts_them(
    client: httpx.AsyncClient, make_identity: Any
) -> None:
    identity, headers = make_identity()
    body = HEADER + "2024-01-02,S1,A,1,2.0,T1,C1\n2024-01-02,S1,B,x,2.0,T1,C1\n2024-01-03,S1,A,3,2.0,T2,C2\n"
    response = await _upload(client, headers, body, "?on_error=skip")
    assert response.status_code == 202, response.text
    assert (response.json()["rows_accepted"], response.json()["rows_rejected"]) == (2, 1)
    job_id = response.json()["job_id"]
    _merge(job_id)
    org = identity.organization_id
    assert _count("SELECT count(*) FROM sales_lines WHERE organization_id = :o", o=org) == 2
    assert _count("SELECT count(*) FROM staged_sales WHERE job_id = :j", j=job_id) == 0
    job = (await client.get(f"/jobs/{job_id}", headers=headers)).json()
    assert job["stages"]["ingest"]["status"] == "succeeded"
    assert (job["rows_new"], job["rows_updated"], job["rows_unchanged"]) == (2, 0, 0)
    assert _count("SELECT count(*) FROM products WHERE organization_id = :o", o=org) == 1  # B was skipped


async def test_same_file_twice_is_recognised_and_overlaps_do_not_double_count(
    client: httpx.AsyncClient, make_identity: Any
) -> None:
    identity, headers = make_identity()
    first = HEADER + "2024-01-02,S1,A,1,2.0,T1,C1\n2024-01-02,S1,A,1,2.0,T1,C1\n2024-01-03,S1,B,4,3.0,T2,C2\n"
    response = await _upload(client, headers, first)
    job_id = response.json()["job_id"]
    _merge(job_id)
    again = await _upload(client, headers, first)
    assert again.status_code == 200 and again.json()["duplicate"] and again.json()["job_id"] == job_id
    # An overlapping export: one line corrected, one unchanged, one new (two identical lines of
    # one transaction are two lines, not a duplicate).
    second = (
        HEADER + "2024-01-02,S1,A,1,2.0,T1,C1\n2024-01-02,S1,A,1,2.0,T1,C1\n2024-01-03,S1,B,5,3.0,T2,C2\n"
        "2024-01-04,S1,C,1,1.0,T3,C3\n"
    )
    response = await _upload(client, headers, second)
    _merge(response.json()["job_id"])
    job = (await client.get(f"/jobs/{response.json()['job_id']}", headers=headers)).json()
    assert (job["rows_new"], job["rows_updated"], job["rows_unchanged"]) == (1, 1, 2)
    org = identity.organization_id
    assert _count("SELECT count(*) FROM sales_lines WHERE organization_id = :o", o=org) == 4
    assert _count("SELECT sum(quantity) FROM sales_lines WHERE organization_id = :o", o=org) == 8


async def test_aggregate_files_sum_lines_and_a_later_upload_replaces_the_key(
    client: httpx.AsyncClient, make_identity: Any
) -> None:
    identity, headers = make_identity()
    body = "date,store,sku,quantity,unit_price\n2024-01-02,S1,A,2,1.0\n2024-01-02,S1,A,3,1.0\n"
    _merge((await _upload(client, headers, body)).json()["job_id"])
    org = identity.organization_id
    assert _count("SELECT sum(quantity) FROM sales_lines WHERE organization_id = :o", o=org) == 5
    corrected = "date,store,sku,quantity,unit_price\n2024-01-02,S1,A,7,1.0\n"
    _merge((await _upload(client, headers, corrected)).json()["job_id"])
    assert _count("SELECT sum(quantity) FROM sales_lines WHERE organization_id = :o", o=org) == 7
    assert _count("SELECT count(*) FROM sales_lines WHERE organization_id = :o", o=org) == 1


async def test_dry_run_previews_and_stores_nothing(client: httpx.AsyncClient, make_identity: Any) -> None:
    identity, headers = make_identity()
    body = "InvoiceDate,StockCode,Qty,Price\n2024-01-02,A1,1,2\n2024-01-02,Z9,1,-2\n"
    response = await _upload(client, headers, body, "?dry_run=true")
    assert response.status_code == 200
    preview = response.json()
    assert preview["mapping"]["date"] == "InvoiceDate" and preview["mapping"]["sku"] == "StockCode"
    assert (preview["rows_total"], preview["rows_valid"], preview["rows_rejected"]) == (2, 1, 1)
    assert preview["error_counts"] == {"negative_price": 1}
    org = identity.organization_id
    assert _count("SELECT count(*) FROM upload_jobs WHERE organization_id = :o", o=org) == 0
    assert _count("SELECT count(*) FROM staged_sales WHERE organization_id = :o", o=org) == 0


async def test_missing_columns_are_named(client: httpx.AsyncClient, make_identity: Any) -> None:
    _, headers = make_identity()
    response = await _upload(client, headers, "when,what\n2024-01-01,A\n")
    assert response.status_code == 422
    assert response.json()["columns_seen"] == ["when", "what"]
    assert "not found" in response.json()["detail"]


async def test_over_the_size_limit_is_413(
    client: httpx.AsyncClient, make_identity: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, headers = make_identity()
    monkeypatch.setattr(get_settings(), "max_upload_bytes", 100)
    response = await _upload(client, headers, HEADER + "2024-01-02,S1,A,1,2.0,T1,C1\n" * 10)
    assert response.status_code == 413
    assert "100 bytes" in response.json()["detail"]


async def test_other_organizations_jobs_do_not_exist_and_tokens_are_checked(
    client: httpx.AsyncClient, make_identity: Any
) -> None:
    _, headers_a = make_identity()
    _, headers_b = make_identity()
    job_id = (await _upload(client, headers_a, HEADER + "2024-01-02,S1,A,1,2.0,T1,C1\n")).json()["job_id"]
    assert (await client.get(f"/jobs/{job_id}", headers=headers_b)).status_code == 404
    assert (await client.get(f"/jobs/{job_id}/errors.csv", headers=headers_b)).status_code == 404
    assert (await client.get(f"/jobs/{uuid.uuid4()}", headers=headers_a)).status_code == 404
    assert (await client.get("/jobs", headers=headers_b)).json()["total"] == 0
    assert (await client.get(f"/jobs/{job_id}")).status_code == 401
    assert (await client.get(f"/jobs/{job_id}", headers={"Authorization": "Bearer nope"})).status_code == 401


async def test_read_only_role_cannot_upload(client: httpx.AsyncClient, make_identity: Any) -> None:
    _, headers = make_identity(role="analyst")
    response = await _upload(client, headers, HEADER + "2024-01-02,S1,A,1,2.0,T1,C1\n")
    assert response.status_code == 403


async def test_a_client_made_job_id_shows_the_job_from_the_first_byte(
    client: httpx.AsyncClient, make_identity: Any
) -> None:
    _, headers = make_identity()
    job_id = str(uuid.uuid4())
    response = await _upload(client, headers, HEADER + "2024-01-02,S1,A,1,2.0,T1,C1\n", f"?job_id={job_id}")
    assert response.status_code == 202 and response.json()["job_id"] == job_id
    job = (await client.get(f"/jobs/{job_id}", headers=headers)).json()
    assert job["stages"]["ingest"]["progress"] == 0.5 and job["filename"] == "sales.csv"
    again = await _upload(client, headers, HEADER + "2024-01-03,S1,A,1,2.0,T1,C1\n", f"?job_id={job_id}")
    assert again.status_code == 409


async def test_a_duplicate_under_a_client_job_id_answers_the_earlier_job(
    client: httpx.AsyncClient, make_identity: Any
) -> None:
    _, headers = make_identity()
    body = HEADER + "2024-01-02,S1,A,1,2.0,T1,C1\n"
    first = (await _upload(client, headers, body)).json()["job_id"]
    mine = str(uuid.uuid4())
    again = await _upload(client, headers, body, f"?job_id={mine}")
    assert again.status_code == 200 and again.json()["job_id"] == first
    assert (await client.get(f"/jobs/{mine}", headers=headers)).status_code == 404


async def test_the_merge_happens_exactly_once_when_the_task_is_delivered_twice(
    client: httpx.AsyncClient, make_identity: Any
) -> None:
    identity, headers = make_identity()
    body = HEADER + "2024-01-02,S1,A,1,2.0,T1,C1\n2024-01-02,S1,A,1,2.0,T1,C1\n2024-01-03,S1,B,4,3.0,T2,C2\n"
    job_id = (await _upload(client, headers, body)).json()["job_id"]
    _merge(job_id)
    _merge(job_id)  # a redelivery after the first committed
    org = identity.organization_id
    assert _count("SELECT count(*) FROM sales_lines WHERE organization_id = :o", o=org) == 3
    job = (await client.get(f"/jobs/{job_id}", headers=headers)).json()
    assert (job["status"], job["rows_new"], job["rows_unchanged"]) == ("running", 3, 0), (
        job["stages"],
        job["error"],
    )
    assert job["stages"]["ingest"]["status"] == "succeeded"


async def test_staged_rows_lost_before_the_merge_fail_the_job_with_a_reason(
    client: httpx.AsyncClient, make_identity: Any
) -> None:
    _, headers = make_identity()
    job_id = (await _upload(client, headers, HEADER + "2024-01-02,S1,A,1,2.0,T1,C1\n")).json()["job_id"]
    with sync_session() as session:  # what a database crash does to the unlogged staging table
        session.execute(text("DELETE FROM staged_sales WHERE job_id = :j"), {"j": job_id})
    _merge(job_id)
    job = (await client.get(f"/jobs/{job_id}", headers=headers)).json()
    assert job["status"] == "failed" and "upload the file again" in job["error"]


async def test_zero_price_lines_are_kept_but_do_not_drag_the_average_price(
    client: httpx.AsyncClient, make_identity: Any
) -> None:
    from common.sales import load_daily_sales

    identity, headers = make_identity()
    body = (
        HEADER + "2024-01-02,S1,A,2,3.0,T1,C1\n2024-01-02,S1,A,2,0,T2,C1\n"  # one paid, one free
        "2024-01-03,S1,A,1,0,T3,C1\n"  # only a free line that day: no price
    )
    response = await _upload(client, headers, body)
    assert response.json()["flag_counts"] == {"zero_price": 2}
    _merge(response.json()["job_id"])
    org = identity.organization_id
    assert _count("SELECT count(*) FROM sales_lines WHERE organization_id = :o AND is_zero_price", o=org) == 2
    with sync_session() as session:
        daily = load_daily_sales(session.connection(), org)
    assert list(daily["quantity"]) == [4, 1]
    assert daily["unit_price"].iloc[0] == 3.0 and daily["unit_price"].isna().iloc[1]
    job = (await client.get(f"/jobs/{response.json()['job_id']}", headers=headers)).json()
    assert job["flag_counts"] == {"zero_price": 2}


async def test_errors_past_the_cap_are_counted_and_the_job_says_so(
    client: httpx.AsyncClient, make_identity: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, headers = make_identity()
    monkeypatch.setattr("ingest.service.MAX_STORED_ERRORS", 5)
    body = (
        HEADER
        + "".join(f"2024-01-02,S1,A,x{i},2.0,T{i},C1\n" for i in range(12))
        + "2024-01-02,S1,A,1,2,T,C\n"
    )
    response = await _upload(client, headers, body, "?on_error=skip")
    assert response.status_code == 202
    job = (await client.get(f"/jobs/{response.json()['job_id']}", headers=headers)).json()
    assert job["error_counts"] == {"not_a_number": 12} and job["errors_truncated"] is True
    report = (await client.get(f"/jobs/{job['id']}/errors.csv", headers=headers)).text.splitlines()
    assert len(report) == 1 + 5 and report[1].startswith("2,")


async def test_a_gzip_inflating_past_the_decompressed_limit_is_413_and_stores_nothing(
    client: httpx.AsyncClient, make_identity: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import gzip

    identity, headers = make_identity()
    monkeypatch.setattr(get_settings(), "max_upload_decompressed_bytes", 256 * 1024)
    body = gzip.compress((HEADER + "2024-01-02,S1,A,1,2.0,T1,C1\n" * 40_000).encode())  # 1.1 MB inflated
    assert len(body) < 256 * 1024  # the compressed size is under every limit
    response = await client.post(
        "/upload-sales", headers=headers, files={"file": ("s.csv.gz", body, "application/gzip")}
    )
    assert response.status_code == 413, response.text
    assert "262,144 bytes" in response.json()["detail"]
    org = identity.organization_id
    assert _count("SELECT count(*) FROM staged_sales WHERE organization_id = :o", o=org) == 0
    job = (await client.get("/jobs", headers=headers)).json()["items"][0]
    assert job["status"] == "failed" and "262,144 bytes" in job["error"]


async def test_a_detected_column_mapped_to_null_is_not_used(
    client: httpx.AsyncClient, make_identity: Any
) -> None:
    identity, headers = make_identity()
    body = HEADER + "2024-01-02,S1,A,1,2.0,T1,C1\n"
    files = {"file": ("sales.csv", body.encode(), "text/csv")}
    preview = await client.post(
        "/upload-sales?dry_run=true", headers=headers, files=files, data={"mapping": '{"customer_id": null}'}
    )
    assert preview.status_code == 200, preview.text
    assert preview.json()["mapping"]["customer_id"] is None
    assert preview.json()["mapping"]["transaction_id"] == "transaction_id"  # the rest still detected
    response = await client.post(
        "/upload-sales", headers=headers, files=files, data={"mapping": '{"customer_id": "", "store": null}'}
    )
    assert response.status_code == 202, response.text
    _merge(response.json()["job_id"])
    org = identity.organization_id
    assert (
        _count("SELECT count(*) FROM sales_lines WHERE organization_id = :o AND customer_id IS NULL", o=org)
        == 1
    )
    assert _count("SELECT count(*) FROM sales_lines WHERE organization_id = :o AND store = 'S1'", o=org) == 0
    # A required column cannot be switched off: the 422 says which.
    refused = await client.post(
        "/upload-sales", headers=headers, files=files, data={"mapping": '{"sku": null}'}
    )
    assert refused.status_code == 422 and "'sku'" in refused.json()["detail"]


async def test_a_copy_that_hangs_is_abandoned_with_a_retryable_503_and_nothing_stored(
    client: httpx.AsyncClient, make_identity: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import asyncio

    from ingest.repository import IngestRepository

    identity, headers = make_identity()
    monkeypatch.setattr(get_settings(), "ingest_database_stall_timeout_s", 1.0)
    original = IngestRepository.copy_staged

    async def copy_then_hang(self: IngestRepository, *args: Any) -> None:
        # What a restarted server the driver never heard about looks like: rows sent, no answer.
        await original(self, *args)
        await asyncio.Event().wait()

    monkeypatch.setattr(IngestRepository, "copy_staged", copy_then_hang)
    body = HEADER + "2024-01-02,S1,A,1,2.0,T1,C1\n"
    response = await _upload(client, headers, body)
    assert response.status_code == 503, response.text
    assert "upload the file again" in response.json()["detail"]
    assert response.headers["retry-after"] == "30"
    org = identity.organization_id
    assert _count("SELECT count(*) FROM staged_sales WHERE organization_id = :o", o=org) == 0
    job = (await client.get("/jobs", headers=headers)).json()["items"][0]
    assert job["status"] == "failed" and "upload the file again" in job["error"]
    # Retryable: the same file again is stored (not answered with the failed job).
    monkeypatch.setattr(IngestRepository, "copy_staged", original)
    retry = await _upload(client, headers, body)
    assert retry.status_code == 202 and retry.json()["job_id"] != job["id"]


async def test_lost_connections_are_told_apart_from_data_errors() -> None:
    import asyncpg
    from sqlalchemy.exc import DBAPIError

    from ingest.stall import is_connection_lost

    assert is_connection_lost(asyncpg.exceptions.ConnectionDoesNotExistError("closed in the middle"))
    assert is_connection_lost(asyncpg.exceptions.AdminShutdownError("terminating connection"))
    assert is_connection_lost(ConnectionResetError())
    assert is_connection_lost(DBAPIError("COPY", None, asyncpg.exceptions.ConnectionDoesNotExistError("x")))
    assert not is_connection_lost(asyncpg.exceptions.DataError("invalid input syntax"))
    assert not is_connection_lost(DBAPIError("COPY", None, asyncpg.exceptions.UniqueViolationError("dup")))
