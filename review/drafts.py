"""Drafts: what a study still needs before it can be submitted, and saving the working copy."""

import functools

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from models import (
    CaseStudy,
    Link,
    Stakeholder,
    StudyAuthor,
    TimelineEvent,
    Topic,
    User,
    study_topics,
)
from models.base import db
from models.clock import utcnow
from models.enums import MARKDOWN_SECTIONS, ContentLanguage, Section, StudyState, UserKind
from review.audit import record
from review.errors import OperationError, Stale
from review.infra.markdown import render

SUMMARY_MAX = 400
POLITICAL_MIN = 150
TIMELINE_MIN = 2
STAKEHOLDERS_MIN = 1

# Sections an author must complete before submitting (SPEC §3); the rest are optional.
REQUIRED_SECTIONS = (
    Section.summary,
    Section.overview,
    Section.timeline,
    Section.political_environment,
    Section.stakeholders,
    Section.collaborative_governance,
    Section.outcomes,
)
# The key under which missing metadata is reported (not a Section: it is not a part of the text).
METADATA = "metadata"


def _metadata_missing(study: CaseStudy) -> list[str]:
    missing = []
    if not (study.title or "").strip():
        missing.append("a title")
    if not study.pillar_id:
        missing.append("a pillar")
    if not study.kind:
        missing.append("the kind (policy win or organizing example)")
    if not (study.place or "").strip():
        missing.append("the place")
    if not study.state_code:
        missing.append("the state")
    if not study.government_type:
        missing.append("the government type")
    return missing


def missing_sections(study: CaseStudy, counts: dict[str, int] | None = None) -> dict[str, str]:
    """Return {section value or "metadata": what is missing}; an empty dict means complete.

    Keys follow SPEC order, metadata first; each value is a sentence an author can act on.
    `counts` ({"timeline": n, "stakeholders": n}, see row_counts) stands in for the study's
    rows when the caller has just written them, so they need not be loaded.
    """
    counts = counts or {
        "timeline": len(study.timeline),
        "stakeholders": len(study.stakeholders),
    }
    missing: dict[str, str] = {}
    meta = _metadata_missing(study)
    if meta:
        missing[METADATA] = "Add " + ", ".join(meta) + "."
    summary = (study.summary or "").strip()
    if not summary:
        missing[Section.summary.value] = "Write a one- or two-sentence summary."
    elif len(summary) > SUMMARY_MAX:
        missing[Section.summary.value] = (
            f"Shorten the summary to {SUMMARY_MAX} characters (it has {len(summary)})."
        )
    if not (study.overview_md or "").strip():
        missing[Section.overview.value] = "Describe the policy or program: what was won or built."
    events = counts["timeline"]
    if events < TIMELINE_MIN:
        missing[Section.timeline.value] = (
            f"Add at least {TIMELINE_MIN} dated events (it has {events})."
        )
    political = len((study.political_environment_md or "").strip())
    if political < POLITICAL_MIN:
        missing[Section.political_environment.value] = (
            f"Write at least {POLITICAL_MIN} characters about the context, the opposition and "
            f"what made it possible (it has {political})."
        )
    if counts["stakeholders"] < STAKEHOLDERS_MIN:
        missing[Section.stakeholders.value] = "Add at least 1 stakeholder."
    if not (study.collaborative_governance_md or "").strip():
        missing[Section.collaborative_governance.value] = (
            "Describe how the community shared power in the work."
        )
    if not (study.outcomes_md or "").strip():
        missing[Section.outcomes.value] = "Describe the outcomes and impact."
    return missing


def is_complete(study: CaseStudy) -> bool:
    """Return whether every required section and the metadata are complete."""
    return not missing_sections(study)


# --- Saving the working copy ---------------------------------------------------------------


def create_draft(author, title: str, pillar_id: int) -> CaseStudy:
    """Start a draft with only a title and a pillar, authored by `author`; flush only."""
    study = CaseStudy(
        title=title.strip(),
        pillar_id=pillar_id,
        created_by_id=author.id,
        created_at=utcnow(),
        updated_at=utcnow(),
    )
    study.authors.append(StudyAuthor(user_id=author.id, position=0, is_submitter=True))
    db.session.add(study)
    db.session.flush()
    return study


def _topics(names: list[str]) -> list[Topic]:
    if not names:
        return []
    existing = {
        t.name: t for t in db.session.scalars(sa.select(Topic).where(Topic.name.in_(names)))
    }
    for name in names:
        if name in existing:
            continue
        # Another author may create the same new topic at the same moment: use theirs.
        try:
            with db.session.begin_nested():
                existing[name] = Topic(name=name)
                db.session.add(existing[name])
        except IntegrityError:
            existing[name] = db.session.scalar(sa.select(Topic).where(Topic.name == name))
    return [existing[name] for name in names]


# The lists a save rewrites, and the fields of each row in the order _stored_rows reads them.
ROWS = {
    "topics": None,
    "timeline": None,
    "stakeholders": ("name", "type", "role", "stance"),
    "links": ("label", "url"),
}


@functools.cache
def _stored_rows_query() -> sa.CompoundSelect:
    """Build (once) the statement _stored_rows runs, for the bound `study_id`."""
    text, study_id = sa.String, sa.bindparam("study_id", type_=sa.Integer)

    def part(kind: str, position, *columns, table, where):
        cells = [sa.cast(c, text) for c in columns] + [sa.null()] * (4 - len(columns))
        return (
            sa.select(
                sa.literal(kind, text).label("kind"),
                sa.cast(position, sa.Integer).label("position"),
                *(cell.label(f"c{i}") for i, cell in enumerate(cells)),
            )
            .select_from(table)
            .where(where)
        )

    return sa.union_all(
        part(
            "topics",
            0,
            Topic.name,
            table=sa.join(study_topics, Topic, study_topics.c.topic_id == Topic.id),
            where=study_topics.c.study_id == study_id,
        ),
        part(
            "timeline",
            TimelineEvent.position,
            TimelineEvent.year,
            TimelineEvent.month,
            TimelineEvent.day,
            TimelineEvent.description,
            table=TimelineEvent.__table__,
            where=TimelineEvent.study_id == study_id,
        ),
        part(
            "stakeholders",
            Stakeholder.position,
            Stakeholder.name,
            Stakeholder.type,
            Stakeholder.role,
            Stakeholder.stance,
            table=Stakeholder.__table__,
            where=Stakeholder.study_id == study_id,
        ),
        part(
            "links",
            Link.position,
            Link.label,
            Link.url,
            table=Link.__table__,
            where=Link.study_id == study_id,
        ),
    )


def _stored_rows(study_id: int) -> dict[str, list[tuple]]:
    """Return the study's topics, timeline, stakeholders and links as saved, in one statement.

    Each row is the (position, fields…) a save would write, every field as text (None for
    NULL), so that a save compares them with what was posted without loading the objects.
    """
    rows: dict[str, list[tuple]] = {name: [] for name in ROWS}
    for kind, position, *cells in db.session.execute(_stored_rows_query(), {"study_id": study_id}):
        rows[kind].append((position, *cells))
    for name in ROWS:
        rows[name].sort()
    return rows


def _as_stored(name: str, values: dict) -> list[tuple]:
    """Return the posted rows of list `name` as _stored_rows gives the saved ones."""

    def cells(row) -> tuple:
        return tuple(None if v is None else str(v) for v in row) + (None,) * (4 - len(row))

    if name == "topics":
        return sorted((0, *cells([topic])) for topic in dict.fromkeys(values["topics"]))
    fields = ROWS[name]
    rows = values[name] if fields is None else [[r[f] for f in fields] for r in values[name]]
    return [(i, *cells(row)) for i, row in enumerate(rows)]


def row_counts(values: dict) -> dict[str, int]:
    """Return the number of timeline events and stakeholders a save of `values` leaves."""
    return {"timeline": len(values["timeline"]), "stakeholders": len(values["stakeholders"])}


def save_draft(study: CaseStudy, values: dict, expected_version: int | None) -> CaseStudy:
    """Write the form's values into the working copy and render its Markdown; flush only.

    Raise Stale when `expected_version` (the version the person loaded) is not the
    study's current one; the database refuses a concurrent writer with StaleDataError.
    Only what changed is written: a list whose rows are as saved is left alone, and an
    unchanged section is not rendered again (its HTML is a function of its Markdown).
    """
    if expected_version is not None and expected_version != study.version:
        raise Stale()
    stored = _stored_rows(study.id)
    changed = {name for name in ROWS if _as_stored(name, values) != stored[name]}
    # Queried before any attribute is set: the query autoflushes.
    topics = _topics(values["topics"]) if "topics" in changed else None
    for name in (
        "title",
        "pillar_id",
        "kind",
        "place",
        "state_code",
        "government_type",
        "population_band",
        "year_start",
        "year_end",
    ):
        setattr(study, name, values[name])
    study.summary = (values.get("summary") or "").strip()
    study.summary_translation = (values.get("summary_translation") or "").strip()
    study.language = values.get("language") or ContentLanguage.en
    for section in MARKDOWN_SECTIONS:
        text = values.get(f"{section.value}_md") or ""
        if text == getattr(study, f"{section.value}_md") and (
            getattr(study, f"{section.value}_html") or not text
        ):
            continue
        setattr(study, f"{section.value}_md", text)
        setattr(study, f"{section.value}_html", render(text))
    if topics is not None:
        study.topics = topics
    if "timeline" in changed:
        study.timeline = [
            TimelineEvent(position=i, year=year, month=month, day=day, description=description)
            for i, (year, month, day, description) in enumerate(values["timeline"])
        ]
    if "stakeholders" in changed:
        study.stakeholders = [
            Stakeholder(position=i, **row) for i, row in enumerate(values["stakeholders"])
        ]
    if "links" in changed:
        study.links = [Link(position=i, **row) for i, row in enumerate(values["links"])]
    # Always touch the row so its version moves even when only child rows changed.
    study.updated_at = utcnow()
    db.session.flush()
    return study


def next_step(study: CaseStudy) -> str:
    """Say, in a few words, what the authors need to do next."""
    if study.state == StudyState.draft:
        missing = missing_sections(study)
        if missing:
            return f"Complete {len(missing)} more part{'s' if len(missing) != 1 else ''}"
        return "Ready to submit"
    return {
        StudyState.submitted: "Waiting for the co-chairs’ review",
        StudyState.in_review: "Waiting for the co-chairs’ review",
        StudyState.changes_requested: "Revise it and resubmit",
        StudyState.in_affirmation: "Open to the network for affirmation",
        StudyState.affirmed: "Waiting for staff to publish it",
        StudyState.published: "Published in the library",
        StudyState.declined: "Declined by the co-chairs",
        StudyState.withdrawn: "Withdrawn",
    }.get(study.state, "")


def studies_of(user) -> list[CaseStudy]:
    """Return the studies the person authors, most recently changed first."""
    return list(
        db.session.scalars(
            sa.select(CaseStudy)
            .join(StudyAuthor, StudyAuthor.study_id == CaseStudy.id)
            .where(StudyAuthor.user_id == user.id)
            .options(
                selectinload(CaseStudy.authors),  # the page asks who may edit each row
                selectinload(CaseStudy.timeline),
                selectinload(CaseStudy.stakeholders),
                selectinload(CaseStudy.pillar),
            )
            .order_by(CaseStudy.updated_at.desc(), CaseStudy.id.desc())
        )
    )


def topic_names() -> list[str]:
    """Return every existing topic, for suggestions."""
    return list(db.session.scalars(sa.select(Topic.name).order_by(Topic.name)))


# --- Co-authors ----------------------------------------------------------------------------


class CoauthorError(OperationError):
    """A co-author could not be added; the message says why."""


def add_coauthor(study: CaseStudy, email: str, actor) -> User:
    """Add the person with this email as a co-author and record it; flush only."""
    user = db.session.scalar(sa.select(User).where(User.email == email.strip().lower()))
    if user is None or not user.is_active:
        raise CoauthorError("No one with that email has an account. Ask staff to invite them.")
    if user.kind not in (UserKind.member, UserKind.partner):
        raise CoauthorError("Only members and partners can be co-authors.")
    if user.id in study.author_ids:
        raise CoauthorError(f"{user.name} is already an author.")
    position = max((a.position for a in study.authors), default=0) + 1
    # Added beside the study, not through it, so co-authors' open editors stay current.
    db.session.add(
        StudyAuthor(study_id=study.id, user_id=user.id, position=position, added_at=utcnow())
    )
    _record(study, actor, "coauthor_added", user)
    db.session.flush()
    db.session.expire(study, ["authors"])
    return user


def remove_coauthor(study: CaseStudy, user_id: int, actor) -> User:
    """Remove a co-author (never the submitter) and record it; flush only."""
    author = next((a for a in study.authors if a.user_id == user_id), None)
    if author is None:
        raise CoauthorError("That person is not an author of this study.")
    if author.is_submitter:
        raise CoauthorError("The submitter cannot be removed.")
    user = author.user
    db.session.delete(author)
    _record(study, actor, "coauthor_removed", user)
    db.session.flush()
    db.session.expire(study, ["authors"])
    return user


def _record(study: CaseStudy, actor, event: str, user: User) -> None:
    record(actor, event, study=study, comment=f"{user.name} <{user.email}>", user_id=user.id)
