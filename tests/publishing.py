"""Test-only helpers to put studies in the public library.

Until the workflow's publish transition is wired in everywhere, these set the state with a
plain SQL UPDATE (tests only; application code never assigns a state outside the workflow)
and then run the library's own publish hook, exactly as the workflow does."""

from datetime import timedelta

import sqlalchemy as sa

from models import CaseStudy, Topic, moving_state
from models.base import db
from models.clock import utcnow
from review import library
from tests.factories import complete_study


def set_state(study: CaseStudy, state: str, **columns) -> None:
    with moving_state("tests"):
        db.session.execute(
            sa.update(CaseStudy.__table__)
            .where(CaseStudy.__table__.c.id == study.id)
            .values(state=state, version=CaseStudy.__table__.c.version + 1, **columns)
        )
    db.session.expire(study)


def publish(study: CaseStudy, at=None) -> CaseStudy:
    """Publish a study as the workflow does: affirmed → published, slug fixed, indexed."""
    at = at or utcnow()
    slug = study.slug or library.public_slug(study)
    set_state(
        study,
        "published",
        published_at=at,
        first_published_at=at,
        affirmed_at=at - timedelta(days=3),
        slug=slug,
    )
    library.on_publish(study)
    db.session.commit()
    return study


def unpublish(study: CaseStudy) -> CaseStudy:
    set_state(study, "affirmed", published_at=None)
    library.on_unpublish(study)
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
