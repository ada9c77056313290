"""Forwarding of API calls to the owning domain service, with a gateway-signed identity."""

from __future__ import annotations

import gzip
import hashlib
import logging
import time
from collections.abc import AsyncIterator

import httpx
from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.background import BackgroundTask

from common import cache
from common.auth import (
    Identity,
    VerifiedTokens,
    authenticate,
    authorize,
    create_service_token,
)
from common.logging import REQUEST_ID_HEADER, request_id_var
from common.settings import get_settings

log = logging.getLogger("smartretail.gateway.proxy")

# Public path prefix -> owning service. Extend, never rename: partners depend on these paths.
ROUTES: dict[str, str] = {
    "/upload-sales": "ingest",
    "/upload-products": "ingest",
    "/upload-plan": "ingest",
    "/upload-stores": "ingest",
    "/upload-events": "ingest",
    "/stores": "ingest",
    "/events": "ingest",
    "/upload-stock": "ingest",
    "/jobs": "ingest",
    "/sales": "ingest",
    "/forecast": "forecasting",
    "/customer-segments": "segmentation",
    "/pricing-suggestions": "pricing",
    "/inventory-recommendations": "inventory",
    "/stockouts": "inventory",
    "/scenarios": "forecasting",
}
# accept-encoding is not forwarded: the gateway compresses once, for the client.
_FORWARDED_REQUEST_HEADERS = ("content-type", "content-length", "accept", "content-encoding")
_HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "transfer-encoding",
    "te",
    "trailer",
    "upgrade",
    "content-length",
    "server",
    "date",
}

# Result reads the gateway answers from Redis without a hop to the service, per path prefix:
# the cache domain that the owning worker invalidates when it writes new results.
EDGE_CACHED: dict[str, str] = {
    "/forecast": "forecast",
    "/customer-segments": "segments",
    "/pricing-suggestions": "pricing",
    "/inventory-recommendations": "inventory",
    "/sales": "sales",
}
MAX_EDGE_CACHED_BYTES = 2 * 1024 * 1024
# gzip level 6: within a few % of level 9's size for JSON at about a third of the CPU.
GZIP_LEVEL = 6
_verified_tokens = VerifiedTokens(ttl_s=5.0)
# A pooled connection must be dropped by the gateway before the service's uvicorn closes it
# (its --timeout-keep-alive, 5 s by default): otherwise a request sent on a connection the
# service is closing at that instant fails with a reset. Idempotent GETs are also retried once.
UPSTREAM_KEEPALIVE_EXPIRY_S = 2.0

router = APIRouter(include_in_schema=False)
_client: httpx.AsyncClient | None = None


def client() -> httpx.AsyncClient:
    """The gateway's pooled HTTP client to the services."""
    global _client
    if _client is None:
        settings = get_settings()
        _client = httpx.AsyncClient(
            timeout=httpx.Timeout(settings.upstream_timeout_s, connect=5.0),
            limits=httpx.Limits(
                max_connections=200,
                max_keepalive_connections=50,
                keepalive_expiry=UPSTREAM_KEEPALIVE_EXPIRY_S,
            ),
        )
    return _client


async def close_client() -> None:
    """Close the pooled client at shutdown."""
    global _client
    if _client is not None:
        await _client.aclose()
    _client = None


def owning_service(path: str) -> str | None:
    """The service that owns a public path, or None."""
    for prefix, service in ROUTES.items():
        if path == prefix or path.startswith(prefix + "/"):
            return service
    return None


def edge_cache_domain(request: Request) -> str | None:
    """The cache domain of a GET of results (None for anything live, like job progress)."""
    if request.method != "GET":
        return None
    path = request.url.path
    for prefix, domain in EDGE_CACHED.items():
        if path == prefix or path.startswith(prefix + "/"):
            return domain
    return None


async def forward(request: Request, service: str) -> Response:
    """Verify the caller, then answer a cached result read, or stream the call to the service."""
    identity = await authenticate(request, _verified_tokens)
    authorize(identity, request.method, request.url.path)
    domain = edge_cache_domain(request)
    if domain is not None:
        org = str(identity.organization_id)
        name = hashlib.sha256(f"{request.url.path}?{request.url.query}".encode()).hexdigest()[:40]
        variant = f"{name}:{'gzip' if accepts_gzip(request) else 'identity'}"
        started = time.perf_counter()
        current = await cache.get_current_bytes(org, domain, variant)
        if current is not None and current[1] is not None:
            hit = cached_response(current[1], "hit")
            hit.headers.append("Server-Timing", f"cache;dur={(time.perf_counter() - started) * 1000:.1f}")
            return hit
        response = await _send(request, service, identity)
        if current is not None and isinstance(response, _Upstream) and response.cacheable:
            body = await response.read_all(MAX_EDGE_CACHED_BYTES)
            if body is not None:
                entries = cache_entries(response.media_type, body)
                await cache.put_many(
                    org, domain, {f"{name}:{enc}": entry for enc, entry in entries.items()}, current[0]
                )
                return cached_response(entries[variant.rsplit(":", 1)[1]], "miss")
            return response.stream_rest()
        return response.stream_rest() if isinstance(response, _Upstream) else response
    response = await _send(request, service, identity)
    return response.stream_rest() if isinstance(response, _Upstream) else response


def accepts_gzip(request: Request) -> bool:
    """Whether the client takes gzip (the same test as Starlette's GZipMiddleware)."""
    return "gzip" in request.headers.get("accept-encoding", "")


def cache_entries(media_type: str, body: bytes) -> dict[str, bytes]:
    """A result as stored for clients sending each Accept-Encoding: `media type\\nencoding\\nbody`.

    Compressed once, when the entry is written, so a hit costs no compression CPU (small bodies
    too: storing both variants keeps one code path, and a hit never runs GZipMiddleware).
    """
    compressed = gzip.compress(body, compresslevel=GZIP_LEVEL, mtime=0)
    return {
        "identity": media_type.encode() + b"\n\n" + body,
        "gzip": media_type.encode() + b"\ngzip\n" + compressed,
    }


def cached_response(entry: bytes, source: str) -> Response:
    """The answer for a stored entry, with its Content-Encoding; X-Cache says hit or miss."""
    media_type, encoding, body = entry.split(b"\n", 2)
    headers = {"X-Cache": source, "Vary": "Accept-Encoding"}
    if encoding:
        headers["Content-Encoding"] = encoding.decode()
    return Response(body, media_type=media_type.decode(), headers=headers)


class _Upstream:
    """A service's streamed answer, readable whole (to cache) or passed on as a stream."""

    def __init__(self, upstream: httpx.Response) -> None:
        self.upstream = upstream
        self.buffered = b""
        self.media_type = upstream.headers.get("content-type", "application/json")

    @property
    def cacheable(self) -> bool:
        """Only complete 200 JSON answers are cached."""
        return (
            self.upstream.status_code == 200
            and self.media_type.startswith("application/json")
            and "content-encoding" not in self.upstream.headers
        )

    async def read_all(self, limit: int) -> bytes | None:
        """The whole body, or None (body kept for streaming) when it is larger than `limit`."""
        chunks = []
        size = 0
        async for chunk in self.upstream.aiter_raw():
            chunks.append(chunk)
            size += len(chunk)
            if size > limit:
                self.buffered = b"".join(chunks)
                return None
        await self.upstream.aclose()
        return b"".join(chunks)

    def stream_rest(self) -> StreamingResponse:
        """Pass the (rest of the) answer to the client as it arrives."""

        async def body() -> AsyncIterator[bytes]:
            if self.buffered:
                yield self.buffered
            async for chunk in self.upstream.aiter_raw():
                yield chunk

        headers = {k: v for k, v in self.upstream.headers.items() if k.lower() not in _HOP_BY_HOP}
        return StreamingResponse(
            body(),
            status_code=self.upstream.status_code,
            headers=headers,
            background=BackgroundTask(self.upstream.aclose),
        )


async def _send(request: Request, service: str, identity: Identity) -> _Upstream | JSONResponse:
    """Send the call to the service with a gateway-signed identity."""
    headers = {k: v for k, v in request.headers.items() if k.lower() in _FORWARDED_REQUEST_HEADERS}
    headers["authorization"] = f"Bearer {create_service_token(identity)}"
    headers[REQUEST_ID_HEADER] = request_id_var.get()
    # The raw (still percent-encoded) path: a decoded one may hold characters a URL cannot carry.
    raw_path = request.scope.get("raw_path") or request.url.path.encode()
    url = httpx.URL(
        get_settings().service_url(service) + raw_path.decode("latin-1"), query=request.url.query.encode()
    )
    has_body = request.method in ("POST", "PUT", "PATCH")
    if not has_body:  # a body on GET/DELETE is not forwarded, so neither are its headers
        for name in ("content-length", "content-type", "content-encoding"):
            headers.pop(name, None)

    async def body() -> AsyncIterator[bytes]:
        async for chunk in request.stream():
            yield chunk

    upstream_request = client().build_request(
        request.method, url, headers=headers, content=body() if has_body else None
    )
    try:
        try:
            upstream = await client().send(upstream_request, stream=True)
        except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as exc:
            if request.method not in ("GET", "HEAD"):
                raise  # a streamed body cannot be sent twice, and a write may have been applied
            # A kept-alive connection the service closed as it was reused: once more, on a new one.
            log.info("retrying %s %s on a fresh connection: %r", request.method, service, exc)
            upstream = await client().send(upstream_request, stream=True)
    except (httpx.ConnectError, httpx.ConnectTimeout, httpx.RemoteProtocolError) as exc:
        log.warning("%s service unreachable: %s", service, exc)
        return JSONResponse(
            {"detail": f"the {service} service is unavailable; try again shortly"},
            status_code=503,
            headers={"Retry-After": "5"},
        )
    except httpx.TimeoutException:
        return JSONResponse({"detail": f"the {service} service did not answer in time"}, status_code=504)
    except httpx.HTTPError as exc:
        log.warning("bad exchange with %s: %s", service, exc)
        return JSONResponse({"detail": f"the {service} service gave an unusable answer"}, status_code=502)
    return _Upstream(upstream)


def register_routes() -> None:
    """One catch-all route per public prefix, so unknown paths still 404 at the gateway."""
    methods = ["GET", "POST", "PUT", "PATCH", "DELETE"]
    for prefix, service in ROUTES.items():

        async def endpoint(request: Request, _service: str = service) -> Response:
            return await forward(request, _service)

        router.add_api_route(prefix, endpoint, methods=methods, response_model=None)
        router.add_api_route(prefix + "/{rest:path}", endpoint, methods=methods, response_model=None)


register_routes()
