"""The studies per pillar and state that the database keeps (study_count, its triggers on
case_study): equal to a count of the studies after every kind of write, on both engines; the
dashboard reads them, not the studies."""

import sqlalchemy as sa

from models import CaseStudy, Pillar, StudyCount, moving_state
from models.base import db
from models.enums import StudyState
from review import staff, workflow
from tests.factories import complete_study

S = StudyState


def _kept() -> dict:
    return {
        (p, StudyState(s)): n
        for p, s, n in db.session.execute(
            sa.select(StudyCount.pillar_id, StudyCount.state, StudyCount.n).where(StudyCount.n > 0)
        )
    }


def _recount() -> dict:
    return {
        (p, StudyState(s)): n
        for p, s, n in db.session.execute(
            sa.select(CaseStudy.pillar_id, CaseStudy.state, sa.func.count()).group_by(
                CaseStudy.pillar_id, CaseStudy.state
            )
        )
    }


def test_the_counts_kept_per_pillar_and_state_equal_a_count_of_the_studies(app, make_user, pillar):
    other = db.session.scalar(sa.select(Pillar).where(Pillar.id != pillar.id).limit(1))
    author = make_user()
    chair = make_user(cochair_of=pillar)
    studies = [complete_study(author, pillar) for _ in range(4)]
    kept_draft = complete_study(author, other)
    assert _kept() == {(pillar.id, S.draft): 4, (other.id, S.draft): 1}

    submitted, approved, moved, deleted = studies
    for study in (submitted, approved):
        workflow.apply(study, "submit", author)  # the workflow's conditional UPDATE
    db.session.commit()
    workflow.apply(approved, "review", chair, recommendation="approve", overall="Good.")
    moved.pillar_id = other.id  # an ORM UPDATE of the pillar
    db.session.delete(deleted)
    db.session.commit()
    with moving_state("tests"):
        db.session.execute(  # plain SQL, outside the ORM
            sa.update(CaseStudy).where(CaseStudy.id == kept_draft.id).values(state=S.withdrawn)
        )
    db.session.commit()

    expected = {
        (pillar.id, S.submitted): 1,
        (pillar.id, S.in_affirmation): 1,
        (other.id, S.draft): 1,
        (other.id, S.withdrawn): 1,
    }
    assert _recount() == expected
    assert _kept() == expected
    assert staff.dashboard().counts == expected
