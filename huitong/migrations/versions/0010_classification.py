"""classify: discovery scans, each column's finding with its decision, re-grading review tasks

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-08 02:30:00
"""

import sqlalchemy as sa
from alembic import op

from huitong.db.base import UTCDateTime

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "classify_scan",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("resource_code", sa.String(64), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("snapshot_id", sa.String(24), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("sampled_rows", sa.Integer(), nullable=False),
        sa.Column("sample_size", sa.Integer(), nullable=True),
        sa.Column("findings", sa.Integer(), nullable=False),
        sa.Column("trigger", sa.String(8), nullable=False),
        sa.Column("actor_name", sa.String(64), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("at", UTCDateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_classify_scan_resource", "classify_scan", ["resource_code", "id"])
    op.create_index("ix_classify_scan_department_id", "classify_scan", ["department_id"])
    op.create_table(
        "classify_column",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("resource_code", sa.String(64), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("column", sa.String(100), nullable=False),
        sa.Column("scan_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("share", sa.Float(), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("sampled", sa.Integer(), nullable=False),
        sa.Column("matched", sa.Integer(), nullable=False),
        sa.Column("evidence", sa.String(200), nullable=False),
        sa.Column("name_hint", sa.Boolean(), nullable=False),
        sa.Column("classes", sa.JSON(), nullable=False),
        sa.Column("proposed_grade", sa.String(16), nullable=False),
        sa.Column("declared_grade", sa.String(16), nullable=False),
        sa.Column("declared_element", sa.String(64), nullable=True),
        sa.Column("present", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("decided_grade", sa.String(16), nullable=True),
        sa.Column("decided_kind", sa.String(32), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("decided_by", sa.String(64), nullable=True),
        sa.Column("decided_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("first_seen_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("resource_code", "column"),
    )
    op.create_index("ix_classify_column_resource_code", "classify_column", ["resource_code"])
    op.create_index("ix_classify_column_department_id", "classify_column", ["department_id"])
    op.create_table(
        "classify_review",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("resource_code", sa.String(64), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("scan_id", sa.Integer(), nullable=False),
        sa.Column("trigger", sa.String(24), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(8), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("closed_by", sa.String(64), nullable=True),
        sa.Column("closed_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_classify_review_open", "classify_review", ["status", "department_id"])
    op.create_index("ix_classify_review_resource_code", "classify_review", ["resource_code"])


def downgrade() -> None:
    op.drop_table("classify_review")
    op.drop_table("classify_column")
    op.drop_table("classify_scan")
