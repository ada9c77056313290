"""Behind the ingress, the gateway sees the client's address (per-address rate limits, OWASP API4)."""

from __future__ import annotations

import asyncio
import ipaddress
from typing import Any

import pytest
from deploy_support import OVERLAYS, by_kind, compose, containers, interpolate, pod_spec, render
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware


def _client_seen(trusted: str, peer: str, forwarded_for: str) -> str:
    """The client address the gateway's app sees through uvicorn's proxy-headers handling."""
    seen: dict[str, Any] = {}

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen["client"] = scope["client"][0]

    scope = {
        "type": "http",
        "scheme": "http",
        "client": (peer, 40000),
        "headers": [(b"x-forwarded-for", forwarded_for.encode())],
    }
    asyncio.run(ProxyHeadersMiddleware(app, trusted_hosts=trusted)(scope, None, None))  # type: ignore[arg-type]
    return str(seen["client"])


def _gateway_container(overlay: str) -> dict[str, Any]:
    spec = pod_spec(by_kind(render(overlay), "Deployment")["gateway"])
    assert spec is not None
    return next(c for c in containers(spec, init=False) if c["name"] == "gateway")


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_kubernetes_gateway_trusts_only_private_ranges_for_forwarded_for(overlay: str) -> None:
    gateway = _gateway_container(overlay)
    assert "--proxy-headers" in gateway["command"]
    (trusted,) = [e["value"] for e in gateway.get("env", []) if e["name"] == "FORWARDED_ALLOW_IPS"]
    networks = [ipaddress.ip_network(part.strip()) for part in trusted.split(",")]
    assert networks and all(n.is_private and n.prefixlen >= 8 for n in networks), trusted
    # An ingress-controller pod (kind/flannel, k3s and calico pod ranges) passes the client on...
    for controller in ("10.244.1.7", "10.42.0.12", "192.168.3.4"):
        assert _client_seen(trusted, controller, "203.0.113.9") == "203.0.113.9"
    # ...while a caller reaching the pod from a public address cannot pick its own.
    assert _client_seen(trusted, "198.51.100.7", "203.0.113.9") == "198.51.100.7"


def test_services_behind_the_gateway_do_not_take_proxy_headers() -> None:
    for name, deployment in by_kind(render("base"), "Deployment").items():
        spec = pod_spec(deployment)
        assert spec is not None
        for container in containers(spec, init=False):
            env = {e["name"] for e in container.get("env", [])}
            if name != "gateway":
                assert "--proxy-headers" not in container.get("command", []), name
                assert "FORWARDED_ALLOW_IPS" not in env, name


def test_compose_gateway_trusts_no_forwarded_for_by_default() -> None:
    gateway = compose()["services"]["gateway"]
    assert "--proxy-headers" in gateway["command"]
    trusted = interpolate(gateway["environment"]["FORWARDED_ALLOW_IPS"], {})
    assert trusted == "127.0.0.1"
    # The published port has no proxy in front: a spoofed header from a client is ignored.
    assert _client_seen(trusted, "172.18.0.1", "203.0.113.9") == "172.18.0.1"
    # Every other setting still comes from the shared block.
    assert gateway["environment"]["REDIS_URL"] == "redis://redis:6379/0"
