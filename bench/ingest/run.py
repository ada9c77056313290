"""Ingest bench: a 10-million-row sales export uploaded through the gateway of the real platform.

Run from the repo root:  .venv/bin/python -m bench.ingest [--rows 10000000] [--plain]

Generates the file once (gzipped CSV by default, --plain for uncompressed) under --cache-dir,
starts embedded PostgreSQL and Redis in a temporary folder and the processes an upload goes
through (gateway, ingest service, ingest worker: the same command lines as `make run`), signs up,
and uploads the file through the gateway with a client-made job id. Measured:
- rows/s: file rows / seconds from the start of the upload to the job's ingest stage succeeded
  (received, validated, staged with COPY, and merged into sales_lines);
- peak RSS of the ingest processes (HTTP service, worker and its pool): the highest VmHWM in
  /proc/<pid>/status, sampled every 0.2 s.
Ends with the line `ingest rows_per_s=<N> peak_rss_mb=<M>`.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

from bench.ingest.data import write_sales_csv
from bench.shared import summary_line
from common.devservers import EmbeddedServers, free_port
from common.migrate import upgrade
from common.run import platform_env, process_commands
from common.settings import REPO_ROOT, SERVICES

PROCESSES = ("gateway", "ingest", "ingest-worker")


class RssSampler(threading.Thread):
    """Peak resident memory (VmHWM) of some processes and their children, sampled in the background."""

    def __init__(self, pids: dict[str, int]) -> None:
        super().__init__(daemon=True)
        self.pids = pids
        self.peak_kb: dict[str, int] = {}
        self._stop_event = threading.Event()

    def run(self) -> None:
        """Sample until stopped."""
        while not self._stop_event.is_set():
            self.sample()
            self._stop_event.wait(0.2)

    def sample(self) -> None:
        """Read every process's high-water mark once."""
        for name, pid in self.pids.items():
            for index, member in enumerate([pid, *_children(pid)]):
                label = name if index == 0 else f"{name}/child"
                kb = _status_kb(member, "VmHWM")
                if kb is not None:
                    self.peak_kb[label] = max(self.peak_kb.get(label, 0), kb)

    def stop(self) -> None:
        """Take a last sample and stop."""
        self._stop_event.set()
        self.join(timeout=2)
        self.sample()


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def _status_kb(pid: int, field: str) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except (OSError, ValueError):
        return None
    return None


def _cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    ticks = os.sysconf("SC_CLK_TCK")
    # utime + stime (+ reaped children's, for the worker's pool).
    return sum(int(fields[i]) for i in (11, 12, 13, 14)) / ticks


def _wait_until_up(ports: dict[str, int], processes: dict[str, subprocess.Popen[bytes]], logs: Path) -> None:
    deadline = time.monotonic() + 180
    for name in ("gateway", "ingest"):
        url = f"http://127.0.0.1:{ports[name]}/health"
        while True:
            if processes[name].poll() is not None:
                raise RuntimeError(f"{name} exited: {(logs / f'{name}.log').read_text()[-2000:]}")
            try:
                if httpx.get(url, timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{name} did not come up")
            time.sleep(0.3)
    while "ready." not in (logs / "ingest-worker.log").read_text(errors="replace"):
        if time.monotonic() > deadline:
            raise RuntimeError("the ingest worker did not come up")
        time.sleep(0.3)


def _account(base_url: str) -> dict[str, str]:
    email = f"bench-{uuid.uuid4().hex[:8]}@shop.example"
    with httpx.Client(base_url=base_url, timeout=30) as client:
        client.post("/auth/register", json={"email": email, "password": "bench-password-1", "name": "Bench"})
        tokens = client.post("/auth/login", json={"email": email, "password": "bench-password-1"}).json()
    return {"Authorization": f"Bearer {tokens['access_token']}"}


def _upload(base_url: str, headers: dict[str, str], path: Path, rows: int) -> dict[str, Any]:
    job_id = str(uuid.uuid4())
    progress: list[tuple[float, float]] = []
    result: dict[str, Any] = {}
    started = time.perf_counter()

    def post() -> None:
        with (
            httpx.Client(base_url=base_url, timeout=httpx.Timeout(900, connect=10)) as client,
            open(path, "rb") as handle,
        ):
            response = client.post(
                "/upload-sales",
                params={"job_id": job_id},
                headers=headers,
                files={"file": (path.name, handle, "application/gzip")},
            )
        result["response"] = response
        result["answered_s"] = time.perf_counter() - started

    sender = threading.Thread(target=post, daemon=True)
    sender.start()
    with httpx.Client(base_url=base_url, headers=headers, timeout=30) as client:
        while True:
            job = client.get(f"/jobs/{job_id}")
            elapsed = time.perf_counter() - started
            if job.status_code == 200:
                stage = job.json()["stages"]["ingest"]
                if not progress or stage["progress"] != progress[-1][1]:
                    progress.append((elapsed, stage["progress"]))
                if stage["status"] == "succeeded":
                    result["done_s"] = elapsed
                    result["job"] = job.json()
                    break
                if stage["status"] == "failed":
                    raise RuntimeError(f"the upload failed: {job.json()['error']}")
            if not sender.is_alive() and "response" in result and result["response"].status_code != 202:
                raise RuntimeError(
                    f"upload answered {result['response'].status_code}: {result['response'].text}"
                )
            if elapsed > 1800:
                raise RuntimeError("the upload did not finish in 30 minutes")
            time.sleep(0.25)
    sender.join()
    result["progress"] = progress
    return result


def _merge_steps(log_path: Path) -> str:
    """The ingest worker's own account of where the merge spent its time (ingest.repository)."""
    if not log_path.exists():
        return ""
    found = [line for line in log_path.read_text(errors="replace").splitlines() if "merge of job" in line]
    if not found:
        return ""
    try:
        return str(json.loads(found[-1])["msg"]).split(": ", 1)[-1]
    except (ValueError, KeyError):
        return found[-1]


def main() -> None:
    """Generate, start, upload, measure, print."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--plain", action="store_true", help="upload uncompressed CSV instead of gzip")
    parser.add_argument(
        "--cache-dir", type=Path, default=Path(tempfile.gettempdir()) / "smartretail-bench-ingest"
    )
    args = parser.parse_args()

    suffix = "csv" if args.plain else "csv.gz"
    path = args.cache_dir / f"sales-{args.rows}.{suffix}"
    if not path.exists():
        print(f"generating {args.rows:,} rows -> {path}", flush=True)
        write_sales_csv(path, args.rows, gzip=not args.plain)
    print(f"file: {path} ({path.stat().st_size / 1e6:,.0f} MB)", flush=True)

    work = Path(tempfile.mkdtemp(prefix="smartretail-bench-ingest-"))
    work.chmod(0o755)  # pgserver runs PostgreSQL as its own user when we are root
    servers = EmbeddedServers(work / "data")
    processes: dict[str, subprocess.Popen[bytes]] = {}
    try:
        database_url = servers.start_postgres()
        redis_url = servers.start_redis()
        upgrade(database_url.replace("postgresql://", "postgresql+psycopg://", 1))
        ports = {name: free_port() for name in ("gateway", *SERVICES)}
        env = platform_env(database_url, redis_url, ports)
        env["APP_ENV"] = "test"
        commands = process_commands(ports)
        for name in PROCESSES:
            log = open(work / f"{name}.log", "ab")  # noqa: SIM115 (the process owns it)
            processes[name] = subprocess.Popen(
                commands[name],
                env=env,
                cwd=REPO_ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        _wait_until_up(ports, processes, work)
        base_url = f"http://127.0.0.1:{ports['gateway']}"
        headers = _account(base_url)
        ingest_pids = {name: processes[name].pid for name in ("ingest", "ingest-worker")}
        idle = RssSampler(ingest_pids)
        idle.sample()
        cpu_before = {name: _cpu_seconds(pid) for name, pid in ingest_pids.items()}
        sampler = RssSampler(ingest_pids)
        sampler.start()
        result = _upload(base_url, headers, path, args.rows)
        sampler.stop()
        cpu_used = {name: _cpu_seconds(pid) - cpu_before[name] for name, pid in ingest_pids.items()}
    finally:
        for process in processes.values():
            if process.poll() is None:
                os.killpg(process.pid, 15)
        for process in processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, 9)
        servers.stop()
        merge_steps = _merge_steps(work / "ingest-worker.log")
        shutil.rmtree(work, ignore_errors=True)

    job = result["job"]
    seconds = result["done_s"]
    rows_per_s = args.rows / seconds
    peak_mb = max(sampler.peak_kb.values()) / 1024
    print(f"rows uploaded: {args.rows:,}; accepted {job['rows_accepted']:,}, new {job['rows_new']:,}")
    print(f"flags: {job.get('flag_counts')}")
    print(f"HTTP 202 after {result['answered_s']:.1f} s (received, validated, staged)")
    print(f"ingest stage succeeded after {seconds:.1f} s (merged into sales_lines)")
    print(f"merge steps (ingest worker's log): {merge_steps or 'not logged'}")
    print(
        "progress seen while uploading (s, ingest progress): "
        + ", ".join(
            f"({t:.0f}, {p:.2f})" for t, p in result["progress"][:: max(1, len(result["progress"]) // 12)]
        )
    )
    print("CPU seconds: " + ", ".join(f"{name} {value:.1f}" for name, value in cpu_used.items()))
    print(
        "peak RSS MB (idle -> peak): "
        + ", ".join(
            f"{name} {idle.peak_kb.get(name, 0) / 1024:.0f} -> {kb / 1024:.0f}"
            for name, kb in sampler.peak_kb.items()
        )
    )
    try:
        load = os.getloadavg()
        print(
            f"machine load average during the run (1/5/15 min): {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}"
        )
    except OSError:
        pass
    print(summary_line("ingest", rows_per_s=f"{rows_per_s:.0f}", peak_rss_mb=f"{peak_mb:.0f}"), flush=True)


if __name__ == "__main__":
    main()
