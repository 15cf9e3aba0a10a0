"""Public addresses of studies: a slug suggested from the place and the title (accents
transliterated), changed by staff, unique, and every former slug kept as a permanent redirect.

The transliteration is review.library.folding (NFKD, accents dropped); apostrophes vanish so
that "Prince George’s County" reads `prince-georges-county`; letters beyond a–z are left out.
"""

import re

import sqlalchemy as sa
from flask_babel import gettext as _

from models import CaseStudy, SlugRedirect, User
from models.base import db
from models.clock import utcnow
from review.audit import record
from review.library.folding import words as folded_words

MAX_LENGTH = 80
# Addresses of the library's own pages (review/views/library.py): never a study's.
RESERVED = {"slug-check", "suggest"}
SLUG_PATTERN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


class SlugError(ValueError):
    """A slug that cannot be used, with the reason in words."""


def slugify(text: str, max_length: int = MAX_LENGTH) -> str:
    """Return a URL slug of text: lower-case ASCII words joined by hyphens, cut at a word."""
    words = re.findall(r"[a-z0-9]+", " ".join(folded_words(text)))
    slug = ""
    for word in words:
        candidate = f"{slug}-{word}" if slug else word
        if len(candidate) > max_length:
            break
        slug = candidate
    return slug or (words[0][:max_length] if words else "study")


def base_slug(title: str, place: str) -> str:
    """Return the slug of a place and title, before any number makes it unique."""
    title_slug = slugify(title or "")
    place_slug = slugify(place) if place else ""
    if not place_slug or title_slug.startswith(place_slug):
        return title_slug
    return slugify(f"{place_slug}-{title_slug}")


def suggest_slug(study: CaseStudy) -> str:
    """Return a free slug made of the study's place and title: `stockton-guaranteed-income`."""
    base = base_slug(study.title, study.place)
    slug, n = base, 1
    while slug in RESERVED or slug_owner(slug) not in (None, study.id):
        n += 1
        slug = f"{base}-{n}"
    return slug


def slug_owner(slug: str) -> int | None:
    """Return the id of the study that holds this slug, now or as a former one, or None."""
    found = db.session.scalar(sa.select(CaseStudy.id).where(CaseStudy.slug == slug))
    if found is None:
        found = db.session.scalar(
            sa.select(SlugRedirect.study_id).where(SlugRedirect.old_slug == slug)
        )
    return found


def slug_owners(slugs) -> dict[str, tuple[int, str, str]]:
    """Return, for each of these slugs that a study holds now or held before, that study's
    (id, title, current slug): two statements for any number of slugs."""
    slugs = sorted({s for s in slugs if s})
    if not slugs:
        return {}
    found = {
        old: (study_id, title, current)
        for old, study_id, title, current in db.session.execute(
            sa.select(SlugRedirect.old_slug, CaseStudy.id, CaseStudy.title, CaseStudy.slug)
            .join(CaseStudy, CaseStudy.id == SlugRedirect.study_id)
            .where(SlugRedirect.old_slug.in_(slugs))
        )
    }
    for study_id, title, current in db.session.execute(
        sa.select(CaseStudy.id, CaseStudy.title, CaseStudy.slug).where(CaseStudy.slug.in_(slugs))
    ):
        found[current] = (study_id, title, current)
    return found


def slug_problem(
    slug: str, study: CaseStudy | None = None, owners: dict | None = None
) -> str | None:
    """Return why a slug cannot be used for the study (None if it can). `owners` (from
    slug_owners) spares the lookup of who holds it."""
    if not slug:
        return _("is required")
    if len(slug) > MAX_LENGTH:
        return _(
            "must be at most %(max)s characters (it has %(length)s)",
            max=MAX_LENGTH,
            length=len(slug),
        )
    if not SLUG_PATTERN.fullmatch(slug):
        return _("may hold only lower-case letters a–z, digits and single hyphens between words")
    if slug in RESERVED:
        return _("“%(slug)s” is the address of one of the library's own pages", slug=slug)
    owner = slug_owner(slug) if owners is None else owners.get(slug, (None,))[0]
    if owner is not None and (study is None or owner != study.id):
        return _("“%(slug)s” is already the address of another case study", slug=slug)
    return None


def change_slug(study: CaseStudy, slug: str, actor: User) -> bool:
    """Give a published study a new slug; the old one redirects forever. Flush only.

    Return False if the slug is the current one. Raise SlugError if it cannot be used.
    """
    slug = (slug or "").strip()
    if slug == study.slug:
        return False
    if problem := slug_problem(slug, study):
        raise SlugError(problem)
    old = study.slug
    # Taking back a former slug: it is the address again, so it no longer redirects.
    db.session.execute(sa.delete(SlugRedirect).where(SlugRedirect.old_slug == slug))
    if old:
        db.session.add(SlugRedirect(old_slug=old, study_id=study.id, created_at=utcnow()))
    study.slug = slug
    record(
        actor,
        "slug_changed",
        study=study,
        from_state=study.state,
        to_state=study.state,
        comment=f"{old} → {slug}",
        data={"from": old, "to": slug},
    )
    return True


def redirect_target(slug: str) -> str | None:
    """Return the current slug of the study a former slug belonged to, or None."""
    return db.session.scalar(
        sa.select(CaseStudy.slug)
        .join(SlugRedirect, SlugRedirect.study_id == CaseStudy.id)
        .where(SlugRedirect.old_slug == slug)
    )
