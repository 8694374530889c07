"""view_cube: the filter cube summed over the filter bar's dimensions

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 19:00:00

The views' common queries (counts and averages by segment under the filters) read this
smaller cube. Runs analysed before this revision get theirs from their filter cube here, so
every complete run has one.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DIMENSIONS = "run_id, gender, country, plan, segment, rfm_segment, discount_target, control_group"
MEASURES = (
    "customers",
    "watch_time_hours_sum",
    "days_since_last_login_sum",
    "visit_frequency_sum",
    "visit_frequency_count",
    "monthly_revenue_sum",
    "monthly_revenue_count",
)


def upgrade() -> None:
    op.create_table(
        "view_cube",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("gender", sa.String(10), nullable=False),
        sa.Column("country", sa.String(200), nullable=True),
        sa.Column("plan", sa.String(200), nullable=True),
        sa.Column("segment", sa.String(20), nullable=False),
        sa.Column("rfm_segment", sa.String(30), nullable=False),
        sa.Column("discount_target", sa.Boolean(), nullable=False),
        sa.Column("control_group", sa.Boolean(), nullable=False),
        sa.Column("customers", sa.Integer(), nullable=False),
        sa.Column("watch_time_hours_sum", sa.Float(), nullable=False),
        sa.Column("days_since_last_login_sum", sa.Float(), nullable=False),
        sa.Column("visit_frequency_sum", sa.Float(), nullable=False),
        sa.Column("visit_frequency_count", sa.Integer(), nullable=False),
        sa.Column("monthly_revenue_sum", sa.Float(), nullable=False),
        sa.Column("monthly_revenue_count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["analysis_runs.id"],
            name=op.f("fk_view_cube_run_id_analysis_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_view_cube")),
    )
    op.create_index("ix_view_cube_run", "view_cube", ["run_id"])
    sums = ", ".join(f"SUM({name})" for name in MEASURES)
    op.execute(
        f"INSERT INTO view_cube ({DIMENSIONS}, {', '.join(MEASURES)}) "
        f"SELECT {DIMENSIONS}, {sums} FROM filter_cube GROUP BY {DIMENSIONS}"
    )


def downgrade() -> None:
    op.drop_index("ix_view_cube_run", table_name="view_cube")
    op.drop_table("view_cube")
