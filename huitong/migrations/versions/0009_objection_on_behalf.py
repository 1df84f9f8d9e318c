"""quality: an objection raised on someone's behalf (代居民提出): staff answering a citizen's
"who used my data" question raise it for the citizen

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-08 00:15:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("objection") as batch:
        batch.add_column(sa.Column("on_behalf", sa.String(16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("objection") as batch:
        batch.drop_column("on_behalf")
