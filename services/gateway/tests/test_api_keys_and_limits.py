"""Partner API keys with scopes, roles, rate limits and login throttling (real PostgreSQL, Redis)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from common.settings import get_settings

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest.fixture
async def gateway(servers: Any) -> AsyncIterator[httpx.AsyncClient]:
    from gateway.main import app

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway") as c:
        yield c


async def _owner(gateway: httpx.AsyncClient) -> dict[str, str]:
    email = f"{uuid.uuid4().hex[:8]}@shop.example"
    await gateway.post("/auth/register", json={"email": email, "password": "password-123", "name": "Shop"})
    tokens = (await gateway.post("/auth/login", json={"email": email, "password": "password-123"})).json()
    return {"Authorization": f"Bearer {tokens['access_token']}"}


async def _service(app_module: str) -> httpx.AsyncClient:
    module = __import__(app_module, fromlist=["app"])
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=module.app), base_url="http://service")


async def test_keys_are_shown_once_stored_hashed_scoped_and_revocable(gateway: httpx.AsyncClient) -> None:
    owner = await _owner(gateway)
    created = await gateway.post(
        "/api-keys", headers=owner, json={"name": "BI tool", "scopes": ["forecast:read"]}
    )
    assert created.status_code == 201
    key = created.json()["key"]
    assert set(created.json()) >= {"id", "key"} and key.startswith("sr_")
    listed = (await gateway.get("/api-keys", headers=owner)).json()
    assert [k["prefix"] for k in listed["items"]] == [key[:10]]
    assert key not in str(listed)
    async with await _service("forecasting.main") as forecasting, await _service("pricing.main") as pricing:
        ok = await forecasting.get("/forecast", headers={"X-API-Key": key})
        assert ok.status_code == 200 and ok.json() == {"items": [], "total": 0}
        denied = await pricing.get("/pricing-suggestions", headers={"X-API-Key": key})
        assert denied.status_code == 403 and "pricing:read" in denied.json()["detail"]
        assert (await gateway.delete(f"/api-keys/{created.json()['id']}", headers=owner)).status_code == 204
        assert (await forecasting.get("/forecast", headers={"X-API-Key": key})).status_code == 401
    assert (await gateway.delete(f"/api-keys/{created.json()['id']}", headers=owner)).status_code == 404


async def test_unknown_scopes_and_keys_managing_keys_are_refused(gateway: httpx.AsyncClient) -> None:
    owner = await _owner(gateway)
    bad = await gateway.post("/api-keys", headers=owner, json={"name": "x", "scopes": ["admin:all"]})
    assert bad.status_code == 422 and "unknown scope" in bad.json()["detail"]
    key = (
        await gateway.post("/api-keys", headers=owner, json={"name": "x", "scopes": ["sales:read"]})
    ).json()["key"]
    assert (await gateway.get("/api-keys", headers={"X-API-Key": key})).status_code == 403
    assert (await gateway.get("/api-keys", headers={"X-API-Key": "sr_not-a-real-key"})).status_code == 401


async def test_analysts_read_but_cannot_write_or_administer(gateway: httpx.AsyncClient) -> None:
    owner = await _owner(gateway)
    email = f"{uuid.uuid4().hex[:8]}@shop.example"
    added = await gateway.post(
        "/users",
        headers=owner,
        json={"email": email, "password": "password-123", "name": "Ana", "role": "analyst"},
    )
    assert added.status_code == 201 and added.json()["role"] == "analyst"
    tokens = (await gateway.post("/auth/login", json={"email": email, "password": "password-123"})).json()
    analyst = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert (
        await gateway.post("/api-keys", headers=analyst, json={"name": "x", "scopes": ["sales:read"]})
    ).status_code == 403
    assert (
        await gateway.post(
            "/users", headers=analyst, json={"email": "x@y.example", "password": "password-123", "name": "X"}
        )
    ).status_code == 403
    async with await _service("ingest.main") as ingest:
        upload = await ingest.post(
            "/upload-sales",
            headers=analyst,
            files={"file": ("s.csv", b"date,sku,quantity,unit_price\n2024-01-01,A,1,1\n")},
        )
        assert upload.status_code == 403 and "sales:write" in upload.json()["detail"]
        assert (await ingest.get("/jobs", headers=analyst)).status_code == 200
    members = (await gateway.get("/users", headers=owner)).json()
    assert sorted(m["role"] for m in members) == ["analyst", "owner"]


async def test_rate_limit_answers_429_with_retry_after(
    gateway: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    owner = await _owner(gateway)
    monkeypatch.setattr(get_settings(), "rate_limit_per_minute", 3)
    statuses = [(await gateway.get("/auth/me", headers=owner)).status_code for _ in range(5)]
    assert statuses[:3] == [200, 200, 200] and statuses[3:] == [429, 429]
    limited = await gateway.get("/auth/me", headers=owner)
    assert 1 <= int(limited.headers["retry-after"]) <= 61
    assert (await gateway.get("/health")).status_code == 200  # liveness is never limited


async def test_repeated_failed_logins_are_throttled_per_account(gateway: httpx.AsyncClient) -> None:
    email = f"{uuid.uuid4().hex[:8]}@shop.example"
    await gateway.post("/auth/register", json={"email": email, "password": "password-123", "name": "Shop"})
    limit = get_settings().login_failures_per_account
    for _ in range(limit):
        assert (
            await gateway.post("/auth/login", json={"email": email, "password": "wrong-guess"})
        ).status_code == 401
    blocked = await gateway.post("/auth/login", json={"email": email, "password": "password-123"})
    assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) > 0


async def test_calendar_keys_read_or_change_the_calendar_and_nothing_else(gateway: httpx.AsyncClient) -> None:
    from gateway.proxy import owning_service

    assert {owning_service(p) for p in ("/upload-stores", "/stores/S1", "/upload-events", "/events/7")} == {
        "ingest"
    }
    owner = await _owner(gateway)
    keys = {}
    for scope in ("calendar:read", "calendar:write"):
        created = await gateway.post("/api-keys", headers=owner, json={"name": scope, "scopes": [scope]})
        assert created.status_code == 201, created.text
        keys[scope] = {"X-API-Key": created.json()["key"]}
    events = {"file": ("events.csv", b"name,start\nFair,2025-05-01\n", "text/csv")}
    async with await _service("ingest.main") as ingest:
        assert (await ingest.get("/events", headers=keys["calendar:read"])).status_code == 200
        denied = await ingest.post("/upload-events", headers=keys["calendar:read"], files=events)
        assert denied.status_code == 403 and "calendar:write" in denied.json()["detail"]
        uploaded = await ingest.post("/upload-events", headers=keys["calendar:write"], files=events)
        assert uploaded.status_code == 202, uploaded.text
        sales = {"file": ("sales.csv", b"date,sku,quantity,unit_price\n2025-01-01,A,1,1\n", "text/csv")}
        refused = await ingest.post("/upload-sales", headers=keys["calendar:write"], files=sales)
        assert refused.status_code == 403 and "sales:write" in refused.json()["detail"]
