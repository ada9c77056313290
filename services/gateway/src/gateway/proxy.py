"""Forwarding of API calls to the owning domain service, with a gateway-signed identity."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.background import BackgroundTask

from common.auth import create_service_token, current_identity
from common.logging import REQUEST_ID_HEADER, request_id_var
from common.settings import get_settings

log = logging.getLogger("smartretail.gateway.proxy")

# Public path prefix -> owning service. Extend, never rename: partners depend on these paths.
ROUTES: dict[str, str] = {
    "/upload-sales": "ingest",
    "/upload-products": "ingest",
    "/upload-plan": "ingest",
    "/jobs": "ingest",
    "/sales": "ingest",
    "/forecast": "forecasting",
    "/customer-segments": "segmentation",
    "/pricing-suggestions": "pricing",
    "/inventory-recommendations": "inventory",
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

router = APIRouter(include_in_schema=False)
_client: httpx.AsyncClient | None = None


def client() -> httpx.AsyncClient:
    """The gateway's pooled HTTP client to the services."""
    global _client
    if _client is None:
        settings = get_settings()
        _client = httpx.AsyncClient(
            timeout=httpx.Timeout(settings.upstream_timeout_s, connect=5.0),
            limits=httpx.Limits(max_connections=200, max_keepalive_connections=50),
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


async def forward(request: Request, service: str) -> StreamingResponse | JSONResponse:
    """Verify the caller, then stream the request to the service and its answer back."""
    identity = await current_identity(request)
    headers = {k: v for k, v in request.headers.items() if k.lower() in _FORWARDED_REQUEST_HEADERS}
    headers["authorization"] = f"Bearer {create_service_token(identity)}"
    headers[REQUEST_ID_HEADER] = request_id_var.get()
    url = httpx.URL(get_settings().service_url(service) + request.url.path, query=request.url.query.encode())
    has_body = request.method in ("POST", "PUT", "PATCH")

    async def body() -> AsyncIterator[bytes]:
        async for chunk in request.stream():
            yield chunk

    upstream_request = client().build_request(
        request.method, url, headers=headers, content=body() if has_body else None
    )
    try:
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
    response_headers = {k: v for k, v in upstream.headers.items() if k.lower() not in _HOP_BY_HOP}
    return StreamingResponse(
        upstream.aiter_raw(),
        status_code=upstream.status_code,
        headers=response_headers,
        background=BackgroundTask(upstream.aclose),
    )


def register_routes() -> None:
    """One catch-all route per public prefix, so unknown paths still 404 at the gateway."""
    methods = ["GET", "POST", "PUT", "PATCH", "DELETE"]
    for prefix, service in ROUTES.items():

        async def endpoint(request: Request, _service: str = service) -> StreamingResponse | JSONResponse:
            return await forward(request, _service)

        router.add_api_route(prefix, endpoint, methods=methods, response_model=None)
        router.add_api_route(prefix + "/{rest:path}", endpoint, methods=methods, response_model=None)


register_routes()
