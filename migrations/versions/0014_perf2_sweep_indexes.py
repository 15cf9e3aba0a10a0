"""indexes that make the sweep with nothing due a few index probes that find nothing (issue 17)

- the studies under co-chair review (partial: a few among every study), where the review
  reminders start; without it SQLite's planner, which knows only the average number of studies
  per state, walked the open rounds of every withdrawn or declined study instead;
- the people with rows held for their digest (partial: usually none), which SQLite otherwise
  found by walking the whole outbox in recipient order;
- the sign-in sessions' and rescued forms' timestamps, which the purges delete by.

Revision ID: 0014_perf2_sweep_indexes
Revises: 0013_perf2_stay_count
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0014_perf2_sweep_indexes"
down_revision = "0013_perf2_stay_count"
branch_labels = None
depends_on = None

UNDER_REVIEW = "state IN ('submitted', 'in_review')"
PLAIN = (
    ("ix_login_created_at", "login", ["created_at"]),
    ("ix_login_last_seen_at", "login", ["last_seen_at"]),
    ("ix_rescued_form_created_at", "rescued_form", ["created_at"]),
)


def upgrade():
    for name, table, columns in PLAIN:
        op.create_index(name, table, columns)
    op.create_index("ix_case_study_under_review", "case_study", ["current_round"],
                    postgresql_where=sa.text(UNDER_REVIEW), sqlite_where=sa.text(UNDER_REVIEW))
    op.create_index("ix_notification_digest_held", "notification", ["recipient_id"],
                    postgresql_where=sa.text("status = 'pending' AND is_digest = true"),
                    sqlite_where=sa.text("status = 'pending' AND is_digest = 1"))


def downgrade():
    op.drop_index("ix_notification_digest_held", table_name="notification")
    op.drop_index("ix_case_study_under_review", table_name="case_study")
    for name, table, _ in PLAIN:
        op.drop_index(name, table_name=table)
