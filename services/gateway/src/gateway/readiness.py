"""The platform's readiness as the gateway sees it: every service behind it answers its /ready."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx

from common.settings import SERVICES, get_settings
from gateway import proxy

# Each service's own /ready bounds its checks at 2 s: a little more covers the hop.
SERVICE_READY_TIMEOUT_S = 3.0
# /ready is public and fans out to five services: concurrent and repeated probes within this
# window share one round of checks, so a burst of probes cannot multiply into the services.
REUSE_S = 1.0


async def service_state(service: str) -> str:
    """One service's state: "ok", or what keeps it from being ready, in words a person can act on."""
    url = get_settings().service_url(service) + "/ready"
    try:
        answer = await proxy.client().get(url, timeout=SERVICE_READY_TIMEOUT_S)
    except (httpx.ConnectError, httpx.RemoteProtocolError):
        return "not answering"
    except httpx.TimeoutException:
        return f"no answer in {SERVICE_READY_TIMEOUT_S:g} s"
    except httpx.HTTPError as exc:
        return f"unusable answer: {type(exc).__name__}"
    if answer.status_code == 200:
        return "ok"
    try:
        body = answer.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        failing = [f"{name} {value}" for name, value in body.items() if name != "status" and value != "ok"]
        if failing:
            return "not ready: " + ", ".join(failing)
    return f"not ready: answered {answer.status_code}"


class PlatformReadiness:
    """/ready at the gateway: 200 once every service is ready, else 503 naming what is not."""

    def __init__(self) -> None:
        self.was_ready = False
        self.last: tuple[float, dict[str, Any], bool] | None = None
        self.lock = asyncio.Lock()

    async def __call__(self) -> tuple[dict[str, Any], bool]:
        """`{"status", "services": {name: "ok" | why not}}` and whether all are ready."""
        async with self.lock:
            if self.last is not None and time.monotonic() - self.last[0] < REUSE_S:
                return self.last[1], self.last[2]
            body, ok = await self.check()
            self.last = (time.monotonic(), body, ok)
            return body, ok

    async def check(self) -> tuple[dict[str, Any], bool]:
        """Ask every service now (concurrently)."""
        states = await asyncio.gather(*(service_state(name) for name in SERVICES))
        services = dict(zip(SERVICES, states, strict=True))
        ok = all(state == "ok" for state in services.values())
        self.was_ready = self.was_ready or ok
        # "starting" until the platform has once been ready; afterwards a service that stops
        # answering is an outage, not a start.
        status = "ready" if ok else "degraded" if self.was_ready else "starting"
        return {"status": status, "services": services}, ok
