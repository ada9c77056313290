"""inventory calibration: the protection windows each inventory run planned for, and their outcome

Revision ID: 0007
Revises: 0005
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "inventory_protection_windows",
        sa.Column("organization_id", sa.UUID(), nullable=False),
        sa.Column("store", sa.String(length=200), nullable=False),
        sa.Column("sku", sa.String(length=200), nullable=False),
        sa.Column("origin_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("period_days", sa.Double(), nullable=False),
        sa.Column("window_periods", sa.Double(), nullable=False),
        sa.Column("service_level", sa.Double(), nullable=False),
        sa.Column("expected_protection_demand", sa.Double(), nullable=False),
        sa.Column("protection_quantile", sa.Double(), nullable=False),
        sa.Column("actual_protection_demand", sa.Double(), nullable=True),
        sa.Column("job_id", sa.UUID(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_inventory_protection_windows_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "organization_id", "store", "sku", "origin_date", name=op.f("pk_inventory_protection_windows")
        ),
    )


def downgrade() -> None:
    op.drop_table("inventory_protection_windows")
