"""sales_lines bulk load: drop the (organization, customer) index no query uses

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Every read of sales_lines (common.sales, segmentation) takes an organization's rows whole,
    # which the natural key's index (organization first) serves; the customer index was ~40% of
    # the merge's index upkeep, filled in random order, and answered no query.
    op.drop_index("ix_sales_lines_org_customer", table_name="sales_lines")


def downgrade() -> None:
    op.create_index("ix_sales_lines_org_customer", "sales_lines", ["organization_id", "customer_id"])
