"""The FastAPI application factory every service uses: health, readiness, metrics, errors, ids."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest
from sqlalchemy import text

from common import cache, db
from common.errors import correct_error_schema, install_error_handlers
from common.logging import REQUEST_ID_HEADER, configure_logging, request_id_var
from common.settings import get_settings

REQUESTS = Counter("http_requests_total", "HTTP requests", ["service", "method", "route", "status"])
LATENCY = Histogram(
    "http_request_duration_seconds",
    "HTTP request latency",
    ["service", "method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)


def create_app(
    service: str,
    routers: Sequence[APIRouter],
    *,
    title: str,
    description: str,
    on_shutdown: Callable[[], Awaitable[None]] | None = None,
    openapi_url: str | None = "/openapi.json",
) -> FastAPI:
    """Build a service's app with its routers plus /health, /ready and /metrics."""
    settings = get_settings()
    configure_logging(service, settings.log_level)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
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

    @app.middleware("http")
    async def _request_context(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        request_id = request.headers.get(REQUEST_ID_HEADER) or uuid.uuid4().hex
        token = request_id_var.set(request_id[:64])
        started = time.perf_counter()
        try:
            response = await call_next(request)
        finally:
            request_id_var.reset(token)
        route = request.scope.get("route")
        path = getattr(route, "path", "unmatched")
        LATENCY.labels(service, request.method, path).observe(time.perf_counter() - started)
        REQUESTS.labels(service, request.method, path, str(response.status_code)).inc()
        response.headers[REQUEST_ID_HEADER] = request_id[:64]
        return response

    ops = APIRouter(tags=["operations"])

    @ops.get("/health")
    async def health() -> dict[str, str]:
        """Liveness: the process answers."""
        return {"status": "ok", "service": service}

    @ops.get("/ready")
    async def ready() -> JSONResponse:
        """Readiness: PostgreSQL and Redis answer."""
        checks: dict[str, str] = {}
        try:
            async with db.get_async_engine().connect() as conn:
                await conn.execute(text("SELECT 1"))
            checks["postgres"] = "ok"
        except Exception as exc:
            checks["postgres"] = f"unavailable: {type(exc).__name__}"
        try:
            await cache.async_redis().ping()
            checks["redis"] = "ok"
        except Exception as exc:
            checks["redis"] = f"unavailable: {type(exc).__name__}"
        ok = all(v == "ok" for v in checks.values())
        return JSONResponse(
            {"status": "ready" if ok else "not ready", **checks}, status_code=200 if ok else 503
        )

    @ops.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        """Prometheus metrics of this process."""
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    app.include_router(ops)
    for router in routers:
        app.include_router(router)
    return app
