"""The library card: one published study as a card, a feed entry or an API list item, and the
one SELECT that builds cards (its topics and its lead image's card-sized copy folded in)."""

from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from models import (
    CaseStudy,
    ImageRendition,
    LeadImage,
    Pillar,
    Topic,
    study_pillars,
    study_topics,
)
from models.enums import ContentLanguage, GovernmentType, StudyKind, StudyState
from review.images import CARD
from review.library.publishing import _dialect


def _joined(column):
    """The values of `column` over a subquery's rows, separated by '|'."""
    if _dialect() == "postgresql":
        return sa.func.string_agg(column, sa.literal_column("'|'"))
    return sa.func.group_concat(column, "|")


def _topic_names():
    """A correlated subquery listing a study's topics, separated by '|'."""
    return (
        sa.select(_joined(Topic.name))
        .select_from(study_topics.join(Topic, Topic.id == study_topics.c.topic_id))
        .where(study_topics.c.study_id == CaseStudy.id)
        .scalar_subquery()
    )


def _secondary_pillar_names():
    """A correlated subquery listing a study's secondary pillars as position:name, by '|'."""
    other = aliased(Pillar)
    entry = sa.cast(other.position, sa.String()) + sa.literal(":") + other.name
    return (
        sa.select(_joined(entry))
        .select_from(study_pillars.join(other, other.id == study_pillars.c.pillar_id))
        .where(study_pillars.c.study_id == CaseStudy.id)
        .scalar_subquery()
    )


def _by_position(joined: str | None) -> list[str]:
    entries = [e.partition(":") for e in joined.split("|")] if joined else []
    return [name for _position, _colon, name in sorted(entries, key=lambda e: int(e[0] or 0))]


@dataclass
class Card:
    """One study as a library card, a feed entry or an API list item."""

    id: int
    slug: str
    title: str
    summary: str
    kind: StudyKind | None
    place: str
    state_code: str
    government_type: GovernmentType | None
    population_band: object
    population: int | None
    year_start: int | None
    year_end: int | None
    published_at: object
    corrected_at: object
    pillar_slug: str
    pillar_name: str
    topics: list[str] = field(default_factory=list)
    # The other pillars the study belongs to, in the pillars' order.
    secondary_pillars: list[str] = field(default_factory=list)
    language: ContentLanguage = ContentLanguage.en
    # The lead image's card-sized copy: its attachment, description and size (or None).
    image_id: int | None = None
    image_alt: str = ""
    image_width: int | None = None
    image_height: int | None = None

    @property
    def years(self) -> str:
        if self.year_start and self.year_end and self.year_end != self.year_start:
            return f"{self.year_start}–{self.year_end}"
        return str(self.year_end or self.year_start or "")


CARD_COLUMNS = (
    CaseStudy.id,
    CaseStudy.slug,
    CaseStudy.title,
    CaseStudy.summary,
    CaseStudy.kind,
    CaseStudy.place,
    CaseStudy.state_code,
    CaseStudy.government_type,
    CaseStudy.population_band,
    CaseStudy.population,
    CaseStudy.year_start,
    CaseStudy.year_end,
    CaseStudy.published_at,
    CaseStudy.corrected_at,
    Pillar.slug,
    Pillar.name,
)


# The card's picture: the lead image's card-sized copy, when the study has one.
IMAGE_COLUMNS = (
    LeadImage.attachment_id,
    LeadImage.alt_text,
    ImageRendition.width,
    ImageRendition.height,
)


def cards_of(rows) -> list[Card]:
    out = []
    for row in rows:
        *values, language, image_id, alt, width, height, topics, secondary = row
        card = Card(
            *values,
            topics=sorted(topics.split("|")) if topics else [],
            secondary_pillars=_by_position(secondary),
            language=language,
        )
        if width is not None:
            card.image_id, card.image_alt = image_id, alt
            card.image_width, card.image_height = width, height
        out.append(card)
    return out


def card_select(conditions=(), hits=None):
    """Return a SELECT of Card rows (with topics) of published studies matching conditions."""
    stmt = (
        sa.select(
            *CARD_COLUMNS,
            CaseStudy.language,
            *IMAGE_COLUMNS,
            _topic_names().label("topics"),
            _secondary_pillar_names().label("secondary_pillars"),
        )
        .join(Pillar, Pillar.id == CaseStudy.pillar_id)
        .outerjoin(LeadImage, LeadImage.study_id == CaseStudy.id)
        .outerjoin(
            ImageRendition,
            sa.and_(
                ImageRendition.attachment_id == LeadImage.attachment_id,
                ImageRendition.max_width == CARD,
            ),
        )
    )
    if hits is not None:
        stmt = stmt.join(hits, hits.c.study_id == CaseStudy.id)
    return stmt.where(CaseStudy.state == StudyState.published, *conditions)
