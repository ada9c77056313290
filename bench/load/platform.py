"""The whole platform for a bench: embedded PostgreSQL and Redis, gateway, services and workers."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from common.devservers import EmbeddedServers, free_port
from common.migrate import upgrade
from common.run import platform_env, process_commands
from common.settings import SERVICES
from common.testing.plugin import Platform, wait_until_up


@contextmanager
def running_platform(
    extra_env: dict[str, str], keep_logs: Path | None = None
) -> Iterator[tuple[Platform, EmbeddedServers]]:
    """Start servers and every process as `make run` does, on free ports; stop them all after."""
    data_dir = Path(tempfile.mkdtemp(prefix="smartretail-bench-"))
    # As root, pgserver runs PostgreSQL as its own user, which must reach the data folder.
    data_dir.chmod(0o755)
    servers = EmbeddedServers(data_dir)
    running: Platform | None = None
    try:
        database_url = servers.start_postgres()
        redis_url = servers.start_redis()
        upgrade(database_url.replace("postgresql://", "postgresql+psycopg://", 1))
        ports = {name: free_port() for name in ("gateway", *SERVICES)}
        env = platform_env(database_url, redis_url, ports)
        env.update({"PYTHONPATH": os.pathsep.join(sys.path), **extra_env})
        log_dir = keep_logs or data_dir / "logs"
        log_dir.mkdir(parents=True, exist_ok=True)
        running = Platform(
            base_url=f"http://127.0.0.1:{ports['gateway']}", ports=ports, log_dir=log_dir, env=env
        )
        for name in process_commands(ports):
            running.start(name)
        # Generous: on a machine shared with other work, five workers can take minutes to start.
        wait_until_up(running, timeout_s=600)
        yield running, servers
    finally:
        if running is not None:
            for name in list(running.processes):
                try:
                    running.stop(name)
                except subprocess.TimeoutExpired:
                    # On a saturated machine a killed process can outlast stop()'s wait; the run's
                    # figures are taken by then, so stop the others and the servers all the same.
                    print(f"{name} was still exiting when the bench stopped", file=sys.stderr)
        servers.stop()
        shutil.rmtree(data_dir, ignore_errors=True)
