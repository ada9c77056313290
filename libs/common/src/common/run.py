"""`python -m common.run`: the whole platform under one process manager (what `make run` does).

Uses PostgreSQL and Redis at DATABASE_URL / REDIS_URL when set, otherwise starts embedded ones
with their data under .data/. Then migrations, then the gateway, the five services and one
Celery worker per queue. Ctrl-C stops everything.
"""

from __future__ import annotations

import argparse
import os
import shlex
import socket
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from common.devservers import EmbeddedServers
from common.settings import REPO_ROOT, SERVICE_PORTS, SERVICES

DEFAULT_EMBEDDED_REDIS_PORT = 6390


# uvicorn's keep-alive timeout on the services; the gateway's pool expires its connections sooner
# (gateway.proxy.UPSTREAM_KEEPALIVE_EXPIRY_S), so it never reuses one the service is closing.
SERVICE_KEEPALIVE_TIMEOUT_S = 5


def beat_schedule_path(ports: dict[str, int], data_dir: Path | None = None) -> Path:
    """Where celery beat keeps its schedule: the platform's data folder, one file per platform."""
    folder = data_dir if data_dir is not None else REPO_ROOT / ".data"
    # Named after the gateway's port: two platforms on one machine never share the file.
    return folder / "celerybeat" / f"schedule-{ports['gateway']}"


def process_commands(
    ports: dict[str, int],
    python: str = sys.executable,
    worker_concurrency: int = 1,
    data_dir: Path | None = None,
) -> dict[str, list[str]]:
    """The command line of every process of the platform, by process name."""
    bin_dir = Path(python).parent
    # Background work (Celery workers and beat) runs at background CPU priority (SCHED_IDLE): on a
    # small machine an engine run must not delay interactive reads (in Kubernetes, CPU requests and
    # limits do this instead).
    background = [python, "-m", "common.background"]
    commands: dict[str, list[str]] = {}
    for name in ("gateway", *SERVICES):
        commands[name] = [
            str(bin_dir / "uvicorn"),
            f"{name}.main:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(ports[name]),
            "--no-access-log",
            "--timeout-keep-alive",
            str(SERVICE_KEEPALIVE_TIMEOUT_S),
            "--timeout-graceful-shutdown",
            "5",
        ]
    for name in SERVICES:
        commands[f"{name}-worker"] = [
            *background,
            str(bin_dir / "celery"),
            "-A",
            f"{name}.tasks",
            "worker",
            "-Q",
            name,
            "-n",
            f"{name}@%h",
            f"--concurrency={worker_concurrency}",
            "--prefetch-multiplier=1",
            "--loglevel=INFO",
            "--without-gossip",
            "--without-mingle",
        ]
    schedule = beat_schedule_path(ports, data_dir)
    schedule.parent.mkdir(parents=True, exist_ok=True)
    # One scheduler for the whole platform: the periodic sweep for stalled jobs (common.reaper).
    commands["scheduler"] = [
        *background,
        str(bin_dir / "celery"),
        "-A",
        "ingest.tasks",
        "beat",
        "--loglevel=INFO",
        "--schedule",
        str(schedule),
    ]
    return commands


def shell_command(command: list[str]) -> str:
    """`command` as the shell line honcho runs (`/bin/sh -c`, in a session of its own).

    `exec`: the shell becomes the process instead of waiting as its parent, so the process leads
    its own session (common.background then lowers the session's autogroup) and honcho's signals
    reach it directly.
    """
    return "exec " + shlex.join(command)


def platform_env(database_url: str, redis_url: str, ports: dict[str, int]) -> dict[str, str]:
    """Environment shared by every process: where the servers and the services are."""
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "PYTHONUNBUFFERED": "1",
            "GATEWAY_PORT": str(ports["gateway"]),
        }
    )
    for name in SERVICES:
        env[f"{name.upper()}_URL"] = f"http://127.0.0.1:{ports[name]}"
    return env


def readiness_summary(answer: dict[str, Any]) -> str:
    """What a 503 from the gateway's /ready says is missing: "pricing (not answering), ..."."""
    services = answer.get("services") or {}
    waiting = [f"{name} ({state})" for name, state in services.items() if state != "ok"]
    return ", ".join(waiting) or str(answer.get("status", "not ready"))


def wait_until_ready(
    base_url: str, stop: threading.Event, say: Callable[[str], None], poll_s: float = 1.0
) -> bool:
    """Poll the gateway's /ready until it answers 200 (True) or `stop` is set (False).

    Says what it is waiting for whenever that changes, and `ready: <base_url>` once ready: the
    address is printed only when a first upload can succeed.
    """
    said = ""
    with httpx.Client(timeout=10) as client:
        while not stop.is_set():
            try:
                answer = client.get(f"{base_url}/ready")
                if answer.status_code == 200:
                    say(f"ready: {base_url}")
                    return True
                waiting = readiness_summary(answer.json())
            except (httpx.HTTPError, ValueError):
                waiting = "gateway (not answering)"
            if waiting != said:
                say(f"waiting for: {waiting}")
                said = waiting
            stop.wait(poll_s)
    return False


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def _announce(message: str) -> None:
    print(f"\n  {message}\n", flush=True)


def main() -> int:
    """Start the platform and supervise it until Ctrl-C."""
    from honcho.manager import Manager

    from common.migrate import upgrade

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", default=os.environ.get("DATA_DIR", str(REPO_ROOT / ".data")))
    parser.add_argument(
        "--demo", action="store_true", help="also create a demo account and upload generated demo data"
    )
    args = parser.parse_args()

    ports = dict(SERVICE_PORTS)
    ports["gateway"] = int(os.environ.get("GATEWAY_PORT") or ports["gateway"])
    for name, port in ports.items():
        if not _port_free(port):
            print(
                f"port {port} ({name}) is already in use: stop what holds it or set GATEWAY_PORT",
                file=sys.stderr,
            )
            return 1
    servers = EmbeddedServers(
        Path(args.data_dir), int(os.environ.get("EMBEDDED_REDIS_PORT", DEFAULT_EMBEDDED_REDIS_PORT))
    )
    database_url = os.environ.get("DATABASE_URL") or servers.start_postgres()
    redis_url = os.environ.get("REDIS_URL") or servers.start_redis()
    try:
        upgrade(database_url.replace("postgresql://", "postgresql+psycopg://", 1))
        env = platform_env(database_url, redis_url, ports)
        manager = Manager()
        concurrency = int(os.environ.get("WORKER_CONCURRENCY", "1"))
        commands = process_commands(ports, worker_concurrency=concurrency, data_dir=Path(args.data_dir))
        for name, command in commands.items():
            manager.add_process(
                name, shell_command(command), env={**env, "PROCESS_NAME": name}, cwd=str(REPO_ROOT)
            )
        print("\n  SmartRetail AI is starting (Ctrl-C stops it)\n", flush=True)
        stop_waiting = threading.Event()
        # Beside honcho's loop, which owns the main thread until Ctrl-C.
        threading.Thread(
            target=wait_until_ready,
            args=(f"http://127.0.0.1:{ports['gateway']}", stop_waiting, _announce),
            daemon=True,
        ).start()
        if args.demo:
            # A one-shot loader beside the manager: honcho stops everything when any process ends.
            demo = subprocess.Popen(
                [sys.executable, "-m", "common.demo", "--url", f"http://127.0.0.1:{ports['gateway']}"],
                env=env,
                cwd=str(REPO_ROOT),
            )
        manager.loop()
        stop_waiting.set()
        if args.demo and demo.poll() is None:
            demo.terminate()
        return int(manager.returncode or 0)
    finally:
        servers.stop()


if __name__ == "__main__":
    sys.exit(main())
