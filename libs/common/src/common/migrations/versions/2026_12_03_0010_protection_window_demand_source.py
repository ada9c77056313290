"""protection windows record where their demand distribution came from (forecast or history)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Windows planned before this revision all came from the forecast.
    op.add_column(
        "inventory_protection_windows",
        sa.Column("demand_source", sa.String(length=16), nullable=False, server_default="forecast"),
    )


def downgrade() -> None:
    op.drop_column("inventory_protection_windows", "demand_source")
