"""What PostgreSQL itself needs to store N sales lines on this machine (the merge's floor).

Run from the repo root:  .venv/bin/python -m bench.ingest.floor [--rows 10000000]

Starts an embedded PostgreSQL with the platform's settings and schema, stages N generated lines
(the bench's shape: receipts of 3 lines, 40 stores, 2,000 skus, 2 years) and times, each alone:
- the merge's source query alone (its sort for line ordinals), counted rather than stored;
- the first upload's insert into sales_lines as the merge runs it (key index in place);
- writing the same rows into a fresh table with no index, then building the key's index on
  rows in key order and on rows in receipt order.
Prints one line per step, then
`floor rows=<N> collation=<name> wal_level=<level> write_s=<a> index_sorted_s=<b> commit_s=<d>
merge_insert_s=<c>`.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import psycopg

from common.devservers import EmbeddedServers
from common.migrate import upgrade
from ingest.repository import LINE_COLUMNS, MERGE_SOURCE_SQL, PII_MAP_SQL

STAGE_SQL = """
INSERT INTO staged_sales (job_id, organization_id, row_no, store, sku, date, transaction_id, quantity,
                          unit_price, customer_id, promotion, is_product)
SELECT %(job)s, %(org)s, g, 'ST' || (1 + (g / 3) %% 40), 'P' || ((g::bigint * 7919) %% 2000),
       date '2022-01-01' + (g::bigint * 730 / %(n)s)::int, 'R' || (g / 3), 1, 2.5,
       (100000 + (g / 3) %% 200000)::text, 0, true
FROM generate_series(1, %(n)s) g
"""
KEY = "organization_id, store, sku, date, transaction_id, line_no"
COLUMNS = f"{LINE_COLUMNS}, job_id"


def _timed(
    conn: psycopg.Connection[Any], label: str, sql: str, params: dict[str, Any] | None = None
) -> float:
    started = time.perf_counter()
    conn.execute(sql, params)
    seconds = time.perf_counter() - started
    print(f"{label}: {seconds:.1f} s", flush=True)
    return seconds


def main() -> None:
    """Stage, then time each step alone."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument(
        "--collation",
        default="",
        help="e.g. C: compare the key columns under this collation (an A/B of the schema)",
    )
    parser.add_argument(
        "--wal-level",
        default="",
        help="e.g. minimal (with max_wal_senders 0): tables created in the writing transaction skip the WAL",
    )
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="smartretail-bench-floor-"))
    work.chmod(0o755)  # pgserver runs PostgreSQL as its own user when we are root
    servers = EmbeddedServers(work / "data")
    params = {"job": str(uuid.uuid4()), "org": str(uuid.uuid4()), "n": args.rows}
    source = MERGE_SOURCE_SQL.replace(":job_id", "%(job)s")
    try:
        url = servers.start_postgres()
        if args.wal_level:
            servers.configure_postgres({"wal_level": args.wal_level, "max_wal_senders": "0"})
        upgrade(url.replace("postgresql://", "postgresql+psycopg://", 1))
        with psycopg.connect(url, autocommit=True) as conn:
            if args.collation:
                for table in ("sales_lines", "staged_sales"):
                    conn.execute(
                        f"ALTER TABLE {table} "
                        + ", ".join(
                            f'ALTER COLUMN {c} TYPE varchar(200) COLLATE "{args.collation}"'
                            for c in ("store", "sku", "transaction_id")
                        )
                    )
            _timed(conn, f"stage {args.rows:,} lines", STAGE_SQL, params)
            # Sets every new row's hint bits first: otherwise the first statement to read the rows
            # pays for writing all pages again, whichever it is.
            _timed(conn, "vacuum analyze the staged lines", "VACUUM ANALYZE staged_sales")
            with conn.transaction():
                conn.execute("SET LOCAL work_mem = '256MB'")
                conn.execute(PII_MAP_SQL)
                _timed(
                    conn,
                    "the merge's source query alone (ordinal sort)",
                    f"SELECT count(*) FROM ({source}) src",
                    params,
                )
            with conn.transaction():
                conn.execute("SET LOCAL work_mem = '256MB'")
                conn.execute(PII_MAP_SQL)
                merge_insert = _timed(
                    conn,
                    "merge insert into sales_lines (key index in place)",
                    f"INSERT INTO sales_lines ({COLUMNS}) SELECT src.*, %(job)s::uuid FROM ({source}) src",
                    params,
                )
            conn.execute("CHECKPOINT")
            with conn.transaction():
                conn.execute("SET LOCAL maintenance_work_mem = '1GB'")
                conn.execute(
                    "CREATE TABLE floor_sorted (LIKE sales_lines INCLUDING DEFAULTS INCLUDING GENERATED)"
                )
                write = _timed(
                    conn,
                    "write into a fresh table, no index (rows in key order)",
                    f"INSERT INTO floor_sorted ({COLUMNS}) SELECT {COLUMNS} FROM sales_lines ORDER BY {KEY}",
                )
                index_sorted = _timed(
                    conn,
                    "build the key's index, rows in key order",
                    f"CREATE UNIQUE INDEX ON floor_sorted ({KEY})",
                )
                committing = time.perf_counter()
            # Under wal_level minimal the commit, not the statements, writes the new files to disk.
            commit = time.perf_counter() - committing
            print(f"commit the fresh table and its index: {commit:.1f} s", flush=True)
            with conn.transaction():
                conn.execute("SET LOCAL maintenance_work_mem = '1GB'")
                conn.execute(
                    "CREATE TABLE floor_unsorted (LIKE sales_lines INCLUDING DEFAULTS INCLUDING GENERATED)"
                )
                conn.execute(
                    f"INSERT INTO floor_unsorted ({COLUMNS}) SELECT {COLUMNS} FROM floor_sorted "
                    "ORDER BY transaction_id, line_no"
                )
                _timed(
                    conn,
                    "build the key's index, rows in receipt order (not key order)",
                    f"CREATE UNIQUE INDEX ON floor_unsorted ({KEY})",
                )
    finally:
        servers.stop()
        shutil.rmtree(work, ignore_errors=True)
    print(
        f"floor rows={args.rows} collation={args.collation or 'default'} wal_level={args.wal_level or 'replica'} write_s={write:.1f} index_sorted_s={index_sorted:.1f} commit_s={commit:.1f} merge_insert_s={merge_insert:.1f}",
        flush=True,
    )


if __name__ == "__main__":
    main()
