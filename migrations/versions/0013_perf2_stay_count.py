"""the stays in each state, counted (issue 17): stay_count, filled from the audit log

The staff dashboard's median days in each state ranked every stay of the last 90 days, read
from the audit log with window functions at every request. stay_count is a histogram (the UTC
day a stay ended, its state, its length in tenths of a day: how many) that the workflow adds
one to at every move, in the move's transaction; the dashboard reads its last 90 days.

The backfill walks the audit log's moves once, study by study in order (a stay runs from the
move into the state, or the study's creation for its first, to the move out of it), as
review/workflow/stays.py recount() does.

Revision ID: 0013_perf2_stay_count
Revises: 0012_i18n_locale
Create Date: 2026-12-03
"""

from collections import Counter
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

revision = "0013_perf2_stay_count"
down_revision = "0013_data2_facet_counts"
branch_labels = None
depends_on = None

STUDY_STATES = (
    "draft", "submitted", "in_review", "changes_requested", "in_affirmation", "affirmed",
    "published", "declined", "withdrawn",
)
TENTH = timedelta(days=1) / 10


def _aware(value):
    if isinstance(value, str):  # SQLite hands back the stored text
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def upgrade():
    table = op.create_table(
        "stay_count",
        sa.Column("left_on", sa.Date(), nullable=False),
        sa.Column(
            "state",
            sa.Enum(*STUDY_STATES, name="studystate", native_enum=False, create_constraint=True,
                    length=17),
            nullable=False,
        ),
        sa.Column("tenths", sa.Integer(), nullable=False),
        sa.Column("stays", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("left_on", "state", "tenths", name=op.f("pk_stay_count")),
    )
    rows = op.get_bind().execute(
        sa.text(
            "SELECT e.study_id, e.from_state, e.created_at, s.created_at FROM audit_event e "
            "JOIN case_study s ON s.id = e.study_id "
            "WHERE e.from_state IS NOT NULL AND e.to_state IS NOT NULL "
            "AND e.from_state <> e.to_state ORDER BY e.study_id, e.created_at, e.id"
        )
    )
    counts = Counter()
    study = entered = None
    for study_id, state, left_at, created_at in rows:
        left_at = _aware(left_at).astimezone(UTC)
        if study_id != study:
            study, entered = study_id, _aware(created_at).astimezone(UTC)
        counts[(left_at.date(), state, max(0, round((left_at - entered) / TENTH)))] += 1
        entered = left_at
    batch = [
        {"left_on": day, "state": state, "tenths": tenths, "stays": n}
        for (day, state, tenths), n in counts.items()
    ]
    for start in range(0, len(batch), 5000):
        op.bulk_insert(table, batch[start:start + 5000])


def downgrade():
    op.drop_table("stay_count")
