"""each person's time zone and calendar feed secret; a study's language and summary translation;
the search index knows each study's language

`user.time_zone` (IANA name, "UTC" until the browser or the person sets it), `time_zone_set_at`,
`calendar_token` (the secret of the ICS feed URL; every existing person gets a fresh one).
`case_study.language` ("en" / "es", every existing study English, as it was indexed) and
`summary_translation`.

Revision ID: 0010_zones_people_studies
Revises: 0009_perf_counts
Create Date: 2026-12-03
"""

import secrets

import sqlalchemy as sa
from alembic import op

revision = "0010_zones_people_studies"
down_revision = "0009_perf_counts"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("user") as batch:
        batch.add_column(
            sa.Column("time_zone", sa.String(length=64), server_default="UTC", nullable=False)
        )
        batch.add_column(sa.Column("time_zone_set_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("calendar_token", sa.String(length=64), nullable=True))
    bind = op.get_bind()
    users = sa.table("user", sa.column("id", sa.Integer), sa.column("calendar_token", sa.String))
    for (user_id,) in bind.execute(sa.select(users.c.id)).all():
        bind.execute(
            users.update()
            .where(users.c.id == user_id)
            .values(calendar_token=secrets.token_urlsafe(32))
        )
    with op.batch_alter_table("user") as batch:
        batch.alter_column("calendar_token", existing_type=sa.String(length=64), nullable=False)
        batch.create_unique_constraint(op.f("uq_user_calendar_token"), ["calendar_token"])
    with op.batch_alter_table("case_study") as batch:
        batch.add_column(
            sa.Column(
                "language",
                sa.Enum("en", "es", name="contentlanguage", native_enum=False,
                        create_constraint=True),
                server_default="en",
                nullable=False,
            )
        )
        batch.add_column(
            sa.Column(
                "summary_translation", sa.String(length=400), server_default="", nullable=False
            )
        )


def downgrade():
    with op.batch_alter_table("case_study") as batch:
        # The CHECK names the column: SQLite's rebuild would copy it into the new table.
        batch.drop_constraint(op.f("ck_case_study_contentlanguage"), type_="check")
        batch.drop_column("summary_translation")
        batch.drop_column("language")
    with op.batch_alter_table("user") as batch:
        batch.drop_constraint(op.f("uq_user_calendar_token"), type_="unique")
        batch.drop_column("calendar_token")
        batch.drop_column("time_zone_set_at")
        batch.drop_column("time_zone")
