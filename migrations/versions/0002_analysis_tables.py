"""analysis tables

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21 23:19:31.667619
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Frozen copy of the default strategies as they were when this revision was written;
# later changes to the defaults need a revision of their own.
SEED_STRATEGIES = [
    {
        "segment_kind": "rule",
        "segment": "Loyal",
        "headline": "Thanks for watching with us",
        "message": "Our most engaged viewers. No discount needed: reward them with early access to "
        "new seasons and ask them to bring a friend.",
        "channel": "in-app",
        "offer": "48-hour early access to premieres + 1 free month per referred friend",
    },
    {
        "segment_kind": "rule",
        "segment": "Casual",
        "headline": "Your next favourite is waiting",
        "message": "Active but light viewers. Send a weekly digest of new arrivals in the genres "
        "they already watch to turn occasional evenings into a habit.",
        "channel": "email",
        "offer": "Weekly personalised picks (no discount)",
    },
    {
        "segment_kind": "rule",
        "segment": "Dormant",
        "headline": "We miss you: 15 % off your next 3 months",
        "message": "They watched well but have not logged in for 61-120 days. Lead with what is new "
        "since their last visit; 15 % off for medium watchers, 10 % for high watchers, "
        "who need less of a nudge.",
        "channel": "email",
        "offer": "15 % off the next 3 months (10 % for high watchers)",
    },
    {
        "segment_kind": "rule",
        "segment": "Risky",
        "headline": "Still with us? 20 % off your next 3 months",
        "message": "Low watch time or more than 120 days away. Medium watchers get our strongest "
        "offer, 20 % off; low watchers get a short 'best of the month' guide instead, "
        "since a discount rarely wins back someone who barely watched.",
        "channel": "email + push",
        "offer": "20 % off the next 3 months (medium watchers only)",
    },
    {
        "segment_kind": "rfm",
        "segment": "Champions",
        "headline": "You are one of our top viewers",
        "message": "Recent, frequent and heavy viewers. Make them feel like insiders: early access, "
        "behind-the-scenes content and a say in what we add next.",
        "channel": "in-app",
        "offer": "Early access to premieres + invitation to the viewer panel",
    },
    {
        "segment_kind": "rfm",
        "segment": "Potential Loyalists",
        "headline": "Make every week a watch week",
        "message": "Recent viewers with middling frequency and watch time. Recommend full series "
        "they are likely to finish and suggest the annual plan.",
        "channel": "email",
        "offer": "Annual plan: 12 months for the price of 10",
    },
    {
        "segment_kind": "rfm",
        "segment": "New Viewers",
        "headline": "Welcome! Here is where to start",
        "message": "Recent but light viewers, often new sign-ups. A three-email onboarding series "
        "with a curated starter list and how to set up profiles and downloads.",
        "channel": "email",
        "offer": "Curated starter list (no discount)",
    },
    {
        "segment_kind": "rfm",
        "segment": "Needs Attention",
        "headline": "New this week in your favourite genres",
        "message": "Their last visit is neither recent nor long ago. Remind them of the show they "
        "left half-watched and what has arrived since.",
        "channel": "push",
        "offer": "'Continue watching' reminder (no discount)",
    },
    {
        "segment_kind": "rfm",
        "segment": "At Risk",
        "headline": "Your shows are back with new episodes",
        "message": "Heavy viewers who have not been back for a while: the most valuable customers "
        "to win back. Personal picks plus the win-back discount (10 %-20 % off 3 months, "
        "by rule segment).",
        "channel": "email + push",
        "offer": "10 %-20 % off the next 3 months (win-back table)",
    },
    {
        "segment_kind": "rfm",
        "segment": "Hibernating",
        "headline": "A lot has changed since your last visit",
        "message": "Moderate viewers gone quiet. One highlights email of the biggest releases since "
        "they left; the win-back discount applies where their rule segment qualifies.",
        "channel": "email",
        "offer": "Highlights email; up to 20 % off 3 months if eligible",
    },
    {
        "segment_kind": "rfm",
        "segment": "Lost",
        "headline": "The best of the year, in one place",
        "message": "Light viewers who left long ago. One last low-cost email, then stop mailing "
        "them to protect sender reputation; no discount.",
        "channel": "email",
        "offer": "Year-in-review list (no discount), then suppress",
    },
]


def upgrade() -> None:
    # ### commands auto generated by Alembic - please adjust! ###
    op.create_table(
        "messaging_strategies",
        sa.Column("segment_kind", sa.String(length=10), nullable=False),
        sa.Column("segment", sa.String(length=30), nullable=False),
        sa.Column("headline", sa.String(length=200), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("channel", sa.String(length=50), nullable=False),
        sa.Column("offer", sa.String(length=200), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_by", sa.String(length=100), nullable=True),
        sa.PrimaryKeyConstraint("segment_kind", "segment", name=op.f("pk_messaging_strategies")),
    )
    op.create_table(
        "analysis_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dataset_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("parameters", sa.JSON(), nullable=False),
        sa.Column("thresholds", sa.JSON(), nullable=False),
        sa.Column("as_of_date", sa.Date(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("customer_count", sa.Integer(), nullable=False),
        sa.Column("target_count", sa.Integer(), nullable=False),
        sa.Column("k_used", sa.Integer(), nullable=False),
        sa.Column("adjusted_rand_index", sa.Float(), nullable=True),
        sa.Column("silhouette", sa.Float(), nullable=True),
        sa.Column("frequency_available", sa.Boolean(), nullable=False),
        sa.Column("revenue_available", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dataset_id"],
            ["datasets.id"],
            name=op.f("fk_analysis_runs_dataset_id_datasets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analysis_runs")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("analysis_runs", schema=None) as batch_op:
        batch_op.create_index(
            "ix_analysis_runs_dataset_status", ["dataset_id", "status"], unique=False
        )

    op.create_table(
        "cluster_agreement",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("cluster", sa.Integer(), nullable=False),
        sa.Column("segment", sa.String(length=20), nullable=False),
        sa.Column("customers", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["analysis_runs.id"],
            name=op.f("fk_cluster_agreement_run_id_analysis_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("run_id", "cluster", "segment", name=op.f("pk_cluster_agreement")),
    )
    op.create_table(
        "cluster_centroids",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("cluster", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("watch_time_hours", sa.Float(), nullable=False),
        sa.Column("days_since_last_login", sa.Float(), nullable=False),
        sa.Column("customers", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["analysis_runs.id"],
            name=op.f("fk_cluster_centroids_run_id_analysis_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("run_id", "cluster", name=op.f("pk_cluster_centroids")),
    )
    op.create_table(
        "cluster_sweep",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("k", sa.Integer(), nullable=False),
        sa.Column("inertia", sa.Float(), nullable=False),
        sa.Column("silhouette", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["analysis_runs.id"],
            name=op.f("fk_cluster_sweep_run_id_analysis_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("run_id", "k", name=op.f("pk_cluster_sweep")),
    )
    op.create_table(
        "customer_results",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.String(length=200), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=True),
        sa.Column("gender", sa.String(length=10), nullable=False),
        sa.Column("age", sa.Integer(), nullable=True),
        sa.Column("country", sa.String(length=200), nullable=True),
        sa.Column("plan", sa.String(length=200), nullable=True),
        sa.Column("last_login", sa.Date(), nullable=False),
        sa.Column("days_since_last_login", sa.Integer(), nullable=False),
        sa.Column("watch_time_hours", sa.Float(), nullable=False),
        sa.Column("visit_frequency", sa.Float(), nullable=True),
        sa.Column("monthly_revenue", sa.Float(), nullable=True),
        sa.Column("engagement_level", sa.String(length=10), nullable=False),
        sa.Column("segment", sa.String(length=20), nullable=False),
        sa.Column("r_score", sa.Integer(), nullable=False),
        sa.Column("f_score", sa.Integer(), nullable=False),
        sa.Column("m_score", sa.Integer(), nullable=False),
        sa.Column("fm_score", sa.Integer(), nullable=False),
        sa.Column("rfm_segment", sa.String(length=30), nullable=False),
        sa.Column("cluster", sa.Integer(), nullable=False),
        sa.Column("cluster_name", sa.String(length=100), nullable=False),
        sa.Column("discount_target", sa.Boolean(), nullable=False),
        sa.Column("target_reason", sa.String(length=50), nullable=True),
        sa.Column("discount_pct", sa.Float(), nullable=True),
        sa.Column("control_group", sa.Boolean(), nullable=False),
        sa.Column("sample_rank", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["analysis_runs.id"],
            name=op.f("fk_customer_results_run_id_analysis_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_results")),
    )
    with op.batch_alter_table("customer_results", schema=None) as batch_op:
        batch_op.create_index("ix_customer_results_run_row", ["run_id", "id"], unique=False)
        batch_op.create_index(
            "ix_customer_results_run_customer", ["run_id", "customer_id"], unique=False
        )
        batch_op.create_index(
            "ix_customer_results_run_sample_rank", ["run_id", "sample_rank"], unique=False
        )

    op.create_table(
        "filter_cube",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("gender", sa.String(length=10), nullable=False),
        sa.Column("country", sa.String(length=200), nullable=True),
        sa.Column("plan", sa.String(length=200), nullable=True),
        sa.Column("segment", sa.String(length=20), nullable=False),
        sa.Column("engagement_level", sa.String(length=10), nullable=False),
        sa.Column("rfm_segment", sa.String(length=30), nullable=False),
        sa.Column("r_score", sa.Integer(), nullable=False),
        sa.Column("fm_score", sa.Integer(), nullable=False),
        sa.Column("cluster", sa.Integer(), nullable=False),
        sa.Column("discount_target", sa.Boolean(), nullable=False),
        sa.Column("control_group", sa.Boolean(), nullable=False),
        sa.Column("discount_pct", sa.Float(), nullable=True),
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
            name=op.f("fk_filter_cube_run_id_analysis_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_filter_cube")),
    )
    with op.batch_alter_table("filter_cube", schema=None) as batch_op:
        batch_op.create_index("ix_filter_cube_run", ["run_id"], unique=False)

    op.create_table(
        "segment_summaries",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("segment", sa.String(length=30), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("customers", sa.Integer(), nullable=False),
        sa.Column("share", sa.Float(), nullable=False),
        sa.Column("avg_days_since_last_login", sa.Float(), nullable=True),
        sa.Column("avg_visit_frequency", sa.Float(), nullable=True),
        sa.Column("avg_watch_time_hours", sa.Float(), nullable=True),
        sa.Column("avg_monthly_revenue", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["analysis_runs.id"],
            name=op.f("fk_segment_summaries_run_id_analysis_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("run_id", "kind", "segment", name=op.f("pk_segment_summaries")),
    )
    # ### end Alembic commands ###
    strategies = sa.table(
        "messaging_strategies",
        sa.column("segment_kind", sa.String),
        sa.column("segment", sa.String),
        sa.column("headline", sa.String),
        sa.column("message", sa.String),
        sa.column("channel", sa.String),
        sa.column("offer", sa.String),
    )
    op.bulk_insert(strategies, SEED_STRATEGIES)


def downgrade() -> None:
    # ### commands auto generated by Alembic - please adjust! ###
    op.drop_table("segment_summaries")
    with op.batch_alter_table("filter_cube", schema=None) as batch_op:
        batch_op.drop_index("ix_filter_cube_run")

    op.drop_table("filter_cube")
    with op.batch_alter_table("customer_results", schema=None) as batch_op:
        batch_op.drop_index("ix_customer_results_run_sample_rank")
        batch_op.drop_index("ix_customer_results_run_customer")
        batch_op.drop_index("ix_customer_results_run_row")

    op.drop_table("customer_results")
    op.drop_table("cluster_sweep")
    op.drop_table("cluster_centroids")
    op.drop_table("cluster_agreement")
    with op.batch_alter_table("analysis_runs", schema=None) as batch_op:
        batch_op.drop_index("ix_analysis_runs_dataset_status")

    op.drop_table("analysis_runs")
    op.drop_table("messaging_strategies")
    # ### end Alembic commands ###
