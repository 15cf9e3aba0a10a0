"""The audit log is append-only in the database itself: a plain SQL UPDATE or DELETE fails on
PostgreSQL and on SQLite; only the foreign key's SET NULL of a deleted study passes."""

import pytest
import sqlalchemy as sa

from models import AuditEvent
from models.base import db
from models.clock import utcnow
from tests.factories import complete_study


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_event SET comment = 'rewritten' WHERE id = :id",
        "UPDATE audit_event SET study_id = NULL, comment = 'and hidden' WHERE id = :id",
        "DELETE FROM audit_event WHERE id = :id",
    ],
)
def test_raw_sql_cannot_change_or_remove_an_audit_row(app, make_user, statement):
    author = make_user()
    study = complete_study(author)
    event = AuditEvent(
        actor_id=author.id,
        study_id=study.id,
        event="submitted",
        comment="as it happened",
        created_at=utcnow(),
    )
    db.session.add(event)
    db.session.commit()
    with pytest.raises(sa.exc.DBAPIError, match="append-only"):
        db.session.execute(sa.text(statement), {"id": event.id})
    db.session.rollback()
    row = db.session.execute(sa.text("SELECT comment, study_id FROM audit_event")).one()
    assert tuple(row) == ("as it happened", study.id)


def test_deleting_a_study_still_clears_its_audit_rows_study_id(app, make_user):
    author = make_user()
    study = complete_study(author)
    db.session.add(
        AuditEvent(actor_id=author.id, study_id=study.id, event="created", created_at=utcnow())
    )
    db.session.commit()
    db.session.execute(sa.text("DELETE FROM study_author WHERE study_id = :id"), {"id": study.id})
    db.session.execute(sa.text("DELETE FROM case_study WHERE id = :id"), {"id": study.id})
    db.session.commit()
    row = db.session.execute(sa.text("SELECT event, study_id FROM audit_event")).one()
    assert tuple(row) == ("created", None)
