"""scenarios: what-if plans of prices and promotions, their items and demand points

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FIGURES = ("units", "revenue", "gross_margin", "order_quantity", "stockout_risk")


def upgrade() -> None:
    op.create_table(
        "scenarios",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("organization_id", sa.UUID(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=20), server_default="queued", nullable=False),
        sa.Column("progress", sa.Double(), server_default="0", nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("changes", JSONB(), server_default="[]", nullable=False),
        sa.Column("from_pricing_suggestions", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("horizon_start", sa.Date(), nullable=False),
        sa.Column("horizon_end", sa.Date(), nullable=False),
        sa.Column("totals", JSONB(), nullable=True),
        sa.Column("assumptions", JSONB(), server_default="[]", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_scenarios_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scenarios")),
    )
    op.create_index("ix_scenarios_org_created", "scenarios", ["organization_id", "created_at"])
    figures: list[sa.Column[float]] = [
        sa.Column(f"{side}_{name}", sa.Double(), nullable=True)
        for side in ("baseline", "scenario")
        for name in FIGURES
    ]
    op.create_table(
        "scenario_items",
        sa.Column("scenario_id", sa.UUID(), nullable=False),
        sa.Column("store", sa.String(length=200), nullable=False),
        sa.Column("sku", sa.String(length=200), nullable=False),
        sa.Column("category", sa.String(length=300), nullable=True),
        # 0: changed by the scenario, 1: affected through a substitute; items are listed in this order.
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("frequency", sa.String(length=2), nullable=True),
        sa.Column("wape", sa.Double(), nullable=True),
        sa.Column("unit_cost", sa.Double(), nullable=True),
        sa.Column("unit_cost_assumed", sa.Boolean(), server_default="false", nullable=False),
        *figures,
        sa.ForeignKeyConstraint(
            ["scenario_id"],
            ["scenarios.id"],
            name=op.f("fk_scenario_items_scenario_id_scenarios"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("scenario_id", "store", "sku", name=op.f("pk_scenario_items")),
    )
    op.create_table(
        "scenario_points",
        sa.Column("scenario_id", sa.UUID(), nullable=False),
        sa.Column("store", sa.String(length=200), nullable=False),
        sa.Column("sku", sa.String(length=200), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("p10", sa.Double(), nullable=False),
        sa.Column("p50", sa.Double(), nullable=False),
        sa.Column("p90", sa.Double(), nullable=False),
        sa.Column("baseline_p10", sa.Double(), nullable=False),
        sa.Column("baseline_p50", sa.Double(), nullable=False),
        sa.Column("baseline_p90", sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(
            ["scenario_id"],
            ["scenarios.id"],
            name=op.f("fk_scenario_points_scenario_id_scenarios"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("scenario_id", "store", "sku", "date", name=op.f("pk_scenario_points")),
    )
    # The plan cells the scenario changed, as adopting it writes them into plan_lines.
    op.create_table(
        "scenario_plan",
        sa.Column("scenario_id", sa.UUID(), nullable=False),
        sa.Column("store", sa.String(length=200), nullable=False),
        sa.Column("sku", sa.String(length=200), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("unit_price", sa.Double(), nullable=True),
        sa.Column("promotion", sa.Double(), nullable=True),
        sa.ForeignKeyConstraint(
            ["scenario_id"],
            ["scenarios.id"],
            name=op.f("fk_scenario_plan_scenario_id_scenarios"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("scenario_id", "store", "sku", "date", name=op.f("pk_scenario_plan")),
    )


def downgrade() -> None:
    op.drop_table("scenario_plan")
    op.drop_table("scenario_points")
    op.drop_table("scenario_items")
    op.drop_index("ix_scenarios_org_created", table_name="scenarios")
    op.drop_table("scenarios")
