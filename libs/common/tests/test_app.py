"""The app factory's request context: request id in and out, request metrics, error logging."""

from __future__ import annotations

import io
import json
import logging
import uuid
from collections.abc import AsyncIterator, MutableMapping
from typing import Any

import httpx
import pytest
from fastapi import APIRouter, FastAPI
from fastapi.middleware.gzip import GZipMiddleware

from common.app import REQUESTS, create_app
from common.logging import REQUEST_ID_HEADER, JsonFormatter, request_id_var

pytestmark = pytest.mark.asyncio(loop_scope="session")

router = APIRouter()
seen_request_ids: list[str] = []


@router.get("/items/{item_id}")
async def item(item_id: int) -> dict[str, int | str]:
    """Answer with the request id the logging context holds."""
    seen_request_ids.append(request_id_var.get())
    return {"id": item_id, "request_id": request_id_var.get()}


@router.get("/big")
async def big() -> dict[str, str]:
    """A body above GZipMiddleware's minimum size."""
    return {"text": "x" * 4000}


@router.get("/boom")
async def boom() -> None:
    """Fail the way a bug does."""
    raise RuntimeError("kaboom")


@pytest.fixture(scope="module")
def service() -> str:
    """A service name of its own, so the counters this module reads start at zero."""
    return f"test-app-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module")
def app(service: str) -> FastAPI:
    """An app as the services build it, with GZip added the way the gateway adds it."""
    built = create_app(service, [router], title="t", description="d")
    built.add_middleware(GZipMiddleware, minimum_size=1024, compresslevel=6)
    return built


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client on the app in this process; unhandled errors become 500 answers."""
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://svc") as c:
        yield c


def count(service: str, method: str, route: str, status: str) -> float:
    """The request counter's value for one label set."""
    return REQUESTS.labels(service, method, route, status)._value.get()


async def test_a_request_id_sent_is_used_and_echoed(client: httpx.AsyncClient) -> None:
    answer = await client.get("/items/7", headers={REQUEST_ID_HEADER: "abc-123"})
    assert answer.status_code == 200
    assert answer.headers[REQUEST_ID_HEADER] == "abc-123"
    assert answer.json() == {"id": 7, "request_id": "abc-123"}  # the handler logged with it
    assert request_id_var.get() == "-"  # and the context is restored after the request


async def test_a_missing_request_id_is_created_and_a_long_one_is_cut(client: httpx.AsyncClient) -> None:
    fresh = await client.get("/items/1")
    made = fresh.headers[REQUEST_ID_HEADER]
    assert len(made) == 32 and int(made, 16) >= 0 and fresh.json()["request_id"] == made
    other = await client.get("/items/1")
    assert other.headers[REQUEST_ID_HEADER] != made
    long_one = await client.get("/items/1", headers={REQUEST_ID_HEADER: "r" * 100})
    assert long_one.headers[REQUEST_ID_HEADER] == "r" * 64
    assert long_one.json()["request_id"] == "r" * 64


async def test_a_200_is_counted_under_its_route_template(client: httpx.AsyncClient, service: str) -> None:
    before = count(service, "GET", "/items/{item_id}", "200")
    for n in range(3):
        assert (await client.get(f"/items/{n}")).status_code == 200
    assert count(service, "GET", "/items/{item_id}", "200") == before + 3
    assert count(service, "GET", "/items/0", "200") == 0  # the template, not the raw path


async def test_unmatched_paths_and_handled_errors_are_counted(
    client: httpx.AsyncClient, service: str
) -> None:
    assert (await client.get("/nowhere")).status_code == 404
    assert (await client.get("/items/not-a-number")).status_code == 422
    assert count(service, "GET", "unmatched", "404") == 1
    assert count(service, "GET", "/items/{item_id}", "422") == 1


async def test_an_exception_is_answered_500_counted_and_logged_with_the_request_id(
    client: httpx.AsyncClient, service: str
) -> None:
    before = count(service, "GET", "/boom", "500")
    # Formatted as it is emitted, like the JSON handler on stderr does in a running service.
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter(service))
    errors_log = logging.getLogger("smartretail.errors")
    errors_log.addHandler(handler)
    try:
        answer = await client.get("/boom", headers={REQUEST_ID_HEADER: "req-boom-1"})
    finally:
        errors_log.removeHandler(handler)
    assert answer.status_code == 500
    assert answer.json() == {"detail": "internal error (request id req-boom-1)"}
    assert answer.headers[REQUEST_ID_HEADER] == "req-boom-1"
    assert count(service, "GET", "/boom", "500") == before + 1
    [line] = [json.loads(text) for text in stream.getvalue().splitlines() if text.startswith("{")]
    assert line["level"] == "ERROR" and line["service"] == service
    assert line["logger"] == "smartretail.errors"
    assert line["msg"] == "unhandled error on GET /boom"
    assert line["request_id"] == "req-boom-1"
    assert "RuntimeError: kaboom" in line["exc"]


async def test_gzip_still_compresses_large_answers_only(client: httpx.AsyncClient) -> None:
    large = await client.get("/big", headers={"Accept-Encoding": "gzip"})
    assert large.headers["content-encoding"] == "gzip"
    assert large.json() == {"text": "x" * 4000}  # httpx undid the gzip
    assert large.num_bytes_downloaded < 500
    assert large.headers[REQUEST_ID_HEADER]
    small = await client.get("/items/1", headers={"Accept-Encoding": "gzip"})
    assert "content-encoding" not in small.headers  # below minimum_size: sent as it is


async def test_the_lifespan_protocol_passes_through_the_layer(app: FastAPI) -> None:
    incoming = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]
    sent: list[str] = []

    async def receive() -> MutableMapping[str, Any]:
        return incoming.pop(0)

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message["type"])

    await app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}, receive, send)
    assert sent == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
