"""the demand model's price elasticities beside each demand curve: own with its interval, cross effects

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OWN = ("elasticity", "elasticity_low", "elasticity_high")


def upgrade() -> None:
    # Curves written before this revision have none: NULL, and pricing keeps its regression for them.
    for name in OWN:
        op.add_column("demand_curves", sa.Column(name, sa.Double(), nullable=True))
    op.add_column("demand_curves", sa.Column("cross_effects", JSONB(), nullable=True))


def downgrade() -> None:
    op.drop_column("demand_curves", "cross_effects")
    for name in OWN:
        op.drop_column("demand_curves", name)
