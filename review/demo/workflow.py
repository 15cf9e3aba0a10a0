"""Demo case studies in every state of the workflow, moved there by the workflow itself.

Registered in review.demo.AFTER_PEOPLE: each study is written as a draft, then submitted,
reviewed, answered, resubmitted, affirmed, published, declined or withdrawn through
review.workflow.apply, so its history and notifications are those a real one would have.
"""

import sqlalchemy as sa

from models import (
    AffirmationWindow,
    CaseStudy,
    Pillar,
    Stakeholder,
    StudyAuthor,
    TimelineEvent,
    Topic,
    User,
)
from models.base import db
from models.clock import utcnow
from models.enums import StakeholderType as T
from models.enums import Stance, StudyState
from review import reviews, workflow
from review.demo.studies import STUDIES
from review.infra.markdown import render


def _sections(place: str, what: str) -> dict:
    return {
        "overview": f"{place} won **{what}**. The measure passed after two years of organizing "
        "and is now administered by a standing city office with its own budget line.",
        "political_environment": f"In {place} the governing body was divided and the "
        "executive was lukewarm. Business groups warned about costs at every hearing; a "
        "coalition of neighborhood groups, unions and faith congregations answered with "
        "residents' own stories and a detailed fiscal note. Local press coverage moved two "
        "undecided members.",
        "collaborative_governance": "Residents sat on the working group that drafted the "
        "measure, and a community oversight board meets monthly to review the results.",
        "equity": "Outreach began in the neighborhoods with the highest need, with materials "
        "in four languages and stipends for participants' time.",
        "outcomes": "The first year met its targets; an independent evaluation is under way.",
        "lessons": "Build the coalition before the bill; bring data and people to every "
        "hearing; plan the implementation budget with the policy.",
    }


def _topic(name: str) -> Topic:
    found = db.session.scalar(sa.select(Topic).where(Topic.name == name))
    return found or Topic(name=name)


def _draft(row, people: dict, pillars: list) -> CaseStudy:
    (
        _,
        pillar,
        author,
        coauthor,
        kind,
        title,
        place,
        state,
        gov,
        pop,
        years,
        topics,
        summary,
        what,
    ) = row
    now = utcnow()
    values = dict(
        title=title,
        pillar_id=pillars[pillar - 1].id,
        kind=kind,
        place=place,
        state_code=state,
        government_type=gov,
        population_band=pop,
        year_start=years[0],
        year_end=years[1],
        summary=summary,
        created_by_id=people[author].id,
        created_at=now,
        updated_at=now,
    )
    for key, text in _sections(place, what).items():
        values[f"{key}_md"] = text
        values[f"{key}_html"] = render(text)
    study = CaseStudy(**values)
    study.authors.append(StudyAuthor(user_id=people[author].id, position=0, is_submitter=True))
    if coauthor:
        study.authors.append(StudyAuthor(user_id=people[coauthor].id, position=1))
    study.timeline = [
        TimelineEvent(
            position=0,
            year=years[0],
            month=2,
            day=None,
            description="Coalition forms and holds its first community meeting",
        ),
        TimelineEvent(
            position=1,
            year=years[0],
            month=9,
            day=12,
            description="First public hearing; more than 200 residents attend",
        ),
        TimelineEvent(position=2, year=years[1], month=4, day=3, description="Final vote passes"),
    ]
    study.stakeholders = [
        Stakeholder(
            position=0,
            name=f"{place} Neighbors United",
            type=T.community_organisation,
            role="Led the campaign",
            stance=Stance.ally,
        ),
        Stakeholder(
            position=1,
            name="Central Labor Council",
            type=T.labor_union,
            role="Turned out members to hearings",
            stance=Stance.ally,
        ),
        Stakeholder(
            position=2,
            name=f"{place} Chamber of Commerce",
            type=T.business,
            role="Testified against it",
            stance=Stance.opposed,
        ),
    ]
    study.topics = [_topic(t) for t in topics]
    db.session.add(study)
    db.session.flush()
    return study


def _review_all(study: CaseStudy, recommendation: str, **data) -> None:
    """Have the pillar's co-chairs review until the round is decided."""
    for chair in reviews.eligible_reviewers(study):
        if study.state not in (StudyState.submitted, StudyState.in_review):
            return
        workflow.apply(study, "review", chair, recommendation=recommendation, **data)


ASK = [
    {
        "section": "timeline",
        "level": "required",
        "body": "Add when the ordinance took effect and when the first projects were built.",
    },
    {
        "section": "outcomes",
        "level": "required",
        "body": "Give numbers: how many homes were permitted under the new rules?",
    },
    {
        "section": "lessons",
        "level": "suggestion",
        "body": "Say what you would do differently about the parking fight.",
    },
]


def seed_workflow() -> None:
    """Create demo studies in every state, moving each there through the workflow."""
    people = {u.email: u for u in db.session.scalars(sa.select(User))}
    pillars = list(db.session.scalars(sa.select(Pillar).order_by(Pillar.position)))
    staff = people["staff@example.org"]
    now = utcnow()
    for row in STUDIES:
        target = row[0]
        study = _draft(row, people, pillars)
        author = people[row[2]]
        if target == StudyState.draft:
            study.outcomes_md = study.outcomes_html = ""  # still being written
            continue
        if target == StudyState.withdrawn:
            workflow.apply(study, "submit", author)
            workflow.apply(
                study,
                "withdraw",
                author,
                comment="We will resubmit after the first full year of results.",
            )
            continue
        workflow.apply(study, "submit", author)
        if target == StudyState.submitted:
            continue
        if target == StudyState.in_review:
            chair = reviews.eligible_reviewers(study)[0]
            workflow.apply(
                study,
                "review",
                chair,
                recommendation="approve",
                overall="A model others can copy; the timeline is exemplary.",
            )
            continue
        if target == StudyState.declined:
            _review_all(
                study,
                "decline",
                overall="This is a feasibility study, not yet a win "
                "or an organizing example others can replicate. Please bring it back "
                "when the bank is chartered.",
            )
            continue
        if target == StudyState.changes_requested:
            _review_all(
                study, "request_changes", overall="Strong story; it needs numbers.", items=ASK
            )
            first = reviews.feedback_items(reviews.current_round(study))[0]
            reviews.save_responses(
                study,
                author,
                {first.id: "Added the effective date (Jan 2020) and the first permits."},
            )
            continue
        if target == StudyState.published:
            _review_all(
                study,
                "request_changes",
                overall="Please add the recovery figures.",
                items=[
                    {
                        "section": "outcomes",
                        "level": "required",
                        "body": "How much in back wages was recovered, and for whom?",
                    }
                ],
            )
            rnd = reviews.current_round(study)
            reviews.save_responses(
                study,
                author,
                {
                    it.id: "Added: $1.1 million for 640 workers."
                    for it in reviews.feedback_items(rnd)
                },
            )
            study.outcomes_md = "Recovered $1.1 million in back wages for 640 workers in two years."
            study.outcomes_html = render(study.outcomes_md)
            workflow.apply(study, "resubmit", author, comment="Added the recovery figures.")
        _review_all(study, "approve", overall="Clear, complete and replicable.")
        if target == StudyState.in_affirmation:
            continue
        window = db.session.scalar(
            sa.select(AffirmationWindow).where(AffirmationWindow.study_id == study.id)
        )
        window.closed_at, window.result = now, "affirmed"
        window.affirm_count, window.object_count = 18, 2
        workflow.apply(
            study, "close_affirmation", None, affirmed=True, affirm_count=18, object_count=2
        )
        if target == StudyState.published:
            workflow.apply(study, "publish", staff)
    db.session.flush()
