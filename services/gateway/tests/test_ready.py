"""/ready at the gateway, against the real service processes: ready only when all of them are.

Also the `make run` wrapper's wait (common.run.wait_until_ready): it names what it waits for and
prints the address only once /ready answers 200.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from common.devservers import free_port
from common.run import platform_env, wait_until_ready
from common.settings import REPO_ROOT, SERVICES
from common.testing.plugin import Platform

ARTIFACTS = REPO_ROOT / "test-artifacts" / "ready"
ALL_OK = {"status": "ready", "services": dict.fromkeys(SERVICES, "ok")}
# Generous: six Python processes import their stacks on a loaded 2-core machine.
START_TIMEOUT_S = 240.0


def wait_for(condition: Any, what: str, timeout_s: float = START_TIMEOUT_S) -> Any:
    """Poll `condition` until it returns something truthy; fail naming `what` after the timeout."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"not seen within {timeout_s:.0f}s: {what}")


def ready(base_url: str) -> httpx.Response | None:
    """The gateway's /ready answer, or None while the gateway itself does not answer."""
    try:
        return httpx.get(f"{base_url}/ready", timeout=10)
    except httpx.HTTPError:
        return None


@pytest.fixture(scope="module")
def http_platform(servers: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    """The gateway and the five services as real processes (no workers: /ready does not need them)."""
    ports = {name: free_port() for name in ("gateway", *SERVICES)}
    env = platform_env(servers.database_url, servers.redis_url, ports)
    env.update({"APP_ENV": "test", "PYTHONPATH": os.pathsep.join(sys.path)})
    log_dir = Path(tmp_path_factory.mktemp("ready-logs"))
    running = Platform(base_url=f"http://127.0.0.1:{ports['gateway']}", ports=ports, log_dir=log_dir, env=env)
    try:
        for name in ("gateway", *SERVICES):
            running.start(name)
        yield running
    finally:
        for name in list(running.processes):
            running.stop(name)


def test_ready_once_every_service_is_and_503_naming_the_one_that_is_down(http_platform: Platform) -> None:
    base = http_platform.base_url
    answer = wait_for(lambda: (r := ready(base)) is not None and r.status_code == 200 and r, "/ready 200")
    assert answer.json() == ALL_OK
    # Public like /health: no token, and the gateway process's own check is there for its probe.
    own = httpx.get(f"{base}/ready/gateway", timeout=10)
    assert own.status_code == 200 and own.json() == {"status": "ready", "postgres": "ok", "redis": "ok"}

    http_platform.stop("pricing")
    down = wait_for(lambda: (r := ready(base)) is not None and r.status_code == 503 and r, "/ready 503")
    body = down.json()
    assert body["status"] == "degraded"  # it was ready before: an outage, not a start
    assert body["services"]["pricing"] == "not answering"
    assert {name: state for name, state in body["services"].items() if name != "pricing"} == dict.fromkeys(
        (s for s in SERVICES if s != "pricing"), "ok"
    )
    assert httpx.get(f"{base}/ready/gateway", timeout=10).status_code == 200  # the gateway itself is fine

    http_platform.start("pricing")
    back = wait_for(lambda: (r := ready(base)) is not None and r.status_code == 200 and r, "/ready 200 again")
    assert back.json() == ALL_OK


def test_the_run_wrapper_says_what_it_waits_for_and_the_address_only_once_ready(
    http_platform: Platform,
) -> None:
    base = http_platform.base_url
    wait_for(lambda: (r := ready(base)) is not None and r.status_code == 200, "/ready 200")
    http_platform.stop("forecasting")
    wait_for(lambda: (r := ready(base)) is not None and r.status_code == 503, "/ready 503")

    said: list[str] = []
    stop = threading.Event()
    waiter = threading.Thread(target=lambda: said.append(str(wait_until_ready(base, stop, said.append, 0.2))))
    waiter.start()
    try:
        wait_for(lambda: said, "a first message")
        assert said[0] == "waiting for: forecasting (not answering)"
        assert not any(line.startswith("ready:") for line in said)
        http_platform.start("forecasting")
        waiter.join(START_TIMEOUT_S)
    finally:
        stop.set()
        waiter.join(30)
    assert said[-2:] == [f"ready: {base}", "True"]
    assert all(line.startswith("waiting for: ") for line in said[:-2])


def test_the_run_wrapper_waits_for_a_gateway_that_does_not_answer_yet() -> None:
    said: list[str] = []
    stop = threading.Event()
    port = free_port()  # nothing listens there
    waiter = threading.Thread(
        target=lambda: said.append(str(wait_until_ready(f"http://127.0.0.1:{port}", stop, said.append, 0.2)))
    )
    waiter.start()
    try:
        wait_for(lambda: said, "a first message", timeout_s=60)
    finally:
        stop.set()
        waiter.join(30)
    assert said == ["waiting for: gateway (not answering)", "False"]


def test_the_dashboard_shows_a_starting_screen_until_every_service_is_ready(http_platform: Platform) -> None:
    """In Chromium: a service down shows which one instead of errors; the app opens once it is back."""
    chromium = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
    if not chromium.exists():
        pytest.skip(f"no Chromium at {chromium}: apt-get install chromium")
    sync_api = pytest.importorskip("playwright.sync_api")
    base = http_platform.base_url
    wait_for(lambda: (r := ready(base)) is not None and r.status_code == 200, "/ready 200")
    if 'id="root"' not in httpx.get(f"{base}/app/signin", timeout=30).text:
        pytest.fail("the gateway does not serve the built dashboard: run `make web`")
    http_platform.stop("inventory")
    wait_for(lambda: (r := ready(base)) is not None and r.status_code == 503, "/ready 503")

    errors: list[str] = []
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(chromium), args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page(viewport={"width": 1440, "height": 900})
            page.set_default_timeout(START_TIMEOUT_S * 1000)
            page.on("pageerror", lambda err: errors.append(str(err)))
            page.goto(f"{base}/app/signin")
            starting = page.get_by_test_id("starting")
            starting.wait_for()
            assert starting.get_attribute("data-phase") == "degraded"  # this gateway was ready before
            waiting = page.locator("[data-testid=starting-services] [data-state=waiting]")
            assert waiting.count() == 1 and waiting.get_attribute("data-service") == "inventory"
            assert "not answering" in waiting.inner_text()
            assert (
                page.locator("[data-testid=starting-services] [data-state=ok]").count() == len(SERVICES) - 1
            )
            assert page.get_by_label("Password").count() == 0  # no form that would fail on submit
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "starting-1440.png"))  # for a reviewer (git-ignored)
            http_platform.start("inventory")
            page.get_by_label("Password").wait_for()  # the app opened by itself
            assert page.get_by_test_id("starting").count() == 0
        finally:
            browser.close()
    assert errors == []
