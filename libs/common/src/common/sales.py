"""Read-side SQL over the sales tables that several engines share (forecasting, pricing, inventory)."""

from __future__ import annotations

import uuid

import pandas as pd
import pyarrow as pa
from sqlalchemy import Connection

from common.frames import read_frame

_STR = pa.string()

# Daily net units per store x sku, the average price paid (weighted by units), and the
# promotion attributes; non-product lines (postage, fees) are left out. Zero-price lines (free
# items, flagged is_zero_price) count as units but not in the average price: a day with only free
# lines has no price (NULL), which the engines treat as unknown.
DAILY_SALES_SQL = """
    SELECT s.store, s.sku, s.date, sum(s.quantity) AS quantity,
           COALESCE(
               sum(s.unit_price * abs(s.quantity)) FILTER (WHERE NOT s.is_zero_price)
                   / NULLIF(sum(abs(s.quantity)) FILTER (WHERE NOT s.is_zero_price), 0),
               avg(s.unit_price) FILTER (WHERE NOT s.is_zero_price)
           ) AS unit_price,
           max(s.promotion) AS promotion, max(s.regular_price) AS regular_price,
           max(s.feature) AS feature, max(s.display) AS display, max(s.tpr_only) AS tpr_only
    FROM sales_lines s
    WHERE s.organization_id = %(org)s AND s.is_product
    GROUP BY s.store, s.sku, s.date
    ORDER BY s.store, s.sku, s.date
"""

# Demand on each day of a corrected stock-out run `o` (its rows in `stockouts`): the run's estimated
# demand spread evenly over its days, so any part of a run counts in proportion to its days.
# (The runs of an item do not overlap: the forecasting worker writes one per censored stretch.)
STOCKOUT_DAY_DEMAND = 'o.estimated_demand / (o."end" - o.start + 1)'

# Corrected demand per store x sku and day from `since` on, the inventory engine's own-history
# input: net units sold, except on the days of a corrected stock-out, where the shelf capped the
# sales, which count the run's estimated demand instead (STOCKOUT_DAY_DEMAND).
DAILY_UNITS_SQL = f"""
    WITH censored AS MATERIALIZED (
        SELECT o.store, o.sku, CAST(d.day AS date) AS date, sum({STOCKOUT_DAY_DEMAND}) AS quantity
        FROM stockouts o
        CROSS JOIN LATERAL generate_series(
            GREATEST(o.start, CAST(%(since)s AS date)), o."end", interval '1 day') AS d(day)
        WHERE o.organization_id = %(org)s AND o.corrected AND o."end" >= %(since)s
        GROUP BY 1, 2, 3
    )
    SELECT s.store, s.sku, s.date, sum(s.quantity) AS quantity
    FROM sales_lines s
    WHERE s.organization_id = %(org)s AND s.is_product AND s.date >= %(since)s
      AND NOT EXISTS (SELECT 1 FROM censored c WHERE c.store = s.store AND c.sku = s.sku AND c.date = s.date)
    GROUP BY s.store, s.sku, s.date
    UNION ALL
    SELECT store, sku, date, quantity FROM censored
"""

# The product master, with each item's current stock: its latest stock snapshot (by date) unless a
# products file gave on_hand after that snapshot was uploaded. A snapshot with only an in_stock
# flag says 0 when out of stock, and leaves the product master's figure when in stock.
PRODUCTS_SQL = """
    SELECT p.store, p.sku, p.name, p.category, p.price, p.unit_cost,
           CASE WHEN snap.date IS NOT NULL
                     AND (p.on_hand_updated_at IS NULL OR snap.updated_at > p.on_hand_updated_at)
                THEN COALESCE(snap.on_hand, CASE WHEN snap.in_stock THEN p.on_hand ELSE 0 END)
                ELSE p.on_hand END AS on_hand,
           p.on_order, p.lead_time_days, p.min_order_qty, p.pack_size, p.supplier
    FROM products p
    LEFT JOIN LATERAL (
        SELECT s.date, s.on_hand, s.in_stock, s.updated_at FROM stock_snapshots s
        WHERE s.organization_id = p.organization_id AND s.store = p.store AND s.sku = p.sku
        ORDER BY s.date DESC LIMIT 1
    ) snap ON true
    WHERE p.organization_id = %(org)s AND p.is_product
"""

# An organization's last sales date of a product: one index probe per listed item (sales_lines'
# key starts with organization, store, sku, date; every sold item is listed in products) instead
# of a scan of all its lines. Plans and scenarios are for the days after it.
LAST_SALE_SQL = """
    SELECT max(l.date) FROM products p CROSS JOIN LATERAL (
        SELECT max(s.date) AS date FROM sales_lines s
        WHERE s.organization_id = p.organization_id AND s.store = p.store AND s.sku = p.sku
    ) l WHERE p.organization_id = :org AND p.is_product
"""

PLAN_SQL = """
    SELECT store, sku, date, unit_price, promotion, feature, display
    FROM plan_lines WHERE organization_id = %(org)s AND date > %(after)s
"""


def load_daily_sales(connection: Connection, organization_id: uuid.UUID) -> pd.DataFrame:
    """An organization's daily sales per store x sku (the engines' history input)."""
    frame = read_frame(
        connection, DAILY_SALES_SQL, {"org": str(organization_id)}, {"store": _STR, "sku": _STR}
    )
    if not frame.empty:
        frame["date"] = pd.to_datetime(frame["date"])
    return frame


def load_daily_units(connection: Connection, organization_id: uuid.UUID, since: pd.Timestamp) -> pd.DataFrame:
    """An organization's demand per store x sku and day from `since` on: net units, estimated where out of stock."""
    frame = read_frame(
        connection,
        DAILY_UNITS_SQL,
        {"org": str(organization_id), "since": pd.Timestamp(since).date()},
        {"store": _STR, "sku": _STR},
    )
    if not frame.empty:
        frame["date"] = pd.to_datetime(frame["date"])
    return frame


def load_products(connection: Connection, organization_id: uuid.UUID) -> pd.DataFrame:
    """An organization's product master (store x sku attributes, stock and cost)."""
    return read_frame(
        connection,
        PRODUCTS_SQL,
        {"org": str(organization_id)},
        {"store": _STR, "sku": _STR, "name": _STR, "category": _STR, "supplier": _STR},
    )


def load_plan(connection: Connection, organization_id: uuid.UUID, after: pd.Timestamp) -> pd.DataFrame:
    """Planned prices and promotions after a date (known future drivers)."""
    frame = read_frame(
        connection,
        PLAN_SQL,
        {"org": str(organization_id), "after": after.date()},
        {"store": _STR, "sku": _STR},
    )
    if not frame.empty:
        frame["date"] = pd.to_datetime(frame["date"])
    return frame
