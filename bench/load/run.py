"""Load bench: 200 clients reading results and 5 uploading sales through the gateway, for 60 s.

Run from the repo root:  .venv/bin/python -m bench.load [--duration 60] [--readers 200] [--think-ms 1000]

It starts the whole platform as `make run` does (embedded PostgreSQL and Redis in a temporary
folder, gateway, five services, five workers; free ports on 127.0.0.1) with the gateway's rate
limits raised (RATE_LIMIT_PER_MINUTE, RATE_LIMIT_PER_ADDRESS_PER_MINUTE,
UPLOAD_RATE_LIMIT_PER_MINUTE): every client comes from one loopback address. It loads the demo
data (3 stores x 30 products x 2 years, 800 customers) and waits for every engine, then drives:

- readers: each client loops over the dashboard's result reads of the demo retailer (forecast,
  inventory, pricing, segments, sales history), waiting `--think-ms` between its requests
  (a person looking at a page; `--think-ms 0` measures saturation instead). After one warm-up
  pass these reads are cached: the latency is the gateway's (auth, rate limit, cache);
- uploaders: each client uploads a new small sales file of its own retailer every
  `--upload-every-s` (at once if the last one took longer), so up to 5 uploads are in flight.

Then it waits for every acknowledged upload's job to finish and counts the rows in PostgreSQL.
Summary line: `load rps=<reads/s> p99_ms=<read p99> errors=<failed requests> rows_lost=<rows
acknowledged minus rows stored>`. Traffic goes to 127.0.0.1 only; every loop is bounded by the
duration.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import time
import uuid
from collections import Counter
from pathlib import Path

import aiohttp
import httpx
import psutil
import psycopg
import redis

from bench.load.platform import running_platform
from bench.load.report import Outcome, Tally, print_report
from bench.load.timeline import CpuTimeline
from common.app import server_timings
from common.demo import generate_sales
from common.devservers import EmbeddedServers
from common.testing.plugin import Platform

RATE_LIMITS_OFF = {
    "RATE_LIMIT_PER_MINUTE": str(10**9),
    "RATE_LIMIT_PER_ADDRESS_PER_MINUTE": str(10**9),
    "UPLOAD_RATE_LIMIT_PER_MINUTE": str(10**9),
}
# What the dashboard reads, for the demo retailer's stores and products.
READS = (
    "/forecast?limit=20",
    "/forecast?store=S01&sku=SKU001",
    "/forecast?level=store",
    "/inventory-recommendations?limit=50",
    "/inventory-recommendations/summary",
    "/pricing-suggestions?limit=50",
    "/customer-segments",
    "/sales/timeseries?freq=W",
    "/sales/timeseries?store=S02&freq=D",
)
PASSWORD = "load-password-123"


def _account(client: httpx.Client, name: str) -> tuple[dict[str, str], str]:
    email = f"{name}-{uuid.uuid4().hex[:8]}@load.example"
    registered = client.post("/auth/register", json={"email": email, "password": PASSWORD, "name": name})
    registered.raise_for_status()
    for attempt in range(5):
        login = client.post("/auth/login", json={"email": email, "password": PASSWORD})
        if login.status_code == 200:
            break
        # The register answer can arrive before its commit (the session dependency commits after
        # the response is sent): the first sign-in may not find the account yet.
        print(f"  sign-in {attempt + 1} after registering {name} answered {login.status_code}; retrying")
        time.sleep(0.5)
    else:
        raise RuntimeError(f"could not sign in as {email}: {login.status_code} {login.text}")
    return {"Authorization": f"Bearer {login.json()['access_token']}"}, str(
        registered.json()["organization_id"]
    )


def _wait_for_jobs(
    client: httpx.Client, headers_of: dict[str, dict[str, str]], timeout_s: float
) -> Counter[str]:
    """Poll every job until it ends; returns how many ended in each status."""
    pending = dict(headers_of)
    done: Counter[str] = Counter()
    deadline = time.monotonic() + timeout_s
    while pending and time.monotonic() < deadline:
        for job_id, headers in list(pending.items()):
            status = client.get(f"/jobs/{job_id}", headers=headers).json()["status"]
            if status in ("succeeded", "failed"):
                done[status] += 1
                del pending[job_id]
        if pending:
            time.sleep(2)
    done["unfinished"] = len(pending)
    return done


def _upload_file(client_no: int, upload_no: int) -> bytes:
    """A small sales file whose every line is new: its own store, 3 products, 30 days."""
    sales = generate_sales(n_stores=1, n_skus=3, days=30, n_customers=20, seed=client_no * 1000 + upload_no)
    sales["store"] = f"L{client_no}-{upload_no:03d}"
    return sales.to_csv(index=False).encode()


async def _reader(
    session: aiohttp.ClientSession, headers: dict[str, str], stop_at: float, think_s: float, tally: Tally
) -> None:
    rng = random.Random()
    # Clients start spread over one think time, as people arriving do.
    await asyncio.sleep(rng.uniform(0, think_s))
    while time.monotonic() < stop_at:
        path = rng.choice(READS)
        started = time.perf_counter()
        try:
            async with session.get(path, headers=headers) as response:
                body = await response.read()
                status = response.status
                source = response.headers.get("X-Cache", "none")
                parts = server_timings(response.headers.getall("Server-Timing", []))
                tally.body_bytes[path] = len(body)
        except (aiohttp.ClientError, TimeoutError) as exc:
            status, source, parts = 0, type(exc).__name__, {}
        latency = time.perf_counter() - started
        tally.read_latencies_s.append(latency)
        tally.read_started_s.append(started)
        tally.read_parts_ms.append(parts)
        tally.by_path.setdefault(path, []).append(latency)
        tally.read_sources[source] += 1
        if status != 200:
            tally.read_errors[f"{path} -> {status or source}"] += 1
        if think_s:
            await asyncio.sleep(rng.expovariate(1 / think_s))


async def _uploader(
    session: aiohttp.ClientSession,
    client_no: int,
    headers: dict[str, str],
    organization_id: str,
    stop_at: float,
    every_s: float,
    files: list[bytes],
    tally: Tally,
) -> None:
    upload_no = 0
    while time.monotonic() < stop_at and upload_no < len(files):
        body = files[upload_no]
        form = aiohttp.FormData()
        form.add_field("file", body, filename=f"load-{client_no}-{upload_no}.csv", content_type="text/csv")
        started = time.perf_counter()
        try:
            upload_headers = {**headers, "Accept-Encoding": "identity"}
            async with session.post("/upload-sales", data=form, headers=upload_headers) as response:
                answer = await response.json(content_type=None)
                status = response.status
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            status, answer = 0, {"detail": type(exc).__name__}
        elapsed = time.perf_counter() - started
        tally.upload_latencies_s.append(elapsed)
        if status == 202:
            tally.acknowledged[answer["job_id"]] = int(answer["rows_accepted"])
            tally.job_org[answer["job_id"]] = organization_id
        else:
            tally.upload_errors[f"{status}: {str(answer.get('detail'))[:80]}"] += 1
        upload_no += 1
        await asyncio.sleep(max(0.0, every_s - elapsed))


async def _drive(
    base_url: str,
    reader_headers: dict[str, str],
    uploaders: list[tuple[dict[str, str], str]],
    args: argparse.Namespace,
) -> Tally:
    tally = Tally()
    # Files made before the clock starts: making one holds the GIL ~20 ms, and five at once stalled
    # this process's event loop for ~100 ms every 5 s, which the readers' latencies then counted.
    per_uploader = int(args.duration / args.upload_every_s) + 1
    files = [[_upload_file(i, n) for n in range(per_uploader)] for i in range(len(uploaders))]
    # One connection per client, kept alive, as 200 browsers would hold.
    connector = aiohttp.TCPConnector(limit=args.readers + len(uploaders) + 10, limit_per_host=0)
    timeout = aiohttp.ClientTimeout(total=120)
    # Bodies are counted as sent (compressed), and not decompressed: the client's CPU is not measured.
    async with aiohttp.ClientSession(
        base_url, connector=connector, timeout=timeout, auto_decompress=False
    ) as session:
        think_s = args.think_ms / 1000
        # Browsers ask for compressed answers; --accept-encoding identity shows what gzip costs.
        headers = {**reader_headers, "Accept-Encoding": args.accept_encoding}
        stop_at = time.monotonic() + args.duration
        tasks = [_reader(session, headers, stop_at, think_s, tally) for _ in range(args.readers)]
        tasks += [
            _uploader(session, i, headers, org, stop_at, args.upload_every_s, files[i], tally)
            for i, (headers, org) in enumerate(uploaders)
        ]
        await asyncio.gather(*tasks)
    return tally


def _components(platform: Platform, servers: EmbeddedServers) -> dict[str, list[psutil.Process]]:
    """The processes of each part of the platform, to account CPU time to them."""
    parts: dict[str, list[psutil.Process]] = {}
    for name, process in platform.processes.items():
        group = "workers+scheduler" if name.endswith("-worker") or name == "scheduler" else name
        root = psutil.Process(process.pid)
        parts.setdefault(group, []).extend([root, *root.children(recursive=True)])
    parts["redis"] = [psutil.Process(servers.redis_pid)]
    postgres = psutil.Process(servers.postgres_pid)
    parts["postgres"] = [postgres, *postgres.children(recursive=True)]
    parts["load generator"] = [psutil.Process()]
    return parts


def _cpu_seconds(parts: dict[str, list[psutil.Process]]) -> dict[str, float]:
    """User + system CPU seconds used so far by each part (processes gone since count as 0)."""
    used: dict[str, float] = {}
    for name, processes in parts.items():
        total = 0.0
        for process in processes:
            try:
                times = process.cpu_times()
            except psutil.NoSuchProcess:
                continue
            total += times.user + times.system
        used[name] = total
    return used


def _cpu_per_request(
    platform: Platform, parts: dict[str, list[psutil.Process]], headers: dict[str, str], n: int = 300
) -> list[str]:
    """Where a read's time goes: CPU ms per request of each process, one variant at a time, unloaded."""
    gateway, forecasting = platform.base_url, f"http://127.0.0.1:{platform.ports['forecasting']}"
    variants: tuple[tuple[str, str, dict[str, str]], ...] = (
        ("gateway GET /health (no auth, no Redis)", gateway + "/health", {}),
        (
            "gateway cached read, identity",
            gateway + "/forecast?limit=20",
            {**headers, "Accept-Encoding": "identity"},
        ),
        ("gateway cached read, gzip", gateway + "/forecast?limit=20", {**headers, "Accept-Encoding": "gzip"}),
        (
            "forecasting service direct read",
            forecasting + "/forecast?limit=20",
            {**headers, "Accept-Encoding": "identity"},
        ),
    )
    lines = []
    with httpx.Client(timeout=30) as client:
        for label, url, variant_headers in variants:
            client.get(url, headers=variant_headers).raise_for_status()
            before = _cpu_seconds(parts)
            for _ in range(n):
                client.get(url, headers=variant_headers)
            spent = {name: (used - before[name]) / n * 1000 for name, used in _cpu_seconds(parts).items()}
            shown = ", ".join(
                f"{name} {ms:.2f}" for name, ms in sorted(spent.items(), key=lambda kv: -kv[1]) if ms >= 0.05
            )
            lines.append(f"  {label:42s} CPU ms/request: {shown}")
    return lines


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The bench's command line."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load")
    parser.add_argument("--readers", type=int, default=200)
    parser.add_argument(
        "--think-ms", type=float, default=1000.0, help="mean pause between a reader's requests"
    )
    parser.add_argument("--uploaders", type=int, default=5)
    parser.add_argument("--upload-every-s", type=float, default=5.0)
    parser.add_argument("--accept-encoding", default="gzip, deflate, br", help="what the readers accept")
    parser.add_argument(
        "--background-cpu-policy",
        choices=("idle", "nice"),
        default="idle",
        help="CPU priority of the Celery workers and beat (common.background): SCHED_IDLE or nice 10",
    )
    parser.add_argument("--keep-logs", type=Path, default=None, help="folder for the processes' logs")
    parser.add_argument("--drain-timeout", type=float, default=900.0, help="seconds to wait for the jobs")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Start the platform, load demo data, drive readers and uploaders, print the summary line."""
    args = parse_args(argv)

    print(
        "starting the platform (embedded PostgreSQL and Redis, gateway, 5 services, 5 workers)...", flush=True
    )
    extra_env = {**RATE_LIMITS_OFF, "BACKGROUND_CPU_POLICY": args.background_cpu_policy}
    with running_platform(extra_env, keep_logs=args.keep_logs) as (platform, servers):
        database_url = platform.env["DATABASE_URL"]
        with httpx.Client(base_url=platform.base_url, timeout=300) as client:
            reader_headers, _ = _account(client, "demo")
            demo = generate_sales(n_stores=3, n_skus=30, days=730, n_customers=800)
            started = time.perf_counter()
            upload = client.post(
                "/upload-sales",
                headers=reader_headers,
                files={"file": ("demo.csv", demo.to_csv(index=False).encode(), "text/csv")},
            )
            upload.raise_for_status()
            demo_job = upload.json()["job_id"]
            finished = _wait_for_jobs(client, {demo_job: reader_headers}, timeout_s=args.drain_timeout)
            if finished["succeeded"] != 1:
                print(f"the demo upload did not succeed: {finished}", file=sys.stderr)
                return 1
            print(
                f"demo data: {len(demo):,} lines, processed by every engine in {time.perf_counter() - started:.0f} s"
            )
            for path in READS:  # warm-up: one read of each fills the caches
                client.get(path, headers=reader_headers).raise_for_status()
            uploaders = [_account(client, f"uploader{i}") for i in range(args.uploaders)]
            metrics_before = client.get("/metrics").text

        print(
            f"driving {args.readers} readers (think {args.think_ms:.0f} ms) and {args.uploaders} uploaders "
            f"(one upload each every {args.upload_every_s:.0f} s) for {args.duration:.0f} s...",
            flush=True,
        )
        parts = _components(platform, servers)
        cpu_before, load_before = _cpu_seconds(parts), psutil.getloadavg()
        steal_before = getattr(psutil.cpu_times(), "steal", 0.0)
        redis_client = redis.Redis.from_url(platform.env["REDIS_URL"])
        # Redis records every event of its own slower than this (LATENCY LATEST after the run).
        redis_client.config_set("latency-monitor-threshold", 5)
        redis_client.execute_command("LATENCY", "RESET")
        roots = {name: process.pid for name, process in platform.processes.items()}
        roots.update({"redis": servers.redis_pid, "load generator": os.getpid()})
        sampler = CpuTimeline(roots, servers.postgres_pid, database_url)
        started = time.perf_counter()
        tally = asyncio.run(_drive(platform.base_url, reader_headers, uploaders, args))
        elapsed = time.perf_counter() - started
        timeline = sampler.stop()
        redis_latency = redis_client.execute_command("LATENCY", "LATEST")
        cpu_used = {name: spent - cpu_before[name] for name, spent in _cpu_seconds(parts).items()}
        load_after = psutil.getloadavg()
        # CPU time the hypervisor gave to other machines: a run with much of it is a slower machine.
        steal_s = getattr(psutil.cpu_times(), "steal", 0.0) - steal_before
        profile = _cpu_per_request(platform, parts, reader_headers)

        with httpx.Client(base_url=platform.base_url, timeout=60) as client:
            metrics_after = client.get("/metrics").text
            headers_of = {
                job_id: next(h for h, org in uploaders if org == tally.job_org[job_id])
                for job_id in tally.acknowledged
            }
            drain_started = time.perf_counter()
            ended = _wait_for_jobs(client, headers_of, timeout_s=args.drain_timeout)
            drain_s = time.perf_counter() - drain_started
        organizations = sorted({org for _, org in uploaders})
        with psycopg.connect(database_url) as conn:
            row = conn.execute(
                "SELECT count(*) FROM sales_lines WHERE organization_id = ANY(%s::uuid[])", (organizations,)
            ).fetchone()
        stored = int(row[0]) if row else 0

    outcome = Outcome(
        tally=tally,
        elapsed=elapsed,
        timeline=timeline,
        redis_latency=redis_latency,
        cpu_used=cpu_used,
        load=(load_before[0], load_after[0]),
        steal_s=steal_s,
        profile=profile,
        metrics=(metrics_before, metrics_after),
        jobs=dict(ended),
        drain_s=drain_s,
        stored=stored,
        background_cpu_policy=args.background_cpu_policy,
    )
    print_report(outcome)
    return 0


if __name__ == "__main__":
    sys.exit(main())
