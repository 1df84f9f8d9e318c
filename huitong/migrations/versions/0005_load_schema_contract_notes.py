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
    op.add_column("agg_load", sa.Column("notes", sa.JSON(), nullable=True))


def downgrade() -> None:
    # a plain DROP COLUMN (SQLite 3.35+): a batch rebuild would drop agg_load and, with foreign
    # keys on, cascade-delete every rejected row
    op.drop_column("agg_load", "notes")
