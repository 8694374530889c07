"""customer_results indexed by run and country, run and plan

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 14:40:00

The filter cube keeps the 50 most frequent countries and plans apart and groups the rest;
a filter on a grouped value reads the customer rows of its run through these indexes.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_customer_results_run_country", "customer_results", ["run_id", "country"])
    op.create_index("ix_customer_results_run_plan", "customer_results", ["run_id", "plan"])


def downgrade() -> None:
    op.drop_index("ix_customer_results_run_plan", table_name="customer_results")
    op.drop_index("ix_customer_results_run_country", table_name="customer_results")
