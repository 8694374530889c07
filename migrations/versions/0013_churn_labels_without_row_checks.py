"""churn labels without per-row foreign-key checks

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 13:30:00

Writing a million churn labels spent 4.8 s of 11.5 s on PostgreSQL in the two foreign-key
triggers (one look-up of ``datasets`` per row and key) and 1.5 s more in the index on
``next_dataset_id``. Labels are derived rows written in one statement from two data sets
that exist; deleting a data set now deletes its labels (either side) in the same
transaction (``db.queries.delete_dataset``), which is what the cascades did.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_churn_labels_next_dataset", table_name="churn_labels")
    with op.batch_alter_table("churn_labels") as batch:
        batch.drop_constraint("fk_churn_labels_dataset_id_datasets", type_="foreignkey")
        batch.drop_constraint("fk_churn_labels_next_dataset_id_datasets", type_="foreignkey")


def downgrade() -> None:
    with op.batch_alter_table("churn_labels") as batch:
        batch.create_foreign_key(
            "fk_churn_labels_dataset_id_datasets",
            "datasets",
            ["dataset_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch.create_foreign_key(
            "fk_churn_labels_next_dataset_id_datasets",
            "datasets",
            ["next_dataset_id"],
            ["id"],
            ondelete="CASCADE",
        )
    op.create_index("ix_churn_labels_next_dataset", "churn_labels", ["next_dataset_id"])
