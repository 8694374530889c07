"""cohort counts per snapshot

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 13:10:00

Cohort retention was computed on every view from all customers of a series (7.9 s at two
snapshots of a million). Each snapshot's counts per join month are now written when it is
linked into its series, and the page sums a few hundred rows.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "cohort_counts",
        sa.Column("dataset_id", sa.Integer(), nullable=False),
        sa.Column("join_month", sa.String(7), nullable=False),
        sa.Column("present", sa.Integer(), nullable=False),
        sa.Column("active", sa.Integer(), nullable=False),
        sa.Column("arrived", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dataset_id"],
            ["datasets.id"],
            name=op.f("fk_cohort_counts_dataset_id_datasets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("dataset_id", "join_month", name=op.f("pk_cohort_counts")),
    )


def downgrade() -> None:
    op.drop_table("cohort_counts")
