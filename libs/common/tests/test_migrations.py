"""Schema migrations on a real PostgreSQL: the sales table's key, down and up again with data in it."""

from __future__ import annotations

import uuid
from typing import Any

import psycopg
import pytest
from alembic import command

from common.migrate import alembic_config, upgrade
from common.testing.plugin import fresh_database

KEY = ["organization_id", "store", "sku", "date", "transaction_id", "line_no"]


def _primary_key(conn: psycopg.Connection[Any]) -> list[str]:
    rows = conn.execute(
        """SELECT a.attname FROM pg_index i
           JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
           WHERE i.indrelid = 'sales_lines'::regclass AND i.indisprimary
           ORDER BY array_position(i.indkey::int2[], a.attnum)"""
    ).fetchall()
    return [r[0] for r in rows]


def test_sales_lines_keyed_by_the_natural_key_down_and_up(servers: Any) -> None:
    url = fresh_database(servers.database_url)
    sqlalchemy_url = url.replace("postgresql://", "postgresql+psycopg://", 1)
    upgrade(sqlalchemy_url)
    org = uuid.uuid4()
    with psycopg.connect(url, autocommit=True) as conn:
        assert _primary_key(conn) == KEY
        assert "id" not in {
            r[0]
            for r in conn.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = 'sales_lines'"
            )
        }
        conn.execute(
            "INSERT INTO sales_lines (organization_id, store, sku, date, transaction_id, line_no, quantity, unit_price)"
            " VALUES (%s, 'S1', 'a', '2026-01-05', 'T1', 0, 2, 1.5)",
            (org,),
        )
    command.downgrade(alembic_config(sqlalchemy_url), "0007")
    with psycopg.connect(url, autocommit=True) as conn:
        assert _primary_key(conn) == ["id"]
        assert conn.execute("SELECT count(*) FROM sales_lines WHERE id IS NOT NULL").fetchone() == (1,)
    upgrade(sqlalchemy_url)
    with psycopg.connect(url, autocommit=True) as conn:
        assert _primary_key(conn) == KEY
        assert conn.execute("SELECT sum(quantity) FROM sales_lines").fetchone() == (2.0,)
        # The key still refuses a second copy of a line.
        try:
            conn.execute(
                "INSERT INTO sales_lines (organization_id, store, sku, date, transaction_id, line_no, quantity,"
                " unit_price) VALUES (%s, 'S1', 'a', '2026-01-05', 'T1', 0, 9, 9)",
                (org,),
            )
        except psycopg.errors.UniqueViolation:
            pass
        else:
            raise AssertionError("a duplicate natural key was stored")


def test_stores_gain_their_place_and_events_are_kept_once(servers: Any) -> None:
    url = fresh_database(servers.database_url)
    sqlalchemy_url = url.replace("postgresql://", "postgresql+psycopg://", 1)
    command.upgrade(alembic_config(sqlalchemy_url), "0014")
    with psycopg.connect(url, autocommit=True) as conn:
        org = conn.execute(
            "INSERT INTO organizations (id, name) VALUES (gen_random_uuid(), 'o') RETURNING id"
        )
        org_id = org.fetchone()[0]  # type: ignore[index]
        conn.execute("INSERT INTO stores (organization_id, code) VALUES (%s, 'S1')", (org_id,))
    command.upgrade(alembic_config(sqlalchemy_url), "0016")
    with psycopg.connect(url, autocommit=True) as conn:
        # The store ingest had recorded keeps its row under the renamed key, with no place yet.
        assert conn.execute("SELECT store, country, opened_on FROM stores").fetchall() == [("S1", None, None)]
        insert = (
            'INSERT INTO events (organization_id, name, start, "end", store, category) '
            "VALUES (%s, 'Fair', '2026-03-01', '2026-03-02', NULL, NULL) "
            'ON CONFLICT (organization_id, name, start, "end", store, category) DO NOTHING'
        )
        conn.execute(insert, (org_id,))
        conn.execute(insert, (org_id,))  # NULL store and category are one event, not two
        assert conn.execute("SELECT count(*) FROM events").fetchone() == (1,)
        with pytest.raises(psycopg.errors.CheckViolation):
            conn.execute(
                "INSERT INTO events (organization_id, name, start, \"end\") VALUES (%s, 'x', '2026-03-02', '2026-03-01')",
                (org_id,),
            )
    command.downgrade(alembic_config(sqlalchemy_url), "0014")
    with psycopg.connect(url, autocommit=True) as conn:
        assert conn.execute("SELECT code FROM stores").fetchall() == [("S1",)]


def test_stock_history_tables_keyed_by_item_and_date_down_and_up(servers: Any) -> None:
    url = fresh_database(servers.database_url)
    sqlalchemy_url = url.replace("postgresql://", "postgresql+psycopg://", 1)
    upgrade(sqlalchemy_url)
    org = uuid.uuid4()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO stock_snapshots (organization_id, date, store, sku, on_hand, in_stock)"
            " VALUES (%s, '2026-01-05', 'S1', 'a', 0, false)",
            (org,),
        )
        try:
            conn.execute(
                "INSERT INTO stock_snapshots (organization_id, date, store, sku, on_hand, in_stock)"
                " VALUES (%s, '2026-01-05', 'S1', 'a', 4, true)",
                (org,),
            )
        except psycopg.errors.UniqueViolation:
            pass
        else:
            raise AssertionError("two snapshots of one item and date were stored")
        conn.execute(
            'INSERT INTO stockouts (organization_id, store, sku, start, "end", source, probability, sales,'
            " estimated_demand, lost_units, lost_revenue) VALUES (%s, 'S1', 'a', '2026-01-05', '2026-01-07',"
            " 'stock', 1, 0, 6, 6, 12)",
            (org,),
        )
        row = conn.execute("SELECT id, corrected, computed_at IS NOT NULL FROM stockouts").fetchone()
        assert row is not None and row[0] >= 1 and row[1:] == (False, True)
        assert conn.execute(
            "SELECT count(*) FROM information_schema.columns"
            " WHERE table_name = 'products' AND column_name = 'on_hand_updated_at'"
        ).fetchone() == (1,)
    command.downgrade(alembic_config(sqlalchemy_url), "0014")
    with psycopg.connect(url, autocommit=True) as conn:
        assert conn.execute("SELECT to_regclass('stockouts'), to_regclass('stock_snapshots')").fetchone() == (
            None,
            None,
        )
    upgrade(sqlalchemy_url)
