"""The public library: slugs and the search index of published studies (to be built)."""

import re

import sqlalchemy as sa

from models import CaseStudy
from review.extensions import db


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:80] or "study"


def on_publish(study: CaseStudy) -> None:
    """Fix the study's public slug (place-topic, unique, stable) and index it; flush only."""
    if study.slug is None:
        topic = study.topics[0].name if study.topics else study.title
        base = slugify(f"{study.place}-{topic}")
        slug, n = base, 1
        while db.session.scalar(sa.select(CaseStudy.id).where(CaseStudy.slug == slug)):
            n += 1
            slug = f"{base}-{n}"
        study.slug = slug
    db.session.flush()


def on_unpublish(study: CaseStudy) -> None:
    """Remove the study from the public index; its slug stays reserved; flush only."""
    db.session.flush()
