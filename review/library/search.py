"""The library's search: the query parsed from the URL, full-text matching, facet conditions and
the page of results (the cards themselves are review/library/cards.py's).

A library page costs at most three statements whatever its size: the library generation, the
page of results (topics folded in), and — unless cached for this generation — the facet counts
and total in one UNION ALL.
"""

import re
from dataclasses import dataclass, field
from urllib.parse import urlencode

import sqlalchemy as sa
from flask import request
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from models import (
    CaseStudy,
    Pillar,
    Topic,
    study_pillars,
    study_topics,
)
from models.base import db
from models.enums import (
    US_STATES,
    ContentLanguage,
    GovernmentType,
    PopulationBand,
    StudyKind,
    StudyState,
)
from review.library.cards import Card, card_select, cards_of
from review.library.facet_counts import YEAR
from review.library.forgiving import Synonyms, clauses, fts5_query, search_terms, tsquery_text
from review.library.publishing import _dialect
from review.library.stems import with_spanish_stems

PER_PAGE = 20
MAX_PER_PAGE = 100
MAX_PAGE = 10_000
SORTS = ("relevance", "newest")
# A search matching more studies than this lists them newest first instead of ranking them,
# so that its cost stays bounded however common the word.
RANK_CANDIDATES = 2000
FACETS = ("pillar", "kind", "state", "government", "population", "language", "topic", "year")


# ------------------------------------------------------------------ the query


# URL arguments left out when they have these values.
DEFAULTS = {"sort": "relevance", "page": 1, "per_page": PER_PAGE}


@dataclass(frozen=True)
class Query:
    """What a visitor asked the library for; it lives in the URL."""

    q: str = ""
    pillar: str = ""
    kind: str = ""
    state: str = ""
    government: str = ""
    population: str = ""
    language: str = ""
    topic: str = ""
    year: int | None = None
    sort: str = "relevance"
    page: int = 1
    per_page: int = PER_PAGE
    # The synonym groups in force (staff's list), read with the library generation; not a
    # part of the URL, and a change of them starts a new generation.
    synonyms: Synonyms = field(default=(), compare=False, repr=False)

    @property
    def filters(self) -> dict[str, str]:
        """Return the facet filters in force, by facet name."""
        out = {name: getattr(self, name) for name in FACETS if getattr(self, name)}
        if "year" in out:
            out["year"] = str(out["year"])
        return out

    def args(self, **changes) -> dict:
        """Return URL arguments for this query with `changes` (None removes); page resets."""
        out = {"q": self.q, **self.filters, "sort": self.sort, "page": 1, "per_page": self.per_page}
        out.update(changes)
        return {k: v for k, v in out.items() if v not in (None, "") and DEFAULTS.get(k) != v}

    def without(self, name: str) -> dict:
        return self.args(**{name: None})

    def href(self, **changes) -> str:
        """Return the library URL of this query with `changes`, cheaply (pages list hundreds)."""
        args = self.args(**changes)
        return f"{request.script_root}/library" + ("?" + urlencode(args) if args else "")

    @property
    def cache_key(self) -> tuple:
        return (
            self.q.strip().lower(),
            self.pillar,
            self.kind,
            self.state,
            self.government,
            self.population,
            self.language,
            self.topic,
            self.year,
        )


def parse_query(args: MultiDict, strict: bool = False) -> tuple[Query, dict[str, str]]:
    """Read a Query from URL arguments; return it and the errors of arguments it dropped.

    The library page forgives (trims, upper-cases state codes, ignores empty values); the API
    is `strict`, so that it accepts exactly what its OpenAPI document describes.
    """
    errors: dict[str, str] = {}
    values: dict = {}
    q = args.get("q") or ""
    if not strict:
        q = q.strip()
    if len(q) > 200:
        errors["q"] = _("must be at most 200 characters")
        q = q[:200]
    values["q"] = q.strip()
    choices = {
        "kind": {k.value for k in StudyKind},
        "government": {g.value for g in GovernmentType},
        "population": {b.value for b in PopulationBand},
        "language": {lang.value for lang in ContentLanguage},
        "state": set(US_STATES),
        "sort": set(SORTS),
    }
    for name in (
        "pillar",
        "kind",
        "state",
        "government",
        "population",
        "language",
        "topic",
        "sort",
    ):
        value = args.get(name)
        if value is None:
            continue
        if not strict:
            value = value.strip().upper() if name == "state" else value.strip()
            if not value:
                continue
        if name in choices and value not in choices[name]:
            errors[name] = f"unknown value {value[:40]!r}"
        elif not value or len(value) > 80 or "\x00" in value:
            errors[name] = "must be 1 to 80 characters of text"
        else:
            values[name] = value
    for name, low, high in (
        ("year", 1900, 2100),
        ("page", 1, MAX_PAGE),
        ("per_page", 1, MAX_PER_PAGE),
    ):
        raw = args.get(name)
        if raw is None or (not strict and not raw.strip()):
            continue
        raw = raw if strict else raw.strip()
        if not re.fullmatch(r"[0-9]{1,9}", raw):
            errors[name] = _("must be a whole number")
            continue
        number = int(raw)
        if not low <= number <= high:
            errors[name] = f"must be between {low} and {high}"
            continue
        values[name] = number
    return Query(**values), errors


def _tsquery(query: Query):
    """The search in every language a study may be written in: English and Spanish studies
    are indexed with their own stemmer (review.library.publishing), so "presupuestos" finds a
    Spanish "presupuesto" and "budgets" an English "budget"."""
    text = tsquery_text(clauses(query.q, query.synonyms))
    parts = [
        sa.func.to_tsquery(sa.literal_column(f"'{lang.search_config}'::regconfig"), text)
        for lang in ContentLanguage
    ]
    return parts[0].op("||")(parts[1])


def _fts_match(query: Query) -> str:
    """Return the FTS5 query of a search (see review.library.forgiving), each word also as
    its Spanish stem, as SQLite indexes Spanish text (review.library.stems)."""
    return fts5_query(with_spanish_stems(clauses(query.q, query.synonyms)))


PG_INDEX = sa.table("library_search", sa.column("study_id"), sa.column("document"))
SQLITE_INDEX = sa.table("library_search", sa.column("rowid"))
SQLITE_TABLE = sa.literal_column("library_search")


def _hits(query: Query, ranked: bool = True):
    """Return a subquery (study_id, rank) of the studies matching the search words, or None;
    unranked (rank 0) when only membership matters, as for the facet counts."""
    if not search_terms(query.q):
        return None
    if _dialect() == "postgresql":
        tsquery = _tsquery(query)
        rank = sa.func.ts_rank(PG_INDEX.c.document, tsquery) if ranked else sa.literal(0.0)
        return (
            sa.select(PG_INDEX.c.study_id, rank.label("rank"))
            .where(PG_INDEX.c.document.op("@@")(tsquery))
            .subquery("hits")
        )
    # bm25 is lower for better matches; negate so that higher ranks first everywhere.
    rank = -sa.func.bm25(SQLITE_TABLE, 10.0, 5.0, 1.0) if ranked else sa.literal(0.0)
    return (
        sa.select(SQLITE_INDEX.c.rowid.label("study_id"), rank.label("rank"))
        .where(SQLITE_TABLE.op("MATCH")(_fts_match(query)))
        .subquery("hits")
    )


def _matches(query: Query):
    """Return a per-study condition "matches the search words", for walking the newest
    studies first and stopping at a page's worth (a word found in most studies)."""
    if _dialect() == "postgresql":
        return sa.exists().where(
            PG_INDEX.c.study_id == CaseStudy.id, PG_INDEX.c.document.op("@@")(_tsquery(query))
        )
    # FTS5 seeks a rowid within each word's list, so this is cheap per study.
    return sa.exists().where(
        SQLITE_TABLE.op("MATCH")(_fts_match(query)), SQLITE_INDEX.c.rowid == CaseStudy.id
    )


def _conditions(query: Query) -> list:
    conds = [CaseStudy.state == StudyState.published]
    if query.pillar:
        # A study belongs to its primary pillar and to each of its secondary ones.
        pillar_id = sa.select(Pillar.id).where(Pillar.slug == query.pillar).scalar_subquery()
        conds.append(
            sa.or_(
                CaseStudy.pillar_id == pillar_id,
                CaseStudy.id.in_(
                    sa.select(study_pillars.c.study_id).where(
                        study_pillars.c.pillar_id == pillar_id
                    )
                ),
            )
        )
    if query.kind:
        conds.append(CaseStudy.kind == StudyKind(query.kind))
    if query.state:
        conds.append(CaseStudy.state_code == query.state)
    if query.government:
        conds.append(CaseStudy.government_type == GovernmentType(query.government))
    if query.population:
        conds.append(CaseStudy.population_band == PopulationBand(query.population))
    if query.language:
        conds.append(CaseStudy.language == ContentLanguage(query.language))
    if query.year:
        conds.append(YEAR.__eq__(query.year))
    if query.topic:
        conds.append(
            CaseStudy.id.in_(
                sa.select(study_topics.c.study_id)
                .join(Topic, Topic.id == study_topics.c.topic_id)
                .where(Topic.name == query.topic)
            )
        )
    return conds


def results(query: Query, total: int = 0) -> list[Card]:
    """Return one page of cards for a query, in one statement.

    A search matching more than RANK_CANDIDATES studies (`total`, from the facet counts) is
    not ranked: ranking every match of a word found almost everywhere costs more than it
    tells, so it lists the newest matches first (see `ranked`).
    """
    newest = (CaseStudy.published_at.desc(), CaseStudy.id.desc())
    # First the page's ids (cheap columns only), then the cards of those ids alone, so the
    # topics of a card are looked up 20 times, not once per match.
    ids = sa.select(CaseStudy.id, CaseStudy.published_at).where(*_conditions(query))
    if not search_terms(query.q):
        ids = ids.add_columns(sa.literal(0.0).label("rank")).order_by(*newest)
    elif not ranked(query, total):
        ids = ids.add_columns(sa.literal(0.0).label("rank")).where(_matches(query))
        ids = ids.order_by(*newest)
    else:
        hits = _hits(query, ranked=query.sort == "relevance")
        ids = ids.add_columns(hits.c.rank).join(hits, hits.c.study_id == CaseStudy.id)
        ids = ids.order_by(hits.c.rank.desc(), *newest)
    page = ids.limit(query.per_page).offset((query.page - 1) * query.per_page).subquery("page")
    stmt = (
        card_select()
        .join(page, page.c.id == CaseStudy.id)
        .order_by(page.c.rank.desc(), page.c.published_at.desc(), page.c.id.desc())
    )
    return cards_of(db.session.execute(stmt))


def ranked(query: Query, total: int) -> bool:
    """Whether a search's results are ranked (a bounded number of matches)."""
    return bool(search_terms(query.q)) and total <= RANK_CANDIDATES
