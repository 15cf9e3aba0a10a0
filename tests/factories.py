"""Factories for test data that many test modules share. Each flushes and commits."""

import sqlalchemy as sa

from models import CaseStudy, Pillar, Stakeholder, StudyAuthor, TimelineEvent, Topic, moving_state
from models.base import db
from models.clock import utcnow
from models.enums import GovernmentType, PopulationBand, StakeholderType, Stance, StudyKind
from review.infra.markdown import render

POLITICAL = (
    "The council was split 5–4 and the mayor opposed the measure at first. A coalition of "
    "tenant unions and faith groups packed three hearings, and a local paper's series on "
    "evictions moved two swing votes. The landlord association spent heavily against it."
)


def complete_study(author, pillar: Pillar | None = None, coauthors=(), **fields) -> CaseStudy:
    """Return a committed draft with every required section complete, authored by `author`."""
    pillar = pillar or db.session.scalar(sa.select(Pillar).order_by(Pillar.position))
    texts = {
        "overview": "We won a **right to counsel** for every tenant facing eviction.",
        "political_environment": POLITICAL,
        "collaborative_governance": "Tenants co-wrote the ordinance with council staff.",
        "equity": "Black and Latina women are most often evicted; outreach started there.",
        "outcomes": "Evictions fell by a third in the first year.",
        "lessons": "Start with the data; bring tenants to every hearing.",
    }
    values = dict(
        title="Right to counsel for tenants",
        pillar_id=pillar.id,
        kind=StudyKind.policy_win,
        place="Takoma Park",
        state_code="MD",
        government_type=GovernmentType.city,
        population_band=PopulationBand.from_10k_to_50k,
        year_start=2021,
        year_end=2023,
        summary="Takoma Park guaranteed a lawyer to every tenant facing eviction.",
        created_by_id=author.id,
        created_at=utcnow(),
    )
    for key, text in texts.items():
        values[f"{key}_md"] = text
        values[f"{key}_html"] = render(text)
    values.update(fields)
    with moving_state("tests"):
        study = CaseStudy(**values)
    study.authors.append(StudyAuthor(user_id=author.id, position=0, is_submitter=True))
    for i, co in enumerate(coauthors, start=1):
        study.authors.append(StudyAuthor(user_id=co.id, position=i))
    study.timeline = [
        TimelineEvent(position=0, year=2021, month=3, day=None, description="Tenant union forms"),
        TimelineEvent(position=1, year=2022, month=6, day=14, description="Council passes bill"),
    ]
    study.stakeholders = [
        Stakeholder(
            position=0,
            name="Takoma Tenants United",
            type=StakeholderType.community_organisation,
            role="Led the campaign",
            stance=Stance.ally,
        ),
    ]
    topic = db.session.scalar(sa.select(Topic).where(Topic.name == "housing"))
    study.topics = [topic or Topic(name="housing")]
    db.session.add(study)
    db.session.commit()
    return study
