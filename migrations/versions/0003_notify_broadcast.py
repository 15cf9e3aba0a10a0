"""broadcast rows (the fan-out's intent and progress); notification.handed_at and broadcast_id

Revision ID: 0003_notify_broadcast
Revises: 0002
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_notify_broadcast"
down_revision = "0005_ops_login_user_agent"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "broadcast",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dedupe_key", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=60), nullable=False),
        sa.Column("audience", sa.String(length=60), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("event_key", sa.String(length=120), nullable=False),
        sa.Column(
            "category",
            sa.Enum("action", "network", "account", name="notificationcategory",
                    native_enum=False, create_constraint=True),
            nullable=False,
        ),
        sa.Column("study_id", sa.Integer(), nullable=True),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("context", sa.JSON(), nullable=False),
        sa.Column("last_person_id", sa.Integer(), nullable=False),
        sa.Column("rows_written", sa.Integer(), nullable=False),
        sa.Column("rows_sent", sa.Integer(), nullable=False),
        sa.Column("runs", sa.Integer(), nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("written_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "finished_at IS NULL OR written_at IS NOT NULL",
            name=op.f("ck_broadcast_finished_after_written"),
        ),
        sa.ForeignKeyConstraint(
            ["study_id"], ["case_study.id"], name=op.f("fk_broadcast_study_id_case_study"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_broadcast")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_broadcast_dedupe_key")),
    )
    with op.batch_alter_table("broadcast", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_broadcast_study_id"), ["study_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_broadcast_finished_at"), ["finished_at"], unique=False
        )
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.add_column(sa.Column("handed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("broadcast_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_notification_broadcast_id_broadcast"), "broadcast",
            ["broadcast_id"], ["id"], ondelete="SET NULL",
        )
        batch_op.create_index(
            batch_op.f("ix_notification_broadcast_id"), ["broadcast_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notification_broadcast_id"))
        batch_op.drop_constraint(
            batch_op.f("fk_notification_broadcast_id_broadcast"), type_="foreignkey"
        )
        batch_op.drop_column("broadcast_id")
        batch_op.drop_column("handed_at")
    with op.batch_alter_table("broadcast", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_broadcast_finished_at"))
        batch_op.drop_index(batch_op.f("ix_broadcast_study_id"))
    op.drop_table("broadcast")
