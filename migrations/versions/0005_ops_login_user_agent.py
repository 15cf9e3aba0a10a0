"""sign-in sessions remember the browser they were opened in (shown on /account/)

Revision ID: 0005_ops_login_user_agent
Revises: 0004_ops_audit_append_only
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_ops_login_user_agent"
down_revision = "0004_ops_audit_append_only"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("login") as batch:
        batch.add_column(
            sa.Column("user_agent", sa.String(length=200), server_default="", nullable=False)
        )


def downgrade():
    with op.batch_alter_table("login") as batch:
        batch.drop_column("user_agent")
