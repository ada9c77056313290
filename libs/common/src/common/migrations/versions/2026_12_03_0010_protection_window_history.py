"""protection windows also record what the item's own history said, and its demand class

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


COLUMNS: tuple[sa.Column[object], ...] = (
    sa.Column("history_expected_demand", sa.Double(), nullable=True),
    sa.Column("history_quantile", sa.Double(), nullable=True),
    sa.Column("demand_class", sa.String(length=16), nullable=True),
)


def upgrade() -> None:
    # Windows planned before this revision have no history figures: NULL, as for items without one.
    for column in COLUMNS:
        op.add_column("inventory_protection_windows", column)


def downgrade() -> None:
    for column in COLUMNS:
        op.drop_column("inventory_protection_windows", column.name)
