"""i18n: each person's language (user.locale, unset until the first sign-in) and the language
each outbox row is written in (notification.locale, English for the rows that exist)

Revision ID: 0012_i18n_locale
Revises: 0011_data_as_it_is
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0012_i18n_locale"
down_revision = "0011_data_as_it_is"
branch_labels = None
depends_on = None


def upgrade():
    # Plain ADD COLUMNs on both engines: a nullable column, and one with a constant default.
    op.add_column("user", sa.Column("locale", sa.String(length=8), nullable=True))
    op.add_column(
        "notification",
        sa.Column("locale", sa.String(length=8), server_default="en", nullable=False),
    )


def downgrade():
    # SQLite drops a column by rebuilding the table (migrations/env.py turns foreign keys off).
    with op.batch_alter_table("notification") as batch:
        batch.drop_column("locale")
    with op.batch_alter_table("user") as batch:
        batch.drop_column("locale")
