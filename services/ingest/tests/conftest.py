"""Fixtures of the ingest tests: the app over HTTP, and the tasks an upload starts."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest


@pytest.fixture
async def client(servers: Any) -> AsyncIterator[httpx.AsyncClient]:
    """The ingest app on the test database and Redis, called in-process over HTTP."""
    from ingest.main import app

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://ingest") as c:
        yield c


@pytest.fixture
def enqueued(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """The tasks an upload starts (captured instead of sent)."""
    sent: list[tuple[str, str]] = []
    monkeypatch.setattr("ingest.service.enqueue", lambda name, *args: sent.append((name, *args)))
    return sent
