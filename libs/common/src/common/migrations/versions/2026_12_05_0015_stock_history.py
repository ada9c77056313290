"""stock history: end-of-day stock snapshots per item, the stock-outs found in them or inferred, and
when a products file last gave an item's on-hand (the later of the two is the current stock)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Keyed by the natural key like sales_lines, so a later snapshot of a day replaces it.
    op.create_table(
        "stock_snapshots",
        sa.Column("organization_id", UUID(as_uuid=True), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("store", sa.Text(), nullable=False),
        sa.Column("sku", sa.Text(), nullable=False),
        # NULL when the file gave only an in_stock flag; otherwise in_stock is on_hand > 0.
        sa.Column("on_hand", sa.Double(), nullable=True),
        sa.Column("in_stock", sa.Boolean(), nullable=False),
        sa.Column("job_id", UUID(as_uuid=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("organization_id", "store", "sku", "date", name=op.f("pk_stock_snapshots")),
    )
    op.create_table(
        "stockouts",
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("organization_id", UUID(as_uuid=True), nullable=False),
        sa.Column("store", sa.Text(), nullable=False),
        sa.Column("sku", sa.Text(), nullable=False),
        sa.Column("start", sa.Date(), nullable=False),
        sa.Column("end", sa.Date(), nullable=False),
        # 'stock': seen in the stock history; 'inferred': a zero-sales run the item's demand makes improbable.
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("probability", sa.Double(), nullable=False),
        sa.Column("sales", sa.Double(), nullable=False),
        sa.Column("estimated_demand", sa.Double(), nullable=False),
        sa.Column("lost_units", sa.Double(), nullable=False),
        sa.Column("lost_revenue", sa.Double(), nullable=False),
        sa.Column("lost_margin", sa.Double(), nullable=True),
        sa.Column("corrected", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.CheckConstraint("source IN ('stock', 'inferred')", name=op.f("ck_stockouts_source")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stockouts")),
    )
    op.create_index("ix_stockouts_org_item_start", "stockouts", ["organization_id", "store", "sku", "start"])
    # NULL for stock given before this revision: then a snapshot of the item counts as later.
    op.add_column("products", sa.Column("on_hand_updated_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column("products", "on_hand_updated_at")
    op.drop_index("ix_stockouts_org_item_start", table_name="stockouts")
    op.drop_table("stockouts")
    op.drop_table("stock_snapshots")
