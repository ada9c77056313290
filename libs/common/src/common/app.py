"""The FastAPI application factory every service uses: health, readiness, metrics, errors, ids."""

from __future__ import annotations

import asyncio
import gc
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest
from sqlalchemy import text
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from common import cache, db
from common.errors import correct_error_schema, install_error_handlers
from common.logging import REQUEST_ID_HEADER, configure_logging, request_id_var
from common.runtime_metrics import runtime_metrics
from common.settings import get_settings

GC_THRESHOLD_GEN0 = 20_000  # allocations between young-generation collections (CPython's default 700)
REQUESTS = Counter("http_requests_total", "HTTP requests", ["service", "method", "route", "status"])
LATENCY = Histogram(
    "http_request_duration_seconds",
    "HTTP request latency",
    ["service", "method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)


# A readiness check: its JSON body and whether the process is ready.
Readiness = Callable[[], Awaitable[tuple[dict[str, Any], bool]]]
# A check that hangs (a database that accepts connections but never answers) must not hang the
# probe: the orchestrator's own timeout would then report a timeout instead of the reason.
READY_CHECK_TIMEOUT_S = 2.0


async def _check(probe: Callable[[], Awaitable[Any]]) -> str:
    """The outcome of one probe: "ok", or why it failed ("unavailable: <error>", "no answer in 2 s")."""
    try:
        await asyncio.wait_for(probe(), READY_CHECK_TIMEOUT_S)
    except TimeoutError:
        return f"no answer in {READY_CHECK_TIMEOUT_S:g} s"
    except Exception as exc:
        return f"unavailable: {type(exc).__name__}"
    return "ok"


async def own_readiness() -> tuple[dict[str, Any], bool]:
    """This process's readiness: PostgreSQL and Redis answer (the app has started: it answers)."""

    async def postgres() -> None:
        async with db.get_async_engine().connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def redis() -> None:
        await cache.async_redis().ping()

    checks = dict(
        zip(("postgres", "redis"), await asyncio.gather(_check(postgres), _check(redis)), strict=True)
    )
    ok = all(value == "ok" for value in checks.values())
    return {"status": "ready" if ok else "not ready", **checks}, ok


def server_timings(headers: list[str]) -> dict[str, float]:
    """name -> milliseconds of `Server-Timing` header values like `app;dur=3.1, cache;dur=0.4`."""
    timings = {}
    for header in headers:
        for metric in header.split(","):
            name, _, params = metric.strip().partition(";")
            if params.startswith("dur="):
                timings[name] = float(params[4:])
    return timings


class RequestContext:
    """Request id in and out, and the request metrics, as one pure ASGI layer.

    Pure ASGI rather than `BaseHTTPMiddleware`: no extra task, memory stream and body relay per
    request, which was a large share of a cached read's CPU at the gateway.
    """

    def __init__(self, app: ASGIApp, service: str) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the request with its id in the logging context; time, count and tag its answer."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = (Headers(scope=scope).get(REQUEST_ID_HEADER) or uuid.uuid4().hex)[:64]
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status = 500  # what the server answers when the app raises before starting a response

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = MutableHeaders(scope=message)
                headers[REQUEST_ID_HEADER] = request_id
                # Time in the application until its answer starts (browser dev tools show it):
                # set against the client's latency it tells queueing from work.
                headers.append("Server-Timing", f"app;dur={(time.perf_counter() - started) * 1000:.1f}")
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            request_id_var.reset(token)
            path = getattr(scope.get("route"), "path", "unmatched")
            method = scope["method"]
            LATENCY.labels(self.service, method, path).observe(time.perf_counter() - started)
            REQUESTS.labels(self.service, method, path, str(status)).inc()


def create_app(
    service: str,
    routers: Sequence[APIRouter],
    *,
    title: str,
    description: str,
    on_shutdown: Callable[[], Awaitable[None]] | None = None,
    openapi_url: str | None = "/openapi.json",
    readiness: Readiness | None = None,
) -> FastAPI:
    """Build a service's app with its routers plus /health, /ready and /metrics.

    `readiness` replaces what /ready checks (the gateway asks the services behind it).
    """
    settings = get_settings()
    configure_logging(service, settings.log_level)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # Everything imported so far lives as long as the process: moved out of the collector's
        # generations, a full collection no longer walks it, which was a tail-latency pause under
        # hundreds of concurrent requests. Young objects are collected less eagerly for the same
        # reason (a request allocates thousands of short-lived objects).
        gc.collect()
        gc.freeze()
        gc.set_threshold(GC_THRESHOLD_GEN0, 20, 20)
        async with runtime_metrics():
            yield
        if on_shutdown is not None:
            await on_shutdown()
        await db.dispose_async_engine()

    app = FastAPI(
        title=title, description=description, version="0.1.0", lifespan=lifespan, openapi_url=openapi_url
    )
    install_error_handlers(app)
    generate_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = correct_error_schema(generate_openapi())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

    # Outermost, around Starlette's error middleware: a 500 from an unhandled exception is logged
    # with the request id, carries it in its header, and is counted like any other answer.
    build_stack = app.build_middleware_stack
    app.build_middleware_stack = lambda: RequestContext(build_stack(), service)  # type: ignore[method-assign]

    ops = APIRouter(tags=["operations"])

    @ops.get("/health")
    async def health() -> dict[str, str]:
        """Liveness: the process answers."""
        return {"status": "ok", "service": service}

    @ops.get("/ready")
    async def ready() -> JSONResponse:
        """Readiness: 200 once answers can be served, else 503 naming what is not ready.

        A service checks its PostgreSQL and Redis; the gateway asks every service behind it.
        """
        body, ok = await (readiness or own_readiness)()
        return JSONResponse(body, status_code=200 if ok else 503)

    @ops.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        """Prometheus metrics of this process."""
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    app.include_router(ops)
    for router in routers:
        app.include_router(router)
    return app
