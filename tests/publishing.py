"""Test-only helpers to put studies in the public library through the real publish.

The road to "affirmed" (submission, review rounds, the network's vote) is walked by the
workflow's own tests; here a study is set to affirmed under the guard's "tests" mover, and then
staff publish and unpublish it with `workflow.apply()`, the one transition the library, feed and
API tests depend on: its slug, index, notifications and fan-out are the application's own."""

from datetime import timedelta

import sqlalchemy as sa

from models import CaseStudy, Topic, User, moving_state
from models.base import db
from models.clock import utcnow
from models.enums import UserKind
from review import workflow
from tests.factories import complete_study

PUBLISHER = "publisher@example.org"


def set_state(study: CaseStudy, state: str, **columns) -> None:
    with moving_state("tests"):
        db.session.execute(
            sa.update(CaseStudy.__table__)
            .where(CaseStudy.__table__.c.id == study.id)
            .values(state=state, version=CaseStudy.__table__.c.version + 1, **columns)
        )
    db.session.expire(study)


def publisher() -> User:
    """The staff member who publishes in these tests (made once per database)."""
    found = db.session.scalar(sa.select(User).where(User.email == PUBLISHER))
    if found is None:
        found = User(email=PUBLISHER, name="Pat Publisher", kind=UserKind.staff)
        db.session.add(found)
        db.session.flush()
    return found


def publish(study: CaseStudy, at=None) -> CaseStudy:
    """Affirm the study, then publish it as staff do: workflow.apply(study, "publish", staff).

    `at` back-dates the publication (published_at, first_published_at) once it is done.
    """
    if study.state != "affirmed":
        set_state(study, "affirmed", affirmed_at=(at or utcnow()) - timedelta(days=3))
    workflow.apply(study, "publish", publisher())
    if at is not None:
        db.session.execute(
            sa.update(CaseStudy.__table__)
            .where(CaseStudy.__table__.c.id == study.id)
            .values(published_at=at, first_published_at=at)
        )
        db.session.expire(study)
    db.session.commit()
    return study


def unpublish(study: CaseStudy) -> CaseStudy:
    workflow.apply(study, "unpublish", publisher(), reason="Taken down in a test.")
    db.session.commit()
    return study


def published_study(author, topics=("housing",), at=None, **fields) -> CaseStudy:
    """Return a complete study with the given topics, published."""
    study = complete_study(author, **fields)
    names = list(topics)
    found = {t.name: t for t in db.session.scalars(sa.select(Topic).where(Topic.name.in_(names)))}
    study.topics = [found.get(n) or Topic(name=n) for n in names]
    db.session.commit()
    return publish(study, at=at)
