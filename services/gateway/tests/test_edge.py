"""The gateway's hot path: cached reads served precompressed, upstream retries, keep-alive, limits."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx
import pytest
import uvicorn

from common.app import server_timings
from common.run import SERVICE_KEEPALIVE_TIMEOUT_S, process_commands
from common.settings import SERVICES

pytestmark = pytest.mark.asyncio(loop_scope="session")

BIG = {"items": [{"store": "S01", "sku": f"SKU{i:03d}", "p50": i * 1.5} for i in range(200)], "total": 200}


class Upstream:
    """A stand-in for the services behind the gateway: counts calls, may fail the first ones."""

    def __init__(self, body: Any, failures: int = 0) -> None:
        self.body = body
        self.failures = failures
        self.calls: list[tuple[str, str]] = []

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.calls.append((request.method, request.url.path))
        if self.failures:
            self.failures -= 1
            raise httpx.RemoteProtocolError("Server disconnected without sending a response.")
        # Streamed like a real service's answer (the gateway reads services with stream=True).
        return httpx.Response(
            200, headers={"content-type": "application/json"}, stream=_Chunks(json.dumps(self.body).encode())
        )


class _Chunks(httpx.AsyncByteStream):
    def __init__(self, body: bytes) -> None:
        self.body = body

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for start in range(0, len(self.body), 4096):
            yield self.body[start : start + 4096]


@pytest.fixture
def upstream_with(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Upstream]]:
    from gateway import proxy

    def install(body: Any, failures: int = 0) -> Upstream:
        fake = Upstream(body, failures)
        monkeypatch.setattr(proxy, "_client", httpx.AsyncClient(transport=httpx.MockTransport(fake.handle)))
        return fake

    yield install
    proxy._client = None  # the next test builds the real pooled client again


@pytest.fixture
async def gateway(servers: Any) -> AsyncIterator[httpx.AsyncClient]:
    from gateway.main import app

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway") as c:
        yield c


def _timings(response: httpx.Response) -> dict[str, float]:
    """Server-Timing metrics of an answer: name -> milliseconds."""
    return server_timings(response.headers.get_list("server-timing"))


async def test_a_cached_read_says_where_its_time_went(
    gateway: httpx.AsyncClient, upstream_with: Callable[..., Upstream], make_identity: Any
) -> None:
    upstream_with(BIG)
    _, headers = make_identity()
    miss = await gateway.get("/forecast?limit=7", headers=headers)
    hit = await gateway.get("/forecast?limit=7", headers=headers)
    assert hit.headers["x-cache"] == "hit"
    timings = _timings(hit)
    # The rate-limit and cache round trips to Redis, and the whole time in the application.
    assert set(timings) == {"app", "ratelimit", "cache"}
    assert 0 <= timings["cache"] <= timings["app"] and 0 <= timings["ratelimit"] <= timings["app"]
    assert "cache" not in _timings(miss) and "app" in _timings(miss)  # a miss went to the service


async def test_cached_reads_are_compressed_once_and_served_as_stored(
    gateway: httpx.AsyncClient, upstream_with: Callable[..., Upstream], make_identity: Any
) -> None:
    fake = upstream_with(BIG)
    _, headers = make_identity()
    gzip_headers = {**headers, "Accept-Encoding": "gzip"}
    first = await gateway.get("/forecast?limit=200", headers=gzip_headers)
    second = await gateway.get("/forecast?limit=200", headers=gzip_headers)
    plain = await gateway.get("/forecast?limit=200", headers={**headers, "Accept-Encoding": "identity"})
    assert [r.headers["x-cache"] for r in (first, second, plain)] == ["miss", "hit", "hit"]
    assert fake.calls == [("GET", "/forecast")]  # one upstream call fills both variants
    for response in (first, second):
        assert response.headers["content-encoding"] == "gzip"
        assert response.headers["vary"] == "Accept-Encoding"
        assert response.json() == BIG  # httpx undid the gzip the headers announce
        assert response.num_bytes_downloaded < len(json.dumps(BIG)) / 3
        assert response.headers["x-frame-options"] == "DENY"  # security headers on cached answers too
    assert "content-encoding" not in plain.headers
    assert plain.json() == BIG and plain.headers["content-type"] == "application/json"


async def test_small_cached_reads_are_stored_compressed_too(
    gateway: httpx.AsyncClient, upstream_with: Callable[..., Upstream], make_identity: Any
) -> None:
    fake = upstream_with({"items": [], "total": 0})
    _, headers = make_identity()
    answers = [
        await gateway.get("/pricing-suggestions", headers={**headers, "Accept-Encoding": "gzip"})
        for _ in range(2)
    ]
    assert [a.headers["x-cache"] for a in answers] == ["miss", "hit"] and len(fake.calls) == 1
    for answer in answers:
        assert answer.headers["content-encoding"] == "gzip"
        assert answer.headers["vary"] == "Accept-Encoding"  # set once: not compressed a second time
        assert answer.json() == {"items": [], "total": 0}


async def test_an_idempotent_read_is_retried_once_on_a_dropped_connection(
    gateway: httpx.AsyncClient, upstream_with: Callable[..., Upstream], make_identity: Any
) -> None:
    _, headers = make_identity()
    once = upstream_with({"items": []}, failures=1)
    assert (await gateway.get("/jobs", headers=headers)).status_code == 200
    assert len(once.calls) == 2
    twice = upstream_with({"items": []}, failures=2)
    answer = await gateway.get("/jobs", headers=headers)
    assert answer.status_code == 503 and "unavailable" in answer.json()["detail"]
    assert len(twice.calls) == 2  # one retry, not a loop


async def test_an_upload_is_never_resent(
    gateway: httpx.AsyncClient, upstream_with: Callable[..., Upstream], make_identity: Any
) -> None:
    _, headers = make_identity()
    fake = upstream_with({"job_id": "x"}, failures=1)
    answer = await gateway.post("/upload-sales", headers=headers, files={"file": ("a.csv", b"date\n")})
    assert answer.status_code == 503
    assert fake.calls == [("POST", "/upload-sales")]


async def test_pooled_connections_expire_before_the_services_close_them(servers: Any) -> None:
    from gateway import proxy

    await proxy.close_client()
    pool = proxy.client()._transport._pool  # type: ignore[attr-defined]
    try:
        # Both sides at 5 s (httpx's and uvicorn's defaults) race: the gateway could send on a
        # connection at the instant the service closes it, and the call fails with a reset.
        assert pool._keepalive_expiry < SERVICE_KEEPALIVE_TIMEOUT_S
        assert pool._keepalive_expiry < uvicorn.Config(app="x").timeout_keep_alive  # compose, k8s
    finally:
        await proxy.close_client()
    commands = process_commands({name: 9000 + i for i, name in enumerate(("gateway", *SERVICES))})
    for name in SERVICES:
        command = commands[name]
        assert command[command.index("--timeout-keep-alive") + 1] == str(SERVICE_KEEPALIVE_TIMEOUT_S)


async def test_every_limit_of_a_request_is_counted_in_one_round_trip(
    gateway: httpx.AsyncClient, upstream_with: Callable[..., Upstream], make_identity: Any
) -> None:
    from common.cache import async_redis
    from gateway.ratelimits import principal

    upstream_with({"job_id": "x"})
    _, headers = make_identity()
    await gateway.post("/upload-sales", headers=headers, files={"file": ("a.csv", b"date\n")})
    who = principal(httpx.Headers(headers))
    counters = {key.decode() async for key in async_redis().scan_iter(f"sr:rl:*{who}*")}
    assert {key.split(":")[2] for key in counters} == {"tok", "upl"}
