"""Streaming a multipart body to one temporary file: hash, fields, limits, malformed bodies."""

from __future__ import annotations

import hashlib
from typing import Any

import httpx
import pytest
from starlette.requests import Request

from common.errors import AppError, Unprocessable
from ingest.receiving import receive_file

pytestmark = pytest.mark.asyncio(loop_scope="session")


def _request(body: bytes, content_type: str, chunk: int = 7) -> Request:
    """An ASGI request whose body arrives in small chunks, as over a network."""
    chunks = [body[i : i + chunk] for i in range(0, len(body), chunk)] or [b""]

    async def receive() -> dict[str, Any]:
        piece = chunks.pop(0) if chunks else b""
        return {"type": "http.request", "body": piece, "more_body": bool(chunks)}

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/upload-sales",
        "headers": [(b"content-type", content_type.encode()), (b"content-length", str(len(body)).encode())],
    }
    return Request(scope, receive)


def _multipart(files: Any, data: dict[str, str] | None = None) -> tuple[bytes, str]:
    request = httpx.Request("POST", "http://ingest/upload-sales", files=files, data=data)
    return request.read(), request.headers["content-type"]


async def test_the_file_part_is_written_once_and_hashed_and_fields_kept() -> None:
    content = b"date,sku,qty,price\r\n2024-01-02,A,1,2\r\n" * 1000
    body, content_type = _multipart(
        {"file": ("sales.csv", content, "text/csv")}, {"mapping": '{"sku": "sku"}'}
    )
    seen: list[tuple[int, int | None]] = []

    async def progress(received: int, total: int | None) -> None:
        seen.append((received, total))

    import ingest.receiving as receiving

    receiving_every = receiving.PROGRESS_EVERY_BYTES
    receiving.PROGRESS_EVERY_BYTES = 4096
    try:
        received = await receive_file(_request(body, content_type, chunk=1000), 10**6, progress)
    finally:
        receiving.PROGRESS_EVERY_BYTES = receiving_every
    try:
        assert received.path.read_bytes() == content
        assert received.sha256 == hashlib.sha256(content).hexdigest()
        assert (received.size, received.filename) == (len(content), "sales.csv")
        assert received.fields == {"mapping": '{"sku": "sku"}'}
        assert seen and all(total == len(body) for _, total in seen)
        assert [r for r, _ in seen] == sorted(r for r, _ in seen)
    finally:
        received.discard()
    assert not received.path.exists()


async def test_over_the_limit_is_413_and_leaves_no_file(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    body, content_type = _multipart({"file": ("s.csv", b"x" * 5000, "text/csv")})
    with pytest.raises(AppError) as error:
        await receive_file(_request(body, content_type, chunk=512), 1000)
    assert error.value.status_code == 413 and "1,000 bytes" in error.value.message
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "body, content_type, message",
    [
        (b"date,sku\n", "text/csv", "multipart/form-data"),
        (
            b'--b\r\nContent-Disposition: form-data; name="other"\r\n\r\nx\r\n--b--\r\n',
            "multipart/form-data; boundary=b",
            "no file",
        ),
        (
            b'--b\r\nContent-Disposition: form-data; name="file"; filename="a"\r\n\r\n\r\n--b--\r\n',
            "multipart/form-data; boundary=b",
            "empty",
        ),
        (b"garbage without boundary" * 10, "multipart/form-data; boundary=b", "malformed"),
    ],
)
async def test_bodies_that_are_not_an_upload_are_refused(
    body: bytes, content_type: str, message: str
) -> None:
    with pytest.raises(Unprocessable, match=message):
        await receive_file(_request(body, content_type), 10**6)


async def test_two_files_in_one_form_are_refused() -> None:
    body, content_type = _multipart(
        [("file", ("a.csv", b"a,b\n1,2\n", "text/csv")), ("file", ("b.csv", b"a,b\n", "text/csv"))]
    )
    with pytest.raises(Unprocessable, match="one file per upload"):
        await receive_file(_request(body, content_type), 10**6)
