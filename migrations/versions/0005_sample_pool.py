"""sample pool: the dot charts' random sample, stored apart in sample order

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 01:37:33.785679
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The pool size the analysis used when this revision was written (db.queries.SAMPLE_POOL).
POOL = 30_000
COLUMNS = (
    "run_id, sample_rank, customer_id, gender, country, plan, segment, rfm_segment, "
    "discount_target, cluster, watch_time_hours, days_since_last_login"
)


def upgrade() -> None:
    op.create_table(
        "sample_pool",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("sample_rank", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.String(length=200), nullable=False),
        sa.Column("gender", sa.String(length=10), nullable=False),
        sa.Column("country", sa.String(length=200), nullable=True),
        sa.Column("plan", sa.String(length=200), nullable=True),
        sa.Column("segment", sa.String(length=20), nullable=False),
        sa.Column("rfm_segment", sa.String(length=30), nullable=False),
        sa.Column("discount_target", sa.Boolean(), nullable=False),
        sa.Column("cluster", sa.Integer(), nullable=False),
        sa.Column("watch_time_hours", sa.Float(), nullable=False),
        sa.Column("days_since_last_login", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["analysis_runs.id"],
            name=op.f("fk_sample_pool_run_id_analysis_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("run_id", "sample_rank", name=op.f("pk_sample_pool")),
    )
    # Runs analysed before this revision keep their charts: copy their pools across.
    op.execute(
        f"INSERT INTO sample_pool ({COLUMNS}) SELECT {COLUMNS} FROM customer_results "
        f"WHERE sample_rank < {POOL} ORDER BY run_id, sample_rank"
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ANALYZE sample_pool")  # so the planner reads the pool in key order
    with op.batch_alter_table("customer_results", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_customer_results_run_sample_rank"))


def downgrade() -> None:
    with op.batch_alter_table("customer_results", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_customer_results_run_sample_rank"),
            ["run_id", "sample_rank"],
            unique=False,
        )
    op.drop_table("sample_pool")
