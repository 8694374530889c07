"""dataset currency: the currency a file's revenue was written in

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 06:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Plain ALTER TABLE on both backends (SQLite 3.35+ drops columns in place): a batch "move and
# copy" would drop and recreate ``datasets``, and its ON DELETE CASCADE would empty every
# table that hangs off it.


def upgrade() -> None:
    op.add_column("datasets", sa.Column("currency", sa.String(length=8), nullable=True))


def downgrade() -> None:
    op.drop_column("datasets", "currency")
