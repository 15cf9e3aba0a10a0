"""audit log append-only in the database: triggers refuse UPDATE and DELETE of audit_event

Revision ID: 0004_ops_audit_append_only
Revises: 0003_ops_attachment_store
Create Date: 2026-12-02

The ORM already refuses (models/audit.py); these triggers refuse a plain SQL statement too, on
PostgreSQL and on SQLite. One UPDATE stays allowed: the foreign key's ON DELETE SET NULL, which
clears study_id when a study row is deleted and changes nothing else.
"""

from alembic import op

revision = "0004_ops_audit_append_only"
down_revision = "0003_ops_attachment_store"
branch_labels = None
depends_on = None

POSTGRESQL = """
CREATE FUNCTION audit_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.study_id IS NOT NULL AND NEW.study_id IS NULL
       AND (to_jsonb(NEW) - 'study_id') = (to_jsonb(OLD) - 'study_id') THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit_event is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event
    FOR EACH ROW EXECUTE FUNCTION audit_event_append_only();
"""

_SAME = " AND ".join(
    f"NEW.{c} IS OLD.{c}"
    for c in ("id", "created_at", "actor_id", "event", "from_state", "to_state",
              "round_number", "comment", "override_reason", "data")
)
SQLITE = [
    "CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event "
    f"WHEN NOT (OLD.study_id IS NOT NULL AND NEW.study_id IS NULL AND {_SAME}) "
    "BEGIN SELECT RAISE(ABORT, 'audit_event is append-only: UPDATE refused'); END",
    "CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event "
    "BEGIN SELECT RAISE(ABORT, 'audit_event is append-only: DELETE refused'); END",
]


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(POSTGRESQL)
    else:
        for statement in SQLITE:
            op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER audit_event_append_only ON audit_event")
        op.execute("DROP FUNCTION audit_event_append_only()")
    else:
        op.execute("DROP TRIGGER audit_event_no_update")
        op.execute("DROP TRIGGER audit_event_no_delete")
