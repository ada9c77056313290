"""Rate limits at the gateway, per token or API key and per client address (OWASP API4)."""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable

from fastapi import Request, Response
from fastapi.responses import JSONResponse

from common import ratelimit
from common.settings import get_settings

UNLIMITED_PREFIXES = ("/health", "/ready", "/metrics", "/assets/", "/app", "/docs", "/openapi.json")


def principal(request: Request) -> str | None:
    """A stable, non-reversible name for the credential a request carries (not yet verified)."""
    credential = request.headers.get("x-api-key") or request.headers.get("authorization")
    if not credential:
        return None
    return hashlib.sha256(credential.encode()).hexdigest()[:32]


async def limit_requests(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    """429 with Retry-After once a caller or an address exceeds its budget for the minute."""
    path = request.url.path
    if path == "/" or path.startswith(UNLIMITED_PREFIXES):
        return await call_next(request)
    settings = get_settings()
    checks: list[tuple[str, int]] = []
    address = request.client.host if request.client else "unknown"
    checks.append((f"addr:{address}", settings.rate_limit_per_address_per_minute))
    who = principal(request)
    if who is not None:
        checks.append((f"tok:{who}", settings.rate_limit_per_minute))
        if request.method == "POST" and path.startswith("/upload-"):
            checks.append((f"upl:{who}", settings.upload_rate_limit_per_minute))
    for key, limit in checks:
        wait = await ratelimit.hit(key, limit, 60)
        if wait is not None:
            return JSONResponse(
                {"detail": f"rate limit of {limit} requests per minute reached; retry in {wait} seconds"},
                status_code=429,
                headers={"Retry-After": str(wait)},
            )
    return await call_next(request)
