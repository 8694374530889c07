"""campaigns: frozen discount target lists and their baseline values

A campaign survives re-analysis and deletion of its baseline data set: the foreign key to
``datasets`` is ON DELETE SET NULL and every value a measurement needs is copied.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21 23:27:28.093536
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "campaigns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("dataset_id", sa.Integer(), nullable=True),
        sa.Column("dataset_name", sa.String(length=200), nullable=False),
        sa.Column("source_run_id", sa.Integer(), nullable=False),
        sa.Column("baseline_as_of", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=True),
        sa.Column("campaign_seed", sa.String(length=200), nullable=False),
        sa.Column("control_share", sa.Float(), nullable=False),
        sa.Column("discount_table", sa.JSON(), nullable=False),
        sa.Column("member_count", sa.Integer(), nullable=False),
        sa.Column("control_count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dataset_id"],
            ["datasets.id"],
            name=op.f("fk_campaigns_dataset_id_datasets"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaigns")),
        sa.UniqueConstraint("name", name=op.f("uq_campaigns_name")),
    )
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_campaigns_dataset_id"), ["dataset_id"], unique=False)

    op.create_table(
        "campaign_members",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.String(length=200), nullable=False),
        sa.Column("gender", sa.String(length=10), nullable=False),
        sa.Column("country", sa.String(length=200), nullable=True),
        sa.Column("plan", sa.String(length=200), nullable=True),
        sa.Column("segment", sa.String(length=20), nullable=False),
        sa.Column("rfm_segment", sa.String(length=30), nullable=False),
        sa.Column("engagement_level", sa.String(length=10), nullable=False),
        sa.Column("last_login", sa.Date(), nullable=False),
        sa.Column("days_since_last_login", sa.Integer(), nullable=False),
        sa.Column("watch_time_hours", sa.Float(), nullable=False),
        sa.Column("visit_frequency", sa.Float(), nullable=True),
        sa.Column("monthly_revenue", sa.Float(), nullable=True),
        sa.Column("target_reason", sa.String(length=50), nullable=False),
        sa.Column("discount_pct", sa.Float(), nullable=False),
        sa.Column("control_group", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_campaign_members_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_members")),
        sa.UniqueConstraint(
            "campaign_id", "customer_id", name="uq_campaign_members_campaign_customer"
        ),
    )


def downgrade() -> None:
    op.drop_table("campaign_members")
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_campaigns_dataset_id"))

    op.drop_table("campaigns")
