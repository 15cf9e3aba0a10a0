"""working copies (a study's fields as typed, a co-chair's draft review); year-only dates

Revision ID: 0003_field_working_copy
Revises: 0002
Create Date: 2026-12-02

A timeline event may now be dated by its year alone ("2019"): timeline_event.month becomes
nullable. Existing rows keep their month; nothing is lost.
"""

import sqlalchemy as sa
from alembic import op

import models.clock

revision = "0003_field_working_copy"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "working_copy",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("object_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("saved_at", models.clock.UTCDateTime(), nullable=False),
        sa.CheckConstraint("kind IN ('study', 'review')", name=op.f("ck_working_copy_kind_known")),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_working_copy_user_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_working_copy")),
        sa.UniqueConstraint("kind", "object_id", "user_id", name="uq_working_copy_owner"),
    )
    with op.batch_alter_table("working_copy", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_working_copy_user_id"), ["user_id"], unique=False)
    with op.batch_alter_table("timeline_event", schema=None) as batch_op:
        batch_op.alter_column("month", existing_type=sa.Integer(), nullable=True)


def downgrade():
    with op.batch_alter_table("timeline_event", schema=None) as batch_op:
        batch_op.execute("UPDATE timeline_event SET month = 1 WHERE month IS NULL")
        batch_op.alter_column("month", existing_type=sa.Integer(), nullable=False)
    with op.batch_alter_table("working_copy", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_working_copy_user_id"))
    op.drop_table("working_copy")
