"""indexes that answer the affirmation page's counts alone (issue 17)

A window's tally counts its votes per choice (vote: window_id, choice); the live count of
eligible voters counts the active members (user: kind, is_active, id). Both are read from the
index without visiting the rows, so a window with 3,000 votes costs what one with 3 does.

Revision ID: 0009_perf_counts
Revises: 0008_house_choice_checks
Create Date: 2026-12-03
"""

from alembic import op

revision = "0009_perf_counts"
down_revision = "0008_house_choice_checks"
branch_labels = None
depends_on = None

INDEXES = (
    ("ix_vote_window_choice", "vote", ["window_id", "choice"]),
    ("ix_user_kind_active", "user", ["kind", "is_active", "id"]),
)


def upgrade():
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)


def downgrade():
    for name, table, _ in INDEXES:
        op.drop_index(name, table_name=table)
