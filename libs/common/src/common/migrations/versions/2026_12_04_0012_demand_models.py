"""the fitted demand model per forecasting chunk, its demand curves for pricing, each point's drivers

Revision ID: 0012
Revises: 0010
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, UUID

revision: str = "0012"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DRIVERS = ("base", "seasonality", "price", "promotion", "events", "substitutes")


def upgrade() -> None:
    op.create_table(
        "demand_models",
        sa.Column("organization_id", UUID(as_uuid=True), nullable=False),
        sa.Column("chunk", sa.Text(), nullable=False),
        sa.Column("stores", ARRAY(sa.Text()), nullable=False),
        sa.Column("job_id", UUID(as_uuid=True), nullable=True),
        sa.Column("model", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("organization_id", "chunk"),
    )
    op.create_table(
        "demand_curves",
        sa.Column("organization_id", UUID(as_uuid=True), nullable=False),
        sa.Column("store", sa.String(length=200), nullable=False),
        sa.Column("sku", sa.String(length=200), nullable=False),
        sa.Column("prices", ARRAY(sa.Double()), nullable=False),
        sa.Column("weekly_units", ARRAY(sa.Double()), nullable=False),
        sa.Column("job_id", UUID(as_uuid=True), nullable=True),
        sa.PrimaryKeyConstraint("organization_id", "store", "sku"),
    )
    # Forecasts written before this revision have no drivers: NULL, and the API omits them.
    for name in DRIVERS:
        op.add_column("predictions", sa.Column(f"driver_{name}", sa.Double(), nullable=True))


def downgrade() -> None:
    for name in DRIVERS:
        op.drop_column("predictions", f"driver_{name}")
    op.drop_table("demand_curves")
    op.drop_table("demand_models")
