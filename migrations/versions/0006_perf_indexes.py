"""indexes for the pages' sorts and the sweep's range scans (issue 17)

Staff studies and the decided queue sort on case_study.state_changed_at; a co-chair's decided
list reads one pillar's studies newest first; counts group by pillar and state; the sweep,
reminders and the dashboard scan open rounds by due date and open windows by deadline (both
partial: decided rounds and closed windows are almost every row); the outbox is summarised per
status with its oldest row; a study's history is read in order.

Revision ID: 0006_perf_indexes
Revises: 0003_notify_broadcast
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_perf_indexes"
down_revision = "0003_notify_broadcast"
branch_labels = None
depends_on = None

PLAIN = (
    ("ix_case_study_state_changed", "case_study", ["state_changed_at", "id"]),
    ("ix_case_study_pillar_changed", "case_study", ["pillar_id", "state_changed_at", "id"]),
    ("ix_case_study_pillar_state", "case_study", ["pillar_id", "state"]),
    ("ix_notification_status_created", "notification", ["status", "created_at"]),
    ("ix_audit_event_study_created", "audit_event", ["study_id", "created_at", "id"]),
)
PARTIAL = (
    ("ix_round_open_due", "round", ["due_at"], "decided_at IS NULL"),
    ("ix_affirmation_window_open_closes", "affirmation_window", ["closes_at"], "closed_at IS NULL"),
)


def upgrade():
    for name, table, columns in PLAIN:
        op.create_index(name, table, columns)
    for name, table, columns, where in PARTIAL:
        op.create_index(name, table, columns, postgresql_where=sa.text(where),
                        sqlite_where=sa.text(where))


def downgrade():
    for name, table, *_ in (*PARTIAL, *PLAIN):
        op.drop_index(name, table_name=table)
