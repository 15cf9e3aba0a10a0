"""The real run of an import (review.staff.imports): the checked rows created as published
studies, a batch at a time.

Each study is built whole in memory (its authors, topics, pillars and lists resolved from
lookups made once per batch), then the batch is flushed at once, frozen as revision 1, audited,
indexed and counted in the facets with one refresh: the statements per row stay bounded
however long the file (tests/test_import_speed.py).
"""

from models import CaseStudy, Pillar, StudyAuthor, User, moving_state
from models.base import db
from models.clock import utcnow
from models.enums import StudyState, UserKind
from review import accounts, drafts, library, revisions
from review.audit import record
from review.draft_rows import ROWS
from review.staff.import_attachments import attach

BATCH = 200


def create_all(
    checked: list,
    actor: User,
    source: str,
    people: dict,
    pillars: dict[int, Pillar],
    invite: bool,
    bundle=None,
) -> list[CaseStudy]:
    """Create every checked row (each has `values`, `authors`, `result`, `files`…), their
    files taken from `bundle` (a .zip's); flush only."""
    made = []
    for start in range(0, len(checked), BATCH):
        batch = checked[start : start + BATCH]
        made += _create_batch(batch, actor, source, people, pillars, invite, bundle)
    return made


def _create_batch(batch, actor, source, people, pillars, invite, bundle) -> list[CaseStudy]:
    new = {}
    for row in batch:
        for email, name in row.authors:
            if people.get(email) is None and (name or email not in new):
                new[email] = name or email.split("@")[0]
    for person in accounts.create_unclaimed(list(new.items()), UserKind.member):
        people[person.email] = person
        if invite:
            accounts.send_invitation(person, actor)
    topics = drafts.topics_by_name(t for row in batch for t in row.values["topics"])
    studies = [_build(row, people, pillars, topics) for row in batch]
    db.session.add_all(studies)
    db.session.flush()
    for row, study in zip(batch, studies, strict=True):
        if row.files is not None:
            # Stored before the revision is frozen, so revision 1 holds them too.
            attach(study, row.files, bundle, actor)
    for row, study in zip(batch, studies, strict=True):
        result = row.result
        result.study_id = study.id
        revisions.new_revision(study, "import", actor, 1)
        record(
            actor,
            "imported",
            study=study,
            to_state=StudyState.published,
            comment=f"Imported from {source} (row {result.row}) by {actor.name}",
            data={"source": source, "row": result.row, "slug": result.slug},
            revision=1,
            flush=False,
        )
    library.on_import(studies)
    return studies


def _build(row, people: dict, pillars: dict[int, Pillar], topics: dict) -> CaseStudy:
    """Return the row's study, whole and unflushed (nothing left for a lazy load to read)."""
    values, slug = row.values, row.result.slug
    published = row.published_at or utcnow()
    authors = [people[email] for email, _name in row.authors]
    # Created where the review already ended elsewhere; it never passed through this workflow.
    with moving_state("imports"):
        study = CaseStudy(
            title=values["title"],
            pillar=pillars[values["pillar_id"]],
            created_by_id=authors[0].id,
            state=StudyState.published,
            slug=slug,
            published_at=published,
            first_published_at=published,
            affirmed_at=row.affirmed_at or published,
            state_changed_at=published,
            created_at=utcnow(),
            updated_at=utcnow(),
            attachments=[],
            lead_image=None,
        )
    study.authors = [
        StudyAuthor(user=person, user_id=person.id, position=i, is_submitter=i == 0)
        for i, person in enumerate(authors)
    ]
    primary = values["pillar_id"]
    secondary = sorted(
        (pillars[i] for i in set(values.get("secondary_pillar_ids") or []) if i != primary),
        key=lambda p: p.position,
    )
    drafts.fill(study, values, set(ROWS), [topics[t] for t in values["topics"]], secondary, slug)
    return study
