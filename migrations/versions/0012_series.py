"""series of snapshots: membership, churn labels and segment transitions

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 08:05:00

A series is one customer base exported repeatedly; each of its data sets is a snapshot at
its as-of date (two snapshots of one series never share one). Churn labels say what became
of a snapshot's customers by the next snapshot; segment transitions count customers per
(previous segments, current segments, filter values) between the analyses of two
consecutive snapshots, so the migration views read a small table.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "series",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_series")),
        sa.UniqueConstraint("name", name=op.f("uq_series_name")),
    )
    op.create_table(
        "series_members",
        sa.Column("dataset_id", sa.Integer(), nullable=False),
        sa.Column("series_id", sa.Integer(), nullable=False),
        sa.Column("as_of_date", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dataset_id"],
            ["datasets.id"],
            name=op.f("fk_series_members_dataset_id_datasets"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["series_id"],
            ["series.id"],
            name=op.f("fk_series_members_series_id_series"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("dataset_id", name=op.f("pk_series_members")),
        sa.UniqueConstraint("series_id", "as_of_date", name=op.f("uq_series_members_series_id")),
    )
    op.create_table(
        "churn_labels",
        sa.Column("dataset_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.String(200), nullable=False),
        sa.Column("next_dataset_id", sa.Integer(), nullable=False),
        sa.Column("churned", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dataset_id"],
            ["datasets.id"],
            name=op.f("fk_churn_labels_dataset_id_datasets"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["next_dataset_id"],
            ["datasets.id"],
            name=op.f("fk_churn_labels_next_dataset_id_datasets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("dataset_id", "customer_id", name=op.f("pk_churn_labels")),
    )
    op.create_index("ix_churn_labels_next_dataset", "churn_labels", ["next_dataset_id"])
    op.create_table(
        "segment_transitions",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("previous_run_id", sa.Integer(), nullable=False),
        sa.Column("current_run_id", sa.Integer(), nullable=False),
        sa.Column("previous_segment", sa.String(20), nullable=False),
        sa.Column("current_segment", sa.String(20), nullable=False),
        sa.Column("previous_rfm_segment", sa.String(30), nullable=False),
        sa.Column("current_rfm_segment", sa.String(30), nullable=False),
        sa.Column("gender", sa.String(10), nullable=False),
        sa.Column("country", sa.String(200), nullable=True),
        sa.Column("plan", sa.String(200), nullable=True),
        sa.Column("churned", sa.Boolean(), nullable=False),
        sa.Column("customers", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["previous_run_id"],
            ["analysis_runs.id"],
            name=op.f("fk_segment_transitions_previous_run_id_analysis_runs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["current_run_id"],
            ["analysis_runs.id"],
            name=op.f("fk_segment_transitions_current_run_id_analysis_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_segment_transitions")),
    )
    op.create_index(
        "ix_segment_transitions_runs",
        "segment_transitions",
        ["current_run_id", "previous_run_id"],
    )


def downgrade() -> None:
    op.drop_index("ix_segment_transitions_runs", table_name="segment_transitions")
    op.drop_table("segment_transitions")
    op.drop_index("ix_churn_labels_next_dataset", table_name="churn_labels")
    op.drop_table("churn_labels")
    op.drop_table("series_members")
    op.drop_table("series")
