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
from review import revisions
from review.audit import record
from review.errors import Stale
from review.infra.markdown import render
from review.library.folding import fold
from review.library.forgiving import (
    SYNONYMS_KEY,
    forget_vocabulary,
    parse_synonyms,
    vocabulary_words,
    write_vocabulary,
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
    bump_generation()


def on_unpublish(study: CaseStudy) -> None:
    """Remove the study from the public index; its slug stays reserved; flush only."""
    db.session.flush()
    db.session.execute(
        sa.text(f"DELETE FROM library_search WHERE {_index_key()} = :id"), {"id": study.id}
    )
    forget_vocabulary(study.id)
    bump_generation()


def reindex(study: CaseStudy) -> None:
    """Refresh the index after a staff correction of a published study; flush only."""
    db.session.flush()
    if study.state == StudyState.published:
        _write_index(study)
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
    study.corrected_at = utcnow()
    db.session.flush()
    revision = revisions.freeze(study, "correction", actor)
    record(
        actor,
        "correct",
        study=study,
        from_state=study.state,
        to_state=study.state,
        comment=note,
        revision=revision.number,
    )
    reindex(study)


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
    """Index the study's texts folded (accents, full-width forms), as searches are folded.

    PostgreSQL stems each study with its own language's configuration ('spanish' for a
    Spanish study) and its summary's translation with the other one. SQLite's FTS5 stems
    English (porter): Spanish text is written as its Spanish stems (review.library.stems),
    and the translation goes with the summary.
    """
    texts = index_texts(study)
    title, summary, body = (fold(text) for text in texts)
    translation = fold(study.summary_translation or "")
    write_vocabulary(study.id, vocabulary_words(title, summary, translation))
    language = study.language or ContentLanguage.en
    other = next(lang for lang in ContentLanguage if lang != language)
    params = {"id": study.id, "title": title, "summary": summary, "body": body}
    if _dialect() == "postgresql":
        db.session.execute(
            sa.text(
                "INSERT INTO library_search (study_id, document) VALUES (:id, "
                "setweight(to_tsvector(CAST(:config AS regconfig), :title), 'A') || "
                "setweight(to_tsvector(CAST(:config AS regconfig), :summary), 'B') || "
                "setweight(to_tsvector(CAST(:other AS regconfig), :translation), 'B') || "
                "setweight(to_tsvector(CAST(:config AS regconfig), :body), 'D')) "
                "ON CONFLICT (study_id) DO UPDATE SET document = excluded.document"
            ),
            {
                **params,
                "translation": translation,
                "config": language.search_config,
                "other": other.search_config,
            },
        )
    else:
        if language == ContentLanguage.es:
            params.update(zip(("title", "summary", "body"), map(spanish_text, texts), strict=True))
        else:
            translation = spanish_text(study.summary_translation or "")
        params["summary"] = f"{params['summary']} {translation}".strip()
        db.session.execute(sa.text("DELETE FROM library_search WHERE rowid = :id"), params)
        db.session.execute(
            sa.text(
                "INSERT INTO library_search (rowid, title, summary, body) "
                "VALUES (:id, :title, :summary, :body)"
            ),
            params,
        )


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
        for study in studies:
            _write_index(study)
        count, last = count + len(studies), studies[-1].id
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
