"""Fixtures of the dashboard's browser tests: the gateway serving the built dashboard, and Chromium."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from dashboard_browser import CHROMIUM, CHROMIUM_ARGS


@pytest.fixture(scope="module")
def base_url(request: pytest.FixtureRequest) -> str:
    """The gateway serving the built dashboard: an external stack, or the test platform."""
    url = os.environ.get("E2E_BASE_URL") or request.getfixturevalue("platform").base_url
    page = httpx.get(f"{url.rstrip('/')}/app/overview", timeout=30)
    if page.status_code != 200 or 'id="root"' not in page.text:
        pytest.fail(
            "the gateway does not serve the built dashboard: run `make web` (npm ci && npm run build)"
        )
    return str(url).rstrip("/")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Debian Chromium driven by Playwright."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM}: apt-get install chromium")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()
