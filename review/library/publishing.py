"""The library's side of publishing: stable public slugs, staff corrections, and the search index
of published studies.

The index lives in `library_search` (migration 0002): an FTS5 table in SQLite, a tsvector with a
GIN index in PostgreSQL. Only published studies are written to it, and every query also checks
the study's state, so nothing unpublished can leak through a stale row.
"""

import uuid

import sqlalchemy as sa
from flask import current_app

from models import (
    CaseStudy,
    Setting,
    User,
)
from models.base import db
from models.clock import utcnow
from models.enums import MARKDOWN_SECTIONS, US_STATES, ContentLanguage, StudyState
from review import images, revisions
from review.audit import record
from review.errors import Stale
from review.infra.markdown import render
from review.library import facet_counts
from review.library.folding import fold
from review.library.forgiving import (
    SYNONYMS_KEY,
    forget_vocabulary,
    parse_synonyms,
    rebuild_vocabulary,
    vocabulary_words,
    write_vocabularies,
)
from review.library.slugs import suggest_slug
from review.library.stems import spanish_text

GENERATION_KEY = "library_generation"

# ------------------------------------------------------------------ slugs and the index


def public_url(path: str) -> str:
    """Return the absolute public address of a path of this site (feeds, API, sharing)."""
    return current_app.config["PUBLIC_BASE_URL"] + path


def public_slug(study: CaseStudy) -> str:
    """Return a free slug made of the study's place and title (see review.library.slugs)."""
    return suggest_slug(study)


def on_publish(study: CaseStudy) -> None:
    """Fix the study's public slug (place and title, unique, stable) and index it; flush only."""
    if study.slug is None:
        study.slug = public_slug(study)
    db.session.flush()
    _write_index(study)
    facet_counts.refresh([study.id])
    bump_generation()


def on_unpublish(study: CaseStudy) -> None:
    """Remove the study from the public index; its slug stays reserved; flush only."""
    db.session.flush()
    db.session.execute(
        sa.text(f"DELETE FROM library_search WHERE {_index_key()} = :id"), {"id": study.id}
    )
    forget_vocabulary(study.id)
    facet_counts.refresh([study.id], counted=False)
    bump_generation()


def reindex(study: CaseStudy) -> None:
    """Refresh the index after a staff correction of a published study; flush only."""
    db.session.flush()
    if study.state == StudyState.published:
        _write_index(study)
    facet_counts.refresh([study.id], counted=study.state == StudyState.published)
    bump_generation()


def correct(study: CaseStudy, values: dict, actor: User, note: str, expected_version: int) -> None:
    """Apply a staff correction to a published study: a new revision, "last updated", the
    index refreshed and an audit event; flush only."""
    if expected_version != study.version:
        raise Stale()
    study.title = values["title"].strip()
    study.summary = values["summary"].strip()
    for section in MARKDOWN_SECTIONS:
        text = values.get(f"{section.value}_md") or ""
        setattr(study, f"{section.value}_md", text)
        setattr(study, f"{section.value}_html", render(text))
    _corrected(study, actor, "correct", comment=note)
    reindex(study)


def set_lead_image(
    study: CaseStudy, attachment, alt_text: str, caption: str, credit: str, actor: User
) -> None:
    """Staff choose a published study's lead image among its PNG and JPEG files, described: a
    correction like any other (a new revision, "last updated", an audit event); flush only.

    Raise review.images.ImageError naming the field (alt text missing, not a picture…).
    """
    images.choose(study, attachment, alt_text, caption, credit)
    _corrected(
        study,
        actor,
        "lead_image_set",
        comment=f"Lead image: {attachment.filename}",
        data={"attachment_id": attachment.id},
    )


def _corrected(study: CaseStudy, actor: User, event: str, **audit) -> None:
    """What every correction of a published study writes: "last updated", a new revision and
    the audit event naming it; flush only."""
    study.corrected_at = utcnow()
    db.session.flush()
    revision = revisions.freeze(study, "correction", actor)
    record(
        actor,
        event,
        study=study,
        from_state=study.state,
        to_state=study.state,
        revision=revision.number,
        **audit,
    )


def _index_key() -> str:
    return "study_id" if _dialect() == "postgresql" else "rowid"


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def index_texts(study: CaseStudy) -> tuple[str, str, str]:
    """Return the (title, summary, body) the index holds for a study."""
    summary = " ".join(
        [study.summary or "", study.place or "", US_STATES.get(study.state_code, "")]
        + [t.name for t in study.topics]
    )
    body = [getattr(study, f"{s.value}_md") or "" for s in MARKDOWN_SECTIONS]
    body += [e.description for e in study.timeline]
    body += [f"{s.name} {s.role}" for s in study.stakeholders]
    body += [link.label for link in study.links]
    return study.title or "", summary, "\n".join(body)


def _write_index(study: CaseStudy) -> None:
    _write_indexes([study])


def _write_indexes(studies: list[CaseStudy]) -> None:
    """Index the studies' texts folded (accents, full-width forms), as searches are folded; a
    statement or two for them all.

    PostgreSQL stems each study with its own language's configuration ('spanish' for a
    Spanish study) and its summary's translation with the other one. SQLite's FTS5 stems
    English (porter): Spanish text is written as its Spanish stems (review.library.stems),
    and the translation goes with the summary.
    """
    rows, vocabulary = [], {}
    postgres = _dialect() == "postgresql"
    for study in studies:
        texts = index_texts(study)
        title, summary, body = (fold(text) for text in texts)
        translation = fold(study.summary_translation or "")
        vocabulary[study.id] = vocabulary_words(title, summary, translation)
        language = study.language or ContentLanguage.en
        other = next(lang for lang in ContentLanguage if lang != language)
        params = {"id": study.id, "title": title, "summary": summary, "body": body}
        if postgres:
            params |= {
                "translation": translation,
                "config": language.search_config,
                "other": other.search_config,
            }
        else:
            if language == ContentLanguage.es:
                params.update(
                    zip(("title", "summary", "body"), map(spanish_text, texts), strict=True)
                )
            else:
                translation = spanish_text(study.summary_translation or "")
            params["summary"] = f"{params['summary']} {translation}".strip()
        rows.append(params)
    if not rows:
        return
    write_vocabularies(vocabulary)
    if postgres:
        db.session.execute(
            sa.text(
                "INSERT INTO library_search (study_id, document) VALUES (:id, "
                "setweight(to_tsvector(CAST(:config AS regconfig), :title), 'A') || "
                "setweight(to_tsvector(CAST(:config AS regconfig), :summary), 'B') || "
                "setweight(to_tsvector(CAST(:other AS regconfig), :translation), 'B') || "
                "setweight(to_tsvector(CAST(:config AS regconfig), :body), 'D')) "
                "ON CONFLICT (study_id) DO UPDATE SET document = excluded.document"
            ),
            rows,
        )
    else:
        ids = ", ".join(str(int(r["id"])) for r in rows)
        db.session.execute(sa.text(f"DELETE FROM library_search WHERE rowid IN ({ids})"))
        db.session.execute(
            sa.text(
                "INSERT INTO library_search (rowid, title, summary, body) "
                "VALUES (:id, :title, :summary, :body)"
            ),
            rows,
        )


def on_import(studies: list[CaseStudy]) -> None:
    """Index a batch of studies just imported as published, count them in the facets and
    start a new library generation, once for the batch; flush only."""
    db.session.flush()
    _write_indexes(studies)
    facet_counts.refresh([s.id for s in studies])
    bump_generation()


def bump_generation() -> None:
    """Mark every cached facet count stale; a fresh token, so concurrent bumps never collide."""
    row = db.session.get(Setting, GENERATION_KEY)
    token = uuid.uuid4().hex
    if row is None:
        db.session.add(Setting(key=GENERATION_KEY, value=token))
    else:
        row.value = token
    db.session.flush()


def reindex_all(batch: int = 500) -> int:
    """Rewrite the index rows of every published study (after a change of how text is
    indexed); flush only. Return how many."""
    count, last = 0, 0
    while True:
        studies = db.session.scalars(
            sa.select(CaseStudy)
            .where(CaseStudy.state == StudyState.published, CaseStudy.id > last)
            .order_by(CaseStudy.id)
            .limit(batch)
        ).all()
        if not studies:
            break
        _write_indexes(studies)
        count, last = count + len(studies), studies[-1].id
    rebuild_vocabulary()
    facet_counts.rebuild()
    bump_generation()
    return count


def set_synonyms(text: str, actor: User) -> None:
    """Store staff's synonym list, recorded, and start a new library generation; flush only."""
    text = (text or "").replace("\r\n", "\n").strip() + "\n"
    row = db.session.get(Setting, SYNONYMS_KEY)
    if row is None:
        db.session.add(Setting(key=SYNONYMS_KEY, value=text))
    else:
        row.value = text
    record(
        actor,
        "synonyms_changed",
        comment="Library synonyms changed",
        data={"groups": len(parse_synonyms(text))},
    )
    bump_generation()
