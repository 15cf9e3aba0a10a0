"""Drafts: what a study still needs before it can be submitted, and saving the working copy."""

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from models import (
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
    ContentLanguage,
    PopulationBand,
    Section,
    StudyState,
    UserKind,
)
from review.audit import record
from review.draft_rows import ROWS, as_stored, stored_rows
from review.errors import OperationError, Stale
from review.infra.markdown import render
from review.library.slugs import slug_problem

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
        missing.append(_("a pillar"))
    if not study.kind:
        missing.append(_("the kind (policy win or organizing example)"))
    if not (study.place or "").strip():
        missing.append(_("the place"))
    if not study.state_code:
        missing.append(_("the state"))
    if not study.government_type:
        missing.append(_("the government type"))
    return missing


def missing_sections(study: CaseStudy, counts: dict[str, int] | None = None) -> dict[str, str]:
    """Return {section value or "metadata": what is missing}; an empty dict means complete.

    Keys follow SPEC order, metadata first; each value is a sentence an author can act on.
    `counts` ({"timeline": n, "stakeholders": n}, see draft_rows.row_counts) stands in for the
    study's rows when the caller has just written them, so they need not be loaded.
    """
    counts = counts or {
        "timeline": len(study.timeline),
        "stakeholders": len(study.stakeholders),
    }
    missing: dict[str, str] = {}
    meta = _metadata_missing(study)
    if meta:
        missing[METADATA] = _("Add %(what)s.", what=", ".join(meta))
    summary = (study.summary or "").strip()
    if not summary:
        missing[Section.summary.value] = _("Write a one- or two-sentence summary.")
    elif len(summary) > SUMMARY_MAX:
        missing[Section.summary.value] = _(
            "Shorten the summary to %(max)s characters (it has %(length)s).",
            max=SUMMARY_MAX,
            length=len(summary),
        )
    if not (study.overview_md or "").strip():
        missing[Section.overview.value] = _(
            "Describe the policy or program: what was won or built."
        )
    events = counts["timeline"]
    if events < TIMELINE_MIN:
        missing[Section.timeline.value] = _(
            "Add at least %(min)s dated events (it has %(events)s).",
            min=TIMELINE_MIN,
            events=events,
        )
    political = len((study.political_environment_md or "").strip())
    if political < POLITICAL_MIN:
        missing[Section.political_environment.value] = _(
            "Write at least %(min)s characters about the context, the opposition and "
            "what made it possible (it has %(length)s).",
            min=POLITICAL_MIN,
            length=political,
        )
    if counts["stakeholders"] < STAKEHOLDERS_MIN:
        missing[Section.stakeholders.value] = _("Add at least 1 stakeholder.")
    if not (study.collaborative_governance_md or "").strip():
        missing[Section.collaborative_governance.value] = _(
            "Describe how the community shared power in the work."
        )
    if not (study.outcomes_md or "").strip():
        missing[Section.outcomes.value] = _("Describe the outcomes and impact.")
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
    existing = topics_by_name(names)
    return [existing[name] for name in names]


def topics_by_name(names) -> dict[str, Topic]:
    """Return the topics of these names, creating those that do not exist (one query for
    all, and a savepoint per new one); flush only."""
    names = list(dict.fromkeys(names))
    if not names:
        return {}
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
    return existing


def _secondary_pillars(ids: list[int], primary_id: int) -> list[Pillar]:
    """Return the pillars of `ids` but the primary one, in the pillars' order."""
    wanted = {i for i in ids if i != primary_id}
    if not wanted:
        return []
    return list(
        db.session.scalars(sa.select(Pillar).where(Pillar.id.in_(wanted)).order_by(Pillar.position))
    )


def save_draft(study: CaseStudy, values: dict, expected_version: int | None) -> CaseStudy:
    """Write the form's values into the working copy and render its Markdown; flush only.

    Raise Stale when `expected_version` (the version the person loaded) is not the
    study's current one; the database refuses a concurrent writer with StaleDataError.
    Only what changed is written: a list whose rows are as saved is left alone, and an
    unchanged section is not rendered again (its HTML is a function of its Markdown).
    """
    if expected_version is not None and expected_version != study.version:
        raise Stale()
    slug = values.get("slug", study.slug)
    if slug and slug != study.slug and (problem := slug_problem(slug, study)):
        raise OperationError(_("This address %(problem)s.", problem=problem), "slug")
    stored = stored_rows(study.id)
    changed = {name for name in ROWS if name in values and as_stored(name, values) != stored[name]}
    # Queried before any attribute is set: the queries autoflush.
    topics = _topics(values["topics"]) if "topics" in changed else None
    secondary = (
        _secondary_pillars(values["secondary_pillar_ids"], values["pillar_id"])
        if "secondary_pillar_ids" in changed
        else None
    )
    fill(study, values, changed, topics, secondary, slug)
    # Always touch the row so its version moves even when only child rows changed.
    study.updated_at = utcnow()
    db.session.flush()
    return study


def fill(
    study: CaseStudy,
    values: dict,
    changed: set[str],
    topics: list[Topic] | None,
    secondary: list[Pillar] | None,
    slug: str | None,
) -> None:
    """Set the form's values on the study (the lists in `changed`, topics and secondary
    pillars when given, resolved), rendering changed Markdown; no statement of its own.

    The editor's save and the import (which builds whole studies before one flush) share it.
    """
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
    study.population = values.get("population")
    if study.population is not None:
        study.population_band = PopulationBand.of(study.population)
    if secondary is not None:
        study.secondary_pillars = secondary
    study.slug = slug
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


def next_step(study: CaseStudy) -> str:
    """Say, in a few words, what the authors need to do next."""
    if study.state == StudyState.draft:
        missing = missing_sections(study)
        if missing:
            return ngettext(
                "Complete %(num)s more part", "Complete %(num)s more parts", len(missing)
            )
        return _("Ready to submit")
    return {
        StudyState.submitted: _("Waiting for the co-chairs’ review"),
        StudyState.in_review: _("Waiting for the co-chairs’ review"),
        StudyState.changes_requested: _("Revise it and resubmit"),
        StudyState.in_affirmation: _("Open to the network for affirmation"),
        StudyState.affirmed: _("Waiting for staff to publish it"),
        StudyState.published: _("Published in the library"),
        StudyState.declined: _("Declined by the co-chairs"),
        StudyState.withdrawn: _("Withdrawn"),
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
        raise CoauthorError(_("No one with that email has an account. Ask staff to invite them."))
    if user.kind not in (UserKind.member, UserKind.partner):
        raise CoauthorError(_("Only members and partners can be co-authors."))
    if user.id in study.author_ids:
        raise CoauthorError(_("%(name)s is already an author.", name=user.name))
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
        raise CoauthorError(_("That person is not an author of this study."))
    if author.is_submitter:
        raise CoauthorError(_("The submitter cannot be removed."))
    user = author.user
    db.session.delete(author)
    _record(study, actor, "coauthor_removed", user)
    db.session.flush()
    db.session.expire(study, ["authors"])
    return user


def _record(study: CaseStudy, actor, event: str, user: User) -> None:
    record(actor, event, study=study, comment=f"{user.name} <{user.email}>", user_id=user.id)
