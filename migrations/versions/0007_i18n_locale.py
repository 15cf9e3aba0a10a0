"""i18n: each person's language (user.locale, unset until the first sign-in) and the language
each outbox row is written in (notification.locale, English for the rows that exist)

Revision ID: 0007_i18n_locale
Revises: 0006_library_real
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_i18n_locale"
down_revision = "0006_library_real"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("user") as batch:
        batch.add_column(sa.Column("locale", sa.String(length=8), nullable=True))
    with op.batch_alter_table("notification") as batch:
        batch.add_column(
            sa.Column("locale", sa.String(length=8), server_default="en", nullable=False)
        )


def downgrade():
    with op.batch_alter_table("notification") as batch:
        batch.drop_column("locale")
    with op.batch_alter_table("user") as batch:
        batch.drop_column("locale")
