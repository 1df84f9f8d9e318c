"""aggregation: each load keeps the schema contract it ran under and what it found

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06 12:45:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("agg_load") as batch:
        batch.add_column(sa.Column("notes", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("agg_load") as batch:
        batch.drop_column("notes")
