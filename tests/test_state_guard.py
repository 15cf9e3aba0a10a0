"""A study's state changes only through the workflow's apply(): every other way raises at run
time and writes nothing (models/state_guard.py), on both engines."""

import pytest
import sqlalchemy as sa

from models import CaseStudy, StateGuardError, moving_state
from models.base import db
from models.enums import StudyState
from review import workflow
from tests.factories import complete_study

S = StudyState


@pytest.fixture
def study(app, make_user, pillar):
    return complete_study(make_user("member"), pillar=pillar)


def _state_in_database(study) -> str:
    return db.session.execute(
        sa.text("SELECT state FROM case_study WHERE id = :id"), {"id": study.id}
    ).scalar_one()


def test_setattr_raises(study):
    with pytest.raises(StateGuardError, match="only through review.workflow.apply"):
        setattr(study, "state", S.published)  # noqa: B010 - the way the issue names
    with pytest.raises(StateGuardError):
        study.state = S.submitted
    db.session.commit()
    assert _state_in_database(study) == "draft"


def test_construction_raises(app, make_user, pillar):
    author = make_user("member")
    with pytest.raises(StateGuardError):
        CaseStudy(title="Smuggled", pillar_id=pillar.id, created_by_id=author.id, state=S.affirmed)


@pytest.mark.parametrize(
    "statement",
    [
        lambda s: sa.update(CaseStudy).where(CaseStudy.id == s.id).values(state=S.published),
        lambda s: sa.update(CaseStudy).values({CaseStudy.state: S.published}),
        lambda s: sa.update(CaseStudy).ordered_values((CaseStudy.state, S.published)),
        lambda s: sa.update(CaseStudy.__table__).values(state="published", version=9),
        lambda s: sa.text("UPDATE case_study SET state = 'published' WHERE id = :id").bindparams(
            id=s.id
        ),
        lambda s: sa.text("update case_study set title = 'x', \"state\"='published'"),
    ],
    ids=["orm", "orm-column-key", "ordered", "core-table", "text", "text-quoted"],
)
def test_bulk_update_raises(study, statement):
    with pytest.raises(StateGuardError):
        db.session.execute(statement(study))
    db.session.rollback()
    assert _state_in_database(study) == "draft"


def test_bulk_update_by_primary_key_raises(study):
    with pytest.raises(StateGuardError):
        db.session.execute(sa.update(CaseStudy), [{"id": study.id, "state": S.published}])
    db.session.rollback()
    assert _state_in_database(study) == "draft"


def test_raw_connection_raises(study):
    db.session.commit()
    with db.engine.begin() as conn, pytest.raises(StateGuardError):
        conn.execute(
            sa.update(CaseStudy.__table__)
            .where(CaseStudy.__table__.c.id == study.id)
            .values(state="published")
        )
    assert _state_in_database(study) == "draft"


def test_other_columns_and_other_states_are_free(study, make_user):
    study.title = "Retitled"
    db.session.execute(sa.update(CaseStudy).where(CaseStudy.id == study.id).values(place="Here"))
    # Other columns and the US states (`us_state`, `state_code`) are not guarded.
    person = make_user("member")
    person.us_state = "MD"
    db.session.execute(sa.text("UPDATE case_study SET state_code = 'VT'"))
    db.session.commit()
    db.session.expire_all()
    assert (study.title, study.place, study.state_code, person.us_state) == (
        "Retitled",
        "Here",
        "VT",
        "MD",
    )


def test_apply_moves_the_state(study):
    author = db.session.get(CaseStudy, study.id).created_by
    workflow.apply(study, "submit", author)
    db.session.commit()
    assert study.state == S.submitted and _state_in_database(study) == "submitted"


def test_only_named_movers_may_enter():
    with pytest.raises(ValueError), moving_state("drafts"):
        pass
    with moving_state("tests"):
        pass
    # The block is left behind: the guard holds again.
    with pytest.raises(StateGuardError):
        CaseStudy(state=S.draft)
