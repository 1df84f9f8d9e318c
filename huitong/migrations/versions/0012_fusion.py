"""fuse: base libraries (definitions, models, runs), record memberships, merge/split events, review
queue, stewards' decisions, conflicts between sources

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-08 04:30:00
"""

import sqlalchemy as sa
from alembic import op

from huitong.db.base import UTCDateTime

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "fusion",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("code", sa.String(40), nullable=False, unique=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("target_code", sa.String(64), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("threshold", sa.Float(), nullable=False),
        sa.Column("model", sa.JSON(), nullable=True),
        sa.Column("next_seq", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "fusion_run",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("fusion_id", sa.Integer(), sa.ForeignKey("fusion.id"), nullable=False),
        sa.Column("at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("inputs", sa.JSON(), nullable=False),
        sa.Column("stats", sa.JSON(), nullable=False),
        sa.Column("output_snapshot_id", sa.String(24), nullable=True),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("actor_name", sa.String(64), nullable=False),
    )
    op.create_index("ix_fusion_run_fusion", "fusion_run", ["fusion_id", "id"])
    op.create_table(
        "fusion_member",
        sa.Column("fusion_id", sa.Integer(), sa.ForeignKey("fusion.id"), primary_key=True),
        sa.Column("record_key", sa.String(200), primary_key=True),
        sa.Column("base_id", sa.String(20), nullable=False),
        sa.Column("row_hash", sa.String(32), nullable=False),
    )
    op.create_index("ix_fusion_member_base", "fusion_member", ["fusion_id", "base_id"])
    op.create_table(
        "fusion_edge",
        sa.Column("fusion_id", sa.Integer(), sa.ForeignKey("fusion.id"), primary_key=True),
        sa.Column("record_a", sa.String(200), primary_key=True),
        sa.Column("record_b", sa.String(200), primary_key=True),
        sa.Column("probability", sa.Float(), nullable=False),
    )
    op.create_table(
        "fusion_event",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("fusion_id", sa.Integer(), sa.ForeignKey("fusion.id"), nullable=False),
        sa.Column("run_id", sa.Integer(), sa.ForeignKey("fusion_run.id"), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("base_id", sa.String(20), nullable=False),
        sa.Column("others", sa.JSON(), nullable=False),
    )
    op.create_index("ix_fusion_event_fusion", "fusion_event", ["fusion_id", "base_id"])
    op.create_table(
        "fusion_pair",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("fusion_id", sa.Integer(), sa.ForeignKey("fusion.id"), nullable=False),
        sa.Column("run_id", sa.Integer(), sa.ForeignKey("fusion_run.id"), nullable=False),
        sa.Column("record_a", sa.String(200), nullable=False),
        sa.Column("record_b", sa.String(200), nullable=False),
        sa.Column("probability", sa.Float(), nullable=False),
        sa.Column("levels", sa.JSON(), nullable=False),
        sa.UniqueConstraint("fusion_id", "record_a", "record_b"),
    )
    op.create_index("ix_fusion_pair_fusion_id", "fusion_pair", ["fusion_id"])
    op.create_table(
        "fusion_decision",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("fusion_id", sa.Integer(), sa.ForeignKey("fusion.id"), nullable=False),
        sa.Column("record_a", sa.String(200), nullable=False),
        sa.Column("record_b", sa.String(200), nullable=False),
        sa.Column("same", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("decided_by", sa.String(64), nullable=False),
        sa.Column("decided_at", UTCDateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("fusion_id", "record_a", "record_b"),
    )
    op.create_index("ix_fusion_decision_fusion_id", "fusion_decision", ["fusion_id"])
    op.create_table(
        "fusion_conflict",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("fusion_id", sa.Integer(), sa.ForeignKey("fusion.id"), nullable=False),
        sa.Column("run_id", sa.Integer(), sa.ForeignKey("fusion_run.id"), nullable=False),
        sa.Column("base_id", sa.String(20), nullable=False),
        sa.Column("field", sa.String(40), nullable=False),
        sa.Column("chosen", sa.Text(), nullable=True),
        sa.Column("chosen_source", sa.String(64), nullable=True),
        sa.Column("values", sa.JSON(), nullable=False),
    )
    op.create_index("ix_fusion_conflict_base", "fusion_conflict", ["fusion_id", "base_id"])


def downgrade() -> None:
    for table in (
        "fusion_conflict",
        "fusion_decision",
        "fusion_pair",
        "fusion_edge",
        "fusion_event",
        "fusion_member",
        "fusion_run",
        "fusion",
    ):
        op.drop_table(table)
