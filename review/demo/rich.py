"""Rich case studies, one in every workflow state, each with everything a study can carry.

Every section written, four timeline events (a year, a month, a day), a stakeholder of every
type, links, a PDF, a PNG and a lead image (a JPEG photograph, described), an exact population,
a second pillar, a co-author, two decided review rounds with feedback items and
the authors' responses, affirmation votes, objections and comments, and (once published) a
staff correction. Each study gets there through review.workflow.apply, as a real one does.

`flask seed-demo` adds them to the demo, so what a newcomer clicks is what the render sweep
(tests/sweep.py) requests for every role: both build them with seed_rich().
"""

import io
from dataclasses import dataclass, field

import sqlalchemy as sa
from PIL import Image, ImageDraw
from werkzeug.datastructures import FileStorage

from models import (
    AffirmationWindow,
    CaseStudy,
    Link,
    Pillar,
    Stakeholder,
    StudyAuthor,
    TimelineEvent,
    Topic,
    User,
)
from models.base import db
from models.clock import utcnow
from models.enums import (
    MARKDOWN_SECTIONS,
    GovernmentType,
    PopulationBand,
    StakeholderType,
    Stance,
    StudyKind,
    StudyState,
)
from review import affirmation, attachments, images, library, reviews, workflow
from review.infra.markdown import render

# The smallest files the content check accepts as a PDF and a PNG.
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32

TEXTS = {
    "overview": "{place} won **a right to counsel** for every tenant facing eviction: a "
    "lawyer paid by the city from the first notice, in six languages.\n\n"
    "- Funded from the general fund\n- Run by a nonprofit legal services provider",
    "political_environment": "The council was split 5–4 and the mayor opposed the measure at "
    "first. A coalition of tenant unions and faith groups packed three hearings, and a local "
    "paper's series on evictions moved two swing votes. The landlord association spent "
    "heavily against it, and a ballot challenge was threatened but never filed.",
    "collaborative_governance": "Tenants co-wrote the ordinance with council staff, and a "
    "tenant board with a budget of its own oversees the program.",
    "equity": "Black and Latina women are most often evicted; outreach started where they "
    "live, with door-knocking in the evenings and childcare at every meeting.",
    "outcomes": "Evictions fell by a third in the first year; 4 in 5 represented tenants "
    "stayed in their homes.",
    "lessons": "Start with the data; bring tenants to every hearing; budget for "
    "implementation before the vote.",
}
TIMELINE = [
    (2019, None, None, "The tenant union forms after a wave of no-fault evictions"),
    (2020, 4, None, "First public hearing; more than 200 residents attend"),
    (2021, 6, 14, "The council passes the ordinance, 5–4"),
    (2022, 1, 3, "The first tenants are represented in court"),
]
STANCES = [Stance.ally, Stance.neutral, Stance.opposed]
LINKS = [
    ("The ordinance as passed", "https://example.org/ordinance.pdf"),
    ("First-year evaluation", "https://example.org/evaluation"),
]
ASK = [
    ("timeline", "required", "Add when the program started taking cases."),
    ("outcomes", "required", "Give the numbers for the first year."),
    ("lessons", "suggestion", "Say what you would do differently about the budget fight."),
]


@dataclass
class Cast:
    """The people of the rich studies: two authors, the pillar's co-chairs, the network."""

    author: User
    coauthor: User
    chairs: list[User]  # co-chairs of the pillar, at least two (the default quorum)
    voters: list[User]  # members who are not authors, at least three
    partner: User
    staff: User
    studies: dict[StudyState, CaseStudy] = field(default_factory=dict)
    returned: CaseStudy | None = None  # back in review after affirmation, with objections


def _draft(cast: Cast, pillar: Pillar, title: str, place: str) -> CaseStudy:
    now = utcnow()
    study = CaseStudy(
        title=title,
        pillar_id=pillar.id,
        kind=StudyKind.policy_win,
        place=place,
        state_code="MD",
        # Data as the real pages have it: an exact population, a second pillar (below), and a
        # government type that only a consolidated city-county has.
        government_type=GovernmentType.consolidated_city_county,
        population=33_782,
        population_band=PopulationBand.of(33_782),
        year_start=2019,
        year_end=2022,
        summary=f"{place} guaranteed a lawyer to every tenant facing eviction.",
        created_by_id=cast.author.id,
        created_at=now,
        updated_at=now,
    )
    for section in MARKDOWN_SECTIONS:
        text = TEXTS[section.value].format(place=place)
        setattr(study, f"{section.value}_md", text)
        setattr(study, f"{section.value}_html", render(text))
    study.authors = [
        StudyAuthor(user_id=cast.author.id, position=0, is_submitter=True),
        StudyAuthor(user_id=cast.coauthor.id, position=1),
    ]
    study.timeline = [
        TimelineEvent(position=i, year=y, month=m, day=d, description=text)
        for i, (y, m, d, text) in enumerate(TIMELINE)
    ]
    study.stakeholders = [
        Stakeholder(
            position=i,
            name=f"{kind.label} of {place}",
            type=kind,
            role="Testified at every hearing and organised its members",
            stance=STANCES[i % len(STANCES)],
        )
        for i, kind in enumerate(StakeholderType)
    ]
    study.links = [Link(position=i, label=lb, url=url) for i, (lb, url) in enumerate(LINKS)]
    study.secondary_pillars = list(
        db.session.scalars(
            sa.select(Pillar).where(Pillar.id != pillar.id).order_by(Pillar.position).limit(1)
        )
    )
    names = ["housing", "tenants' rights"]
    found = {t.name: t for t in db.session.scalars(sa.select(Topic).where(Topic.name.in_(names)))}
    study.topics = [found.get(n) or Topic(name=n) for n in names]
    db.session.add(study)
    db.session.flush()
    for name, content in (("evaluation.pdf", PDF), ("eviction-chart.png", PNG)):
        upload = FileStorage(io.BytesIO(content), filename=name)
        attachments.add_attachment(study, upload, cast.author)
    upload = FileStorage(io.BytesIO(_photograph()), filename="council-chamber.jpg")
    picture = attachments.add_attachment(study, upload, cast.author)
    images.choose(
        study,
        picture,
        f"Tenants filling the {place} council chamber on the night of the vote",
        caption="The council chamber, 14 June 2021",
        credit="Photo: Tenant union archive",
    )
    return study


def _photograph() -> bytes:
    """Return a small JPEG with a camera's EXIF, as a phone's photograph has (it is stripped)."""
    picture = Image.new("RGB", (1600, 900), (60, 110, 160))
    ImageDraw.Draw(picture).rectangle((200, 500, 1400, 900), fill=(200, 160, 90))
    exif = Image.Exif()
    exif[0x010F] = "Demo Camera"
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=80, exif=exif.tobytes())
    return out.getvalue()


def _round(cast: Cast, study: CaseStudy, recommendation: str, overall: str) -> None:
    """Have the first co-chairs review with feedback items until the round is decided."""
    items = [{"section": s, "level": lv, "body": b} for s, lv, b in ASK]
    for chair in cast.chairs:
        if study.state not in (StudyState.submitted, StudyState.in_review):
            return
        workflow.apply(
            study, "review", chair, recommendation=recommendation, overall=overall, items=items
        )


def _answer_and_resubmit(cast: Cast, study: CaseStudy) -> None:
    rnd = reviews.current_round(study)
    answers = {it.id: f"Done: {it.body.lower()}" for it in reviews.feedback_items(rnd)}
    reviews.save_responses(study, cast.author, answers)
    workflow.apply(study, "resubmit", cast.coauthor, comment="Added the figures you asked for.")


def _vote_and_comment(cast: Cast, study: CaseStudy, objections: bool = True) -> AffirmationWindow:
    window = affirmation.latest_window(study)
    first, *others = cast.voters
    affirmation.cast_vote(window, first, "affirm")
    for voter in others:
        if objections:
            affirmation.cast_vote(window, voter, "object", "The outcomes need a source.")
        else:
            affirmation.cast_vote(window, voter, "affirm")
    comment = affirmation.post_comment(window, cast.partner, "Our members can vouch for this.")
    affirmation.post_comment(window, cast.author, "Thank you: the evaluation is attached.", comment)
    affirmation.post_comment(window, first, "Could the budget be given per tenant?")
    return window


def _affirm(study: CaseStudy, window: AffirmationWindow) -> None:
    """Close the vote as affirmed (the demo has fewer voters than the minimum)."""
    counts = affirmation.tally(window)
    window.closed_at, window.result = utcnow(), "affirmed"
    window.affirm_count, window.object_count = counts.affirm, counts.object
    workflow.apply(
        study,
        "close_affirmation",
        None,
        affirmed=True,
        affirm_count=counts.affirm,
        object_count=counts.object,
    )


def _correct(cast: Cast, study: CaseStudy) -> None:
    values = {"title": study.title, "summary": study.summary}
    for section in MARKDOWN_SECTIONS:
        values[f"{section.value}_md"] = getattr(study, f"{section.value}_md")
    values["outcomes_md"] += "\n\nCorrected: the second-year figures are now final."
    library.correct(study, values, cast.staff, "Second-year figures", study.version)


def seed_rich(cast: Cast, pillar: Pillar, prefix: str = "Rich") -> Cast:
    """Create one rich study in every state (and one returned after affirmation); flush only.

    Fills cast.studies ({state: study}) and cast.returned, and returns the cast.
    """
    for state in StudyState:
        study = _draft(cast, pillar, f"{prefix}: right to counsel ({state.label})", "Takoma Park")
        cast.studies[state] = study
        if state == StudyState.draft:
            continue
        workflow.apply(study, "submit", cast.author)
        _round(cast, study, "request_changes", "Strong story; it needs numbers.")
        _answer_and_resubmit(cast, study)
        if state in (StudyState.submitted, StudyState.in_review, StudyState.changes_requested):
            _round(cast, study, "request_changes", "Nearly there: one more pass.")
            if state == StudyState.changes_requested:
                first = reviews.feedback_items(reviews.current_round(study))[0]
                reviews.save_responses(study, cast.coauthor, {first.id: "Added the start."})
                continue
            _answer_and_resubmit(cast, study)
            if state == StudyState.in_review:
                workflow.apply(
                    study, "review", cast.chairs[0], recommendation="approve", overall="Ready."
                )
            continue
        if state == StudyState.declined:
            _round(cast, study, "decline", "Not yet a win others can replicate.")
            continue
        if state == StudyState.withdrawn:
            workflow.apply(study, "withdraw", cast.author, comment="Back after year two.")
            continue
        _round(cast, study, "approve", "Clear, complete and replicable.")
        window = _vote_and_comment(cast, study)
        if state == StudyState.in_affirmation:
            continue
        _affirm(study, window)
        if state == StudyState.published:
            workflow.apply(study, "publish", cast.staff)
            _correct(cast, study)
    returned = _draft(cast, pillar, f"{prefix}: returned after affirmation", "Hyattsville")
    workflow.apply(returned, "submit", cast.author)
    _round(cast, returned, "request_changes", "Strong story; it needs numbers.")
    _answer_and_resubmit(cast, returned)
    _round(cast, returned, "approve", "Clear, complete and replicable.")
    affirmation.close(_vote_and_comment(cast, returned))
    cast.returned = returned
    db.session.flush()
    return cast


def seed_demo_rich() -> None:
    """The demo's rich studies (review.demo.AFTER_PEOPLE): pillar 1, its three co-chairs."""
    people = {u.email: u for u in db.session.scalars(sa.select(User))}
    pillar = db.session.scalar(sa.select(Pillar).order_by(Pillar.position))
    cast = Cast(
        author=people["member20@example.org"],
        coauthor=people["member21@example.org"],
        chairs=[people[f"cochair{i}@example.org"] for i in (1, 2)],
        voters=[people[f"member{i}@example.org"] for i in (22, 23, 24)],
        partner=people["partner3@example.org"],
        staff=people["staff@example.org"],
    )
    seed_rich(cast, pillar, prefix="Example")
