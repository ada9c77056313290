"""Accounts and tokens at the gateway, on the real database."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest.fixture
async def client(servers: Any) -> AsyncIterator[httpx.AsyncClient]:
    from gateway.main import app

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway") as c:
        yield c


async def _signup(client: httpx.AsyncClient) -> tuple[str, dict[str, Any]]:
    email = f"{uuid.uuid4().hex[:8]}@Shop.example"
    created = await client.post(
        "/auth/register", json={"email": email, "password": "password-123", "name": "Corner Shop"}
    )
    assert created.status_code == 201, created.text
    tokens = await client.post("/auth/login", json={"email": email.lower(), "password": "password-123"})
    assert tokens.status_code == 200
    return email, tokens.json()


async def test_register_login_me(client: httpx.AsyncClient) -> None:
    email, tokens = await _signup(client)
    assert tokens["token_type"] == "bearer"
    me = await client.get("/auth/me", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert me.status_code == 200
    assert me.json()["email"] == email.lower() and me.json()["role"] == "owner"
    assert me.json()["organization_name"] == "Corner Shop"


async def test_wrong_password_and_unknown_email_get_the_same_answer(client: httpx.AsyncClient) -> None:
    email, _ = await _signup(client)
    wrong = await client.post("/auth/login", json={"email": email, "password": "nope-nope"})
    unknown = await client.post("/auth/login", json={"email": "nobody@shop.example", "password": "nope-nope"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()


async def test_duplicate_email_and_weak_input_are_refused(client: httpx.AsyncClient) -> None:
    email, _ = await _signup(client)
    again = await client.post(
        "/auth/register", json={"email": email, "password": "password-123", "name": "X"}
    )
    assert again.status_code == 409
    short = await client.post(
        "/auth/register", json={"email": "a@b.example", "password": "short", "name": "X"}
    )
    assert short.status_code == 422 and "password" in short.json()["detail"]


async def test_refresh_rotates_and_reuse_ends_the_session(client: httpx.AsyncClient) -> None:
    _, tokens = await _signup(client)
    rotated = await client.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert rotated.status_code == 200
    new = rotated.json()
    assert new["refresh_token"] != tokens["refresh_token"]
    # Presenting the old one again is a theft signal: the whole family is revoked.
    reused = await client.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert reused.status_code == 401 and "reused" in reused.json()["detail"]
    assert (
        await client.post("/auth/refresh", json={"refresh_token": new["refresh_token"]})
    ).status_code == 401


async def test_logout_revokes_the_refresh_token(client: httpx.AsyncClient) -> None:
    _, tokens = await _signup(client)
    assert (
        await client.post("/auth/logout", json={"refresh_token": tokens["refresh_token"]})
    ).status_code == 204
    assert (
        await client.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    ).status_code == 401


async def test_access_token_cannot_refresh(client: httpx.AsyncClient) -> None:
    _, tokens = await _signup(client)
    response = await client.post("/auth/refresh", json={"refresh_token": tokens["access_token"]})
    assert response.status_code == 401


async def test_proxied_routes_need_a_token_and_answer_503_when_the_service_is_down(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from common.devservers import free_port
    from common.settings import get_settings

    assert (await client.get("/forecast")).status_code == 401
    _, tokens = await _signup(client)
    monkeypatch.setattr(get_settings(), "forecasting_url", f"http://127.0.0.1:{free_port()}")
    down = await client.get("/forecast", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert down.status_code == 503
    assert "forecasting service is unavailable" in down.json()["detail"]
    assert (await client.get("/no-such-route")).status_code == 404


async def test_security_headers(client: httpx.AsyncClient) -> None:
    response = await client.get("/health")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert response.headers["x-request-id"]
