"""The gateway: accounts, token checks, routing to the domain services, and the dashboard."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Response
from fastapi.middleware.cors import CORSMiddleware
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from common.app import create_app, own_readiness
from common.settings import get_settings
from gateway import proxy
from gateway.api_keys.endpoints import router as api_keys_router
from gateway.auth.endpoints import members_router
from gateway.auth.endpoints import router as auth_router
from gateway.openapi import merged_openapi
from gateway.organization.endpoints import router as settings_router
from gateway.ratelimits import GatewayEdge
from gateway.readiness import PlatformReadiness


def build_app() -> FastAPI:
    """Assemble the gateway application."""
    settings = get_settings()
    app = create_app(
        "gateway",
        [auth_router, members_router, api_keys_router, settings_router],
        title="SmartRetail AI",
        description="Upload sales history; get demand forecasts, customer segments, pricing "
        "suggestions and inventory recommendations. Authenticate with a bearer token "
        "from POST /auth/login.",
        on_shutdown=proxy.close_client,
        openapi_url=None,
        readiness=PlatformReadiness(),
    )
    openapi_cache: dict[str, Any] = {}

    @app.get("/openapi.json", include_in_schema=False)
    async def openapi() -> JSONResponse:
        """The gateway's API, including every service route it exposes."""
        if "schema" not in openapi_cache:
            schema, complete = await merged_openapi(app)
            if not complete:  # a service is still starting: answer, but ask again next time
                return JSONResponse(schema)
            openapi_cache["schema"] = schema
        return JSONResponse(openapi_cache["schema"])

    @app.get("/ready/gateway", tags=["operations"])
    async def gateway_ready() -> JSONResponse:
        """Readiness of the gateway process alone (PostgreSQL, Redis): what its load balancer probes.

        Not /ready, which waits for every service: one service down must not take the gateway,
        its sign-in and its dashboard out of rotation.
        """
        body, ok = await own_readiness()
        return JSONResponse(body, status_code=200 if ok else 503)

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        """Interactive API documentation."""
        return get_swagger_ui_html(openapi_url="/openapi.json", title="SmartRetail AI API")

    app.include_router(proxy.router)
    _serve_dashboard(app, settings.dashboard_dir)
    # Level 6: nearly level 9's size at a fraction of its CPU (cached reads carry their own gzip).
    app.add_middleware(GZipMiddleware, minimum_size=1024, compresslevel=6)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_credentials=False,
            allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "X-API-Key", "X-Request-ID"],
        )

    # Outermost: rate limits before anything else runs, security headers on every answer.
    app.add_middleware(GatewayEdge)

    return app


def _serve_dashboard(app: FastAPI, dashboard_dir: Any) -> None:
    """Serve the built dashboard at / (SPA routes under /app/), when it has been built."""
    index = dashboard_dir / "index.html"
    if (dashboard_dir / "assets").is_dir():
        app.mount("/assets", StaticFiles(directory=dashboard_dir / "assets"), name="assets")

    @app.get("/", include_in_schema=False)
    @app.get("/app", include_in_schema=False)
    @app.get("/app/{path:path}", include_in_schema=False)
    async def dashboard(path: str = "") -> Response:
        if not index.is_file():
            return HTMLResponse(
                "<h1>SmartRetail AI</h1><p>The dashboard has not been built: run "
                "<code>make run</code> (it builds web/), or see <a href='/docs'>the API "
                "docs</a>.</p>",
                status_code=200,
            )
        return FileResponse(index, headers={"Cache-Control": "no-cache"})


app = build_app()
