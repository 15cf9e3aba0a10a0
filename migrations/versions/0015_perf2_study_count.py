"""studies per pillar and state, kept by the database (issue 17): study_count and its triggers

The staff dashboard counted every study at every request (a GROUP BY over the whole of
case_study). study_count holds the count per (pillar, state); triggers on case_study add and
take one at every INSERT, DELETE and change of pillar or state, so the count is right whatever
wrote the row (the workflow, an import, a bulk INSERT, plain SQL). Filled from case_study.

PostgreSQL: a change of state locks its two rows in key order, so that two transactions moving
studies of one pillar in opposite directions (a publish and an unpublish) wait for each other
instead of deadlocking. SQLite has one writer at a time.

A later migration that rebuilds case_study on SQLite (batch mode) must create the triggers
again.

Revision ID: 0015_perf2_study_count
Revises: 0014_perf2_sweep_indexes
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0015_perf2_study_count"
down_revision = "0014_perf2_sweep_indexes"
branch_labels = None
depends_on = None

STUDY_STATES = (
    "draft", "submitted", "in_review", "changes_requested", "in_affirmation", "affirmed",
    "published", "declined", "withdrawn",
)

POSTGRESQL = """
CREATE FUNCTION study_count_keep() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.pillar_id = NEW.pillar_id AND OLD.state = NEW.state THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND (OLD.pillar_id, OLD.state::text)
                            < (NEW.pillar_id, NEW.state::text)) THEN
        UPDATE study_count SET n = n - 1
            WHERE pillar_id = OLD.pillar_id AND state = OLD.state;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO study_count (pillar_id, state, n) VALUES (NEW.pillar_id, NEW.state, 1)
            ON CONFLICT (pillar_id, state) DO UPDATE SET n = study_count.n + 1;
    END IF;
    IF TG_OP = 'UPDATE' AND (OLD.pillar_id, OLD.state::text) > (NEW.pillar_id, NEW.state::text) THEN
        UPDATE study_count SET n = n - 1
            WHERE pillar_id = OLD.pillar_id AND state = OLD.state;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER study_count_keep AFTER INSERT OR DELETE OR UPDATE OF pillar_id, state
    ON case_study FOR EACH ROW EXECUTE FUNCTION study_count_keep();
"""

_ADD = (
    "INSERT INTO study_count (pillar_id, state, n) VALUES (NEW.pillar_id, NEW.state, 1) "
    "ON CONFLICT (pillar_id, state) DO UPDATE SET n = n + 1;"
)
_TAKE = "UPDATE study_count SET n = n - 1 WHERE pillar_id = OLD.pillar_id AND state = OLD.state;"
SQLITE = (
    f"CREATE TRIGGER study_count_insert AFTER INSERT ON case_study BEGIN {_ADD} END",
    f"CREATE TRIGGER study_count_delete AFTER DELETE ON case_study BEGIN {_TAKE} END",
    "CREATE TRIGGER study_count_update AFTER UPDATE OF pillar_id, state ON case_study "
    "WHEN OLD.pillar_id IS NOT NEW.pillar_id OR OLD.state IS NOT NEW.state "
    f"BEGIN {_TAKE} {_ADD} END",
)


def upgrade():
    op.create_table(
        "study_count",
        sa.Column("pillar_id", sa.Integer(), nullable=False),
        sa.Column(
            "state",
            sa.Enum(*STUDY_STATES, name="studystate", native_enum=False, create_constraint=True,
                    length=17),
            nullable=False,
        ),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("pillar_id", "state", name=op.f("pk_study_count")),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(POSTGRESQL)
    else:
        for statement in SQLITE:
            op.execute(statement)
    op.execute(
        "INSERT INTO study_count (pillar_id, state, n) "
        "SELECT pillar_id, state, count(*) FROM case_study GROUP BY pillar_id, state"
    )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER study_count_keep ON case_study")
        op.execute("DROP FUNCTION study_count_keep()")
    else:
        for name in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER study_count_{name}")
    op.drop_table("study_count")
