"""sales_lines keyed by its natural key: the surrogate id and its index go

Revision ID: 0009
Revises: 0007
Create Date: 2026-12-03
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Nothing reads or references sales_lines.id; every merge paid for it: a sequence call and an
    # index entry per line. (`make bench-ingest`, 10 million lines, one run each: the first
    # upload's insert took 104.5 s with the id, 91.9 s without, inside the bench's run-to-run noise.)
    # (A constraint's index cannot be handed to another constraint: the key's index is built once
    # more here, a one-off cost of this migration.)
    op.drop_column("sales_lines", "id")
    op.execute(
        "ALTER TABLE sales_lines ADD CONSTRAINT pk_sales_lines "
        "PRIMARY KEY (organization_id, store, sku, date, transaction_id, line_no)"
    )
    op.execute("ALTER TABLE sales_lines DROP CONSTRAINT uq_sales_lines_natural_key")


def downgrade() -> None:
    op.execute("ALTER TABLE sales_lines DROP CONSTRAINT pk_sales_lines")
    op.execute(
        "ALTER TABLE sales_lines ADD CONSTRAINT uq_sales_lines_natural_key "
        "UNIQUE (organization_id, store, sku, date, transaction_id, line_no)"
    )
    op.execute("ALTER TABLE sales_lines ADD COLUMN id bigserial")
    op.execute("ALTER TABLE sales_lines ADD CONSTRAINT pk_sales_lines PRIMARY KEY (id)")
