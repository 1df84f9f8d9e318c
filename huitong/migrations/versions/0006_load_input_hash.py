"""aggregation: each load keeps a digest of its input, so an identical re-send is recognised unread

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 19:45:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("agg_load", sa.Column("input_hash", sa.String(64), nullable=True))


def downgrade() -> None:
    op.drop_column("agg_load", "input_hash")  # plain DROP COLUMN: no rebuild, no cascade (see 0005)
