"""the database enforces every choice column (issue 13)

An affirmation window's result (affirmed, returned, void), a feedback item's source, a
commitment's source, a revision's reason, a sent notification's transport and the audit's
states were free strings. PostgreSQL gets the CHECK constraints the models declare; SQLite,
which cannot add a CHECK to a table without rebuilding it (and rebuilding a table other rows
refer to would cascade deletes), gets the same rule as a pair of triggers of the same name.
Every row is kept: the values written so far are all among the choices.

Revision ID: 0008_house_choice_checks
Revises: 0007_house_us_state
Create Date: 2026-12-03
"""

from alembic import op

revision = "0008_house_choice_checks"
down_revision = "0007_house_us_state"
branch_labels = None
depends_on = None

STUDY_STATES = (
    "draft", "submitted", "in_review", "changes_requested", "in_affirmation", "affirmed",
    "published", "declined", "withdrawn",
)
# (table, column, the model's constraint name, the choices)
CHOICES = (
    ("affirmation_window", "result", "ck_affirmation_window_windowresult",
     ("affirmed", "returned", "void")),
    ("feedback_item", "source", "ck_feedback_item_feedbacksource", ("review", "affirmation")),
    ("commitment", "source", "ck_commitment_commitmentsource", ("self", "staff", "import")),
    ("revision", "reason", "ck_revision_revisionreason",
     ("submit", "resubmit", "correction", "import")),
    ("notification", "transport", "ck_notification_transport", ("smtp", "store")),
    ("audit_event", "from_state", "ck_audit_event_from_state", STUDY_STATES),
    ("audit_event", "to_state", "ck_audit_event_to_state", STUDY_STATES),
)


def upgrade():
    postgresql = op.get_bind().dialect.name == "postgresql"
    for table, column, name, values in CHOICES:
        listed = ", ".join(f"'{v}'" for v in values)
        if postgresql:
            op.execute(f"ALTER TABLE {table} ADD CONSTRAINT {name} CHECK ({column} IN ({listed}))")
            continue
        for when, on in (("insert", "INSERT"), ("update", f"UPDATE OF {column}")):
            op.execute(
                f"CREATE TRIGGER {name}_{when} BEFORE {on} ON {table} "
                f"WHEN NEW.{column} NOT IN ({listed}) "
                f"BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: {name}'); END"
            )


def downgrade():
    postgresql = op.get_bind().dialect.name == "postgresql"
    for table, _column, name, _values in CHOICES:
        if postgresql:
            op.execute(f"ALTER TABLE {table} DROP CONSTRAINT {name}")
        else:
            op.execute(f"DROP TRIGGER {name}_insert")
            op.execute(f"DROP TRIGGER {name}_update")
