"""quality: rules, gates, and every run's metrics per rule and version

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 21:00:00
"""

import sqlalchemy as sa
from alembic import op

from huitong.db.base import UTCDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "quality_rule",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("scope", sa.String(10), nullable=False),
        sa.Column("target", sa.String(64), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("dimension", sa.String(16), nullable=False),
        sa.Column("severity", sa.String(8), nullable=False),
        sa.Column("threshold", sa.Float(), nullable=False),
        sa.Column("columns", sa.JSON(), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("origin", sa.String(300), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("updated_by", sa.String(64), nullable=True),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("scope", "target", "name"),
    )
    op.create_index("ix_quality_rule_target", "quality_rule", ["target"])
    op.create_table(
        "quality_gate",
        sa.Column("resource_code", sa.String(64), primary_key=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "quality_run",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("resource_code", sa.String(64), nullable=False),
        sa.Column("snapshot_id", sa.String(32), nullable=False),
        sa.Column("version_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("department_id", sa.Integer(), sa.ForeignKey("department.id"), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("dimensions", sa.JSON(), nullable=False),
        sa.Column("failed_rules", sa.Integer(), nullable=False),
        sa.Column("failed_fail_rules", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("trigger", sa.String(10), nullable=False),
        sa.Column("load_id", sa.Integer(), nullable=True),
        sa.Column("actor_name", sa.String(64), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("started_at", UTCDateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_quality_run_resource", "quality_run", ["resource_code", "id"])
    op.create_index("ix_quality_run_snapshot_id", "quality_run", ["snapshot_id"])
    op.create_index("ix_quality_run_department_id", "quality_run", ["department_id"])
    op.create_table(
        "quality_metric",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "run_id", sa.Integer(), sa.ForeignKey("quality_run.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column(
            "rule_id", sa.Integer(), sa.ForeignKey("quality_rule.id", ondelete="SET NULL"), nullable=True
        ),
        sa.Column("rule_name", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("dimension", sa.String(16), nullable=False),
        sa.Column("severity", sa.String(8), nullable=False),
        sa.Column("columns", sa.JSON(), nullable=False),
        sa.Column("checked", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("ratio", sa.Float(), nullable=True),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("threshold", sa.Float(), nullable=False),
        sa.Column("passed", sa.Boolean(), nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("sample", sa.JSON(), nullable=False),
    )
    op.create_index("ix_quality_metric_run", "quality_metric", ["run_id"])


def downgrade() -> None:
    op.drop_table("quality_metric")
    op.drop_table("quality_run")
    op.drop_table("quality_gate")
    op.drop_table("quality_rule")
