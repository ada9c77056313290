"""calendars: each store's country, subdivision, city and opening dates; the retailer's own events

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STORE_COLUMNS = ("country", "subdivision", "city")
STORE_DATES = ("opened_on", "closed_on")


def upgrade() -> None:
    # The stores table ingest fills from sales and products (one row per store code) gains what
    # the calendar needs; its key column takes the name every other table gives a store.
    op.alter_column("stores", "code", new_column_name="store")
    for name in STORE_COLUMNS:
        op.add_column("stores", sa.Column(name, sa.Text(), nullable=True))
    for name in STORE_DATES:
        op.add_column("stores", sa.Column(name, sa.Date(), nullable=True))
    op.add_column(
        "stores",
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
    )
    op.create_table(
        "events",
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("organization_id", sa.UUID(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=True),
        sa.Column("start", sa.Date(), nullable=False),
        sa.Column("end", sa.Date(), nullable=False),
        sa.Column("store", sa.Text(), nullable=True),
        sa.Column("category", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint('"end" >= start', name=op.f("ck_events_end_after_start")),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_events_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
    )
    # An event is its name, days, store and category: uploading it again updates it, never doubles it.
    op.create_index(
        "uq_events_natural",
        "events",
        ["organization_id", "name", "start", "end", "store", "category"],
        unique=True,
        postgresql_nulls_not_distinct=True,
    )
    op.create_index("ix_events_org_start", "events", ["organization_id", "start"])


def downgrade() -> None:
    op.drop_index("ix_events_org_start", table_name="events")
    op.drop_index("uq_events_natural", table_name="events")
    op.drop_table("events")
    op.drop_column("stores", "updated_at")
    for name in (*STORE_DATES, *STORE_COLUMNS):
        op.drop_column("stores", name)
    op.alter_column("stores", "store", new_column_name="code")
