"""deid: release plans with their risk reports and approvals, privacy budgets, published DP figures

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-08 02:10:00
"""

import sqlalchemy as sa
from alembic import op

from huitong.db.base import UTCDateTime

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "deid_release",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("resource_code", sa.String(64), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("snapshot_id", sa.String(24), nullable=False),
        sa.Column("plan", sa.JSON(), nullable=False),
        sa.Column("grade_in", sa.String(16), nullable=False),
        sa.Column("grade_out", sa.String(16), nullable=False),
        sa.Column("risk", sa.JSON(), nullable=False),
        sa.Column("rows_in", sa.Integer(), nullable=False),
        sa.Column("rows_out", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("needs", sa.JSON(), nullable=False),
        sa.Column("approvals", sa.JSON(), nullable=False),
        sa.Column("output_code", sa.String(64), nullable=True),
        sa.Column("output_snapshot_id", sa.String(24), nullable=True),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("released_at", UTCDateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_deid_release_resource", "deid_release", ["resource_code", "id"])
    op.create_index("ix_deid_release_department_id", "deid_release", ["department_id"])
    op.create_table(
        "deid_budget",
        sa.Column("resource_code", sa.String(64), primary_key=True),
        sa.Column("total", sa.Float(), nullable=False),
        sa.Column("spent", sa.Float(), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "deid_statistic",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("resource_code", sa.String(64), nullable=False),
        sa.Column("snapshot_id", sa.String(24), nullable=False),
        sa.Column("statistic", sa.String(16), nullable=False),
        sa.Column("column", sa.String(100), nullable=True),
        sa.Column("epsilon", sa.Float(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_deid_statistic_resource_code", "deid_statistic", ["resource_code"])


def downgrade() -> None:
    op.drop_table("deid_statistic")
    op.drop_table("deid_budget")
    op.drop_table("deid_release")
