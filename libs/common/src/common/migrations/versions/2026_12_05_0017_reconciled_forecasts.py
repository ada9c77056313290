"""reconciled forecasts: each level's coherent forecast, the items' base forecasts and backtest windows

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BASE = ("base_p10", "base_p50", "base_p90")


def upgrade() -> None:
    # The engine's own item forecast once reconciliation has rewritten p10/p50/p90; NULL until then
    # (p10/p50/p90 are then the engine's).
    for name in BASE:
        op.add_column("predictions", sa.Column(name, sa.Double(), nullable=True))
    op.create_table(
        "forecast_backtests",
        sa.Column("organization_id", UUID(as_uuid=True), nullable=False),
        sa.Column("store", sa.String(length=200), nullable=False),
        sa.Column("sku", sa.String(length=200), nullable=False),
        sa.Column("window_index", sa.SmallInteger(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("forecast", sa.Double(), nullable=False),
        sa.Column("actual", sa.Double(), nullable=True),
        sa.PrimaryKeyConstraint("organization_id", "store", "sku", "window_index", "date"),
    )
    op.create_table(
        "level_forecasts",
        sa.Column("organization_id", UUID(as_uuid=True), nullable=False),
        sa.Column("level", sa.String(length=20), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("store", sa.String(length=200), nullable=True),
        sa.Column("category", sa.Text(), nullable=True),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("p10", sa.Double(), nullable=False),
        sa.Column("p50", sa.Double(), nullable=False),
        sa.Column("p90", sa.Double(), nullable=False),
        sa.Column("base_p50", sa.Double(), nullable=False),
        sa.Column("model", sa.Text(), nullable=False),
        sa.Column("method", sa.Text(), nullable=False),
        sa.Column("job_id", UUID(as_uuid=True), nullable=True),
        sa.Column("computed_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("organization_id", "level", "key", "date"),
    )


def downgrade() -> None:
    op.drop_table("level_forecasts")
    op.drop_table("forecast_backtests")
    for name in BASE:
        op.drop_column("predictions", name)
