"""The database itself refuses a value outside a choice column's choices (migration 0008), on
both engines: a raw statement that skips the models is refused as well as the ORM's."""

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from models.base import db
from tests.factories import complete_study

AT = "2026-01-01 12:00:00"


@pytest.fixture
def study(app, make_user, pillar):
    study = complete_study(make_user("member"), pillar=pillar)
    db.session.commit()
    return study


def _insert(table: str, **values) -> int:
    columns = ", ".join(values)
    params = ", ".join(f":{name}" for name in values)
    db.session.execute(sa.text(f"INSERT INTO {table} ({columns}) VALUES ({params})"), values)
    return db.session.execute(sa.text(f"SELECT max(id) FROM {table}")).scalar_one()


def _round(study) -> int:
    return _insert("round", study_id=study.id, number=1, opened_at=AT, due_at=AT)


# (table, column, a row without that column, every choice)
ROWS = {
    "affirmation_window": (
        "result",
        lambda s: dict(study_id=s.id, round_number=1, opened_at=AT, closes_at=AT, closed_at=AT),
        ("affirmed", "returned", "void"),
    ),
    "feedback_item": (
        "source",
        lambda s: dict(
            round_id=_round(s), position=0, section="summary", level="required", body="x"
        ),
        ("review", "affirmation"),
    ),
    "commitment": (
        "source",
        lambda s: dict(name="Ana", office="", jurisdiction="", us_state="NY", committed_at=AT),
        ("self", "staff", "import"),
    ),
    "revision": (
        "reason",
        lambda s: dict(study_id=s.id, number=1, content="{}", created_at=AT),
        ("submit", "resubmit", "correction", "import"),
    ),
    "notification": (
        "transport",
        lambda s: dict(
            dedupe_key="k",
            email="a@example.org",
            kind="study_submitted",
            category="action",
            context="{}",
            status="sent",
            sent_at=AT,
            is_digest=False,
            attempts=1,
            message_id="<m@x>",
            is_ambiguous=False,
            created_at=AT,
        ),
        ("smtp", "store"),
    ),
}


@pytest.mark.parametrize("table", sorted(ROWS))
def test_a_choice_column_refuses_a_value_outside_its_choices(study, table):
    column, row, choices = ROWS[table]
    base = row(study)
    row_id = _insert(table, **base, **{column: choices[0]})
    db.session.commit()
    for choice in choices:  # every documented choice is accepted
        db.session.execute(
            sa.text(f"UPDATE {table} SET {column} = :v WHERE id = :id"), {"v": choice, "id": row_id}
        )
    db.session.commit()
    with pytest.raises(IntegrityError):
        db.session.execute(
            sa.text(f"UPDATE {table} SET {column} = 'bogus' WHERE id = :id"), {"id": row_id}
        )
    db.session.rollback()
    if table == "notification":
        base["dedupe_key"] = "k2"
    if table == "revision":
        base["number"] = 2
    with pytest.raises(IntegrityError):
        _insert(table, **base, **{column: "bogus"})
    db.session.rollback()
    stored = db.session.execute(sa.text(f"SELECT {column} FROM {table}")).scalars().all()
    assert stored == [choices[-1]]


@pytest.mark.parametrize("column", ["from_state", "to_state"])
def test_the_audit_records_only_workflow_states(study, column):
    _insert("audit_event", created_at=AT, event="submitted", comment="", **{column: "submitted"})
    db.session.commit()
    with pytest.raises(IntegrityError):
        _insert("audit_event", created_at=AT, event="submitted", comment="", **{column: "limbo"})
    db.session.rollback()
    assert db.session.execute(sa.text(f"SELECT {column} FROM audit_event")).scalars().all() == [
        "submitted"
    ]
