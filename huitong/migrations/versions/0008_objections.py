"""quality: objections (异议) with their steps, evidence files and the raisers' notices

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 22:00:00
"""

import sqlalchemy as sa
from alembic import op

from huitong.db.base import UTCDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def _child(name: str, *columns: sa.Column) -> None:
    """A table hanging off one objection (deleted with it), indexed by its objection."""
    op.create_table(
        name,
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "objection_id",
            sa.Integer(),
            sa.ForeignKey("objection.id", ondelete="CASCADE"),
            nullable=False,
        ),
        *columns,
    )
    op.create_index(f"ix_{name}_objection_id", name, ["objection_id"])


def upgrade() -> None:
    op.create_table(
        "objection",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("resource_code", sa.String(64), nullable=False),
        sa.Column("scope", sa.String(8), nullable=False),
        sa.Column("key", sa.JSON(), nullable=True),
        sa.Column("item", sa.String(100), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("raiser_id", sa.Integer(), sa.ForeignKey("app_user.id"), nullable=True),
        sa.Column("raiser_name", sa.String(64), nullable=False),
        sa.Column("raiser_department_id", sa.Integer(), sa.ForeignKey("department.id"), nullable=True),
        sa.Column("holder_department_id", sa.Integer(), sa.ForeignKey("department.id"), nullable=False),
        sa.Column("snapshot_id", sa.String(32), nullable=True),
        sa.Column("load_id", sa.Integer(), nullable=True),
        sa.Column("also_routed_to", sa.JSON(), nullable=False),
        sa.Column("correction", sa.String(32), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("due_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("due_party", sa.String(8), nullable=True),
        sa.Column("due_provisional", sa.Boolean(), nullable=False),
        sa.Column("forwarded_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("answered_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("answered_on_time", sa.Boolean(), nullable=True),
    )
    op.create_index("ix_objection_resource_state", "objection", ["resource_code", "state"])
    op.create_index("ix_objection_raiser_department_id", "objection", ["raiser_department_id"])
    op.create_index("ix_objection_holder_department_id", "objection", ["holder_department_id"])
    op.create_index("ix_objection_due_at", "objection", ["due_at"])
    _child(
        "objection_step",
        sa.Column("action", sa.String(12), nullable=False),
        sa.Column("source", sa.String(12), nullable=True),
        sa.Column("target", sa.String(12), nullable=False),
        sa.Column("party", sa.String(8), nullable=False),
        sa.Column("actor_id", sa.Integer(), sa.ForeignKey("app_user.id"), nullable=True),
        sa.Column("actor_name", sa.String(64), nullable=False),
        sa.Column("department_id", sa.Integer(), sa.ForeignKey("department.id"), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("correction", sa.String(32), nullable=True),
        sa.Column("at", UTCDateTime(timezone=True), nullable=False),
    )
    _child(
        "objection_evidence",
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("at", UTCDateTime(timezone=True), nullable=False),
    )
    _child(
        "objection_notice",
        sa.Column("kind", sa.String(12), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("at", UTCDateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("objection_notice")
    op.drop_table("objection_evidence")
    op.drop_table("objection_step")
    op.drop_table("objection")
