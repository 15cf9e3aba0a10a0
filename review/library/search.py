"""The library's search: the query parsed from the URL, full-text matching, facet conditions and
the page of results (the cards themselves are review/library/cards.py's).

A library page costs at most three statements whatever its size: the library generation, the
page of results (topics folded in), and — unless cached for this generation — the facet counts
and total in one UNION ALL. That last statement also reads the completions of the search's
last word (review.library.forgiving), which are cached with the counts, so the page of results
matches them as literal words.
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
from review.library.forgiving import (
    Clause,
    Synonyms,
    clauses,
    completing,
    completions,
    fts5_alternatives,
    fts5_query,
    search_terms,
    tsquery_text,
    with_completions,
)
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
    # The vocabulary's completions of the last word, read with the facet counts (None: not
    # read yet, so a statement that matches the search reads them itself).
    completions: tuple[str, ...] | None = field(default=None, compare=False, repr=False)

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


def _found(query: Query) -> tuple[list[Clause], str | None]:
    """Return the clauses of a search, its last word completed when the completions are known,
    and the word the statement must complete itself (read from the vocabulary), or None."""
    found = clauses(query.q, query.synonyms)
    if query.completions is not None:
        return with_completions(found, query.completions), None
    return found, completing(found)


def completion_words(query: Query) -> sa.Select | None:
    """Return the select of the completions a statement must read for this search, or None."""
    _clauses, word = _found(query)
    return completions(word) if word else None


def _inline(text: str):
    # Written into the statement, not bound: PostgreSQL plans the words it is given, never a
    # generic plan for any words (psycopg prepares a statement run often). The text is letters,
    # digits and the engines' operators only; the literal is quoted by the dialect all the same.
    return sa.literal(text, sa.String(), literal_execute=True)


def _tsquery(query: Query):
    """The search in every language a study may be written in: English and Spanish studies
    are indexed with their own stemmer (review.library.publishing), so "presupuestos" finds a
    Spanish "presupuesto" and "budgets" an English "budget"; to_tsquery stems the completions
    of the last word alike."""
    found, word = _found(query)
    if word is None:
        text = _inline(tsquery_text(found))
    else:
        head = tsquery_text(found[:-1])
        w = completions(word).subquery("completions").c.word
        tail = sa.select(sa.func.aggregate_strings(sa.literal(" | ") + w, "")).scalar_subquery()
        opened = _inline((head + " & " if head else "") + "(" + word)
        text = opened + sa.func.coalesce(tail, "") + ")"
    parts = [
        sa.func.to_tsquery(sa.literal_column(f"'{lang.search_config}'::regconfig"), text)
        for lang in ContentLanguage
    ]
    return parts[0].op("||")(parts[1])


def _fts_match(query: Query):
    """Return the FTS5 query of a search (see review.library.forgiving), each word also as
    its Spanish stem, as SQLite indexes Spanish text (review.library.stems): a string, or an
    expression that reads the last word's completions (with their stems) in the statement."""
    found, word = _found(query)
    found = with_spanish_stems(found)
    if word is None:
        return fts5_query(found)
    head = fts5_query(found[:-1])
    w = completions(word).subquery("completions").c.word
    quoted = sa.literal(' OR "') + w + '" OR "' + sa.func.spanish_stem(w) + '"'
    tail = sa.select(sa.func.aggregate_strings(quoted, "")).scalar_subquery()
    opened = (head + " AND " if head else "") + "(" + " OR ".join(fts5_alternatives(found[-1]))
    return sa.literal(opened) + sa.func.coalesce(tail, "") + ")"


PG_INDEX = sa.table("library_search", sa.column("study_id"), sa.column("document"))
SQLITE_INDEX = sa.table("library_search", sa.column("rowid"))
SQLITE_TABLE = sa.literal_column("library_search")


def _hits(query: Query, ranked: bool = True, materialized: bool = False):
    """Return a subquery (study_id, rank) of the studies matching the search words, or None;
    unranked (rank 0) when only membership matters, as for the facet counts.

    `materialized`: on PostgreSQL a MATERIALIZED CTE, so that the matches (at most
    RANK_CANDIDATES when ranked) are found and ranked once, before they are joined to the
    studies and sorted, whatever the planner guesses of the words' frequency.
    """
    if not search_terms(query.q):
        return None
    if _dialect() == "postgresql":
        tsquery = _tsquery(query)
        rank = sa.func.ts_rank(PG_INDEX.c.document, tsquery) if ranked else sa.literal(0.0)
        hits = sa.select(PG_INDEX.c.study_id, rank.label("rank")).where(
            PG_INDEX.c.document.op("@@")(tsquery)
        )
        if materialized:
            return hits.cte("hits").prefix_with("MATERIALIZED")
        return hits.subquery("hits")
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
    # FTS5 seeks a rowid within each word's list, so this is cheap per study: every word is
    # exact (a prefix would merge the lists of all the words it begins, at every study).
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
        hits = _hits(query, ranked=query.sort == "relevance", materialized=True)
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
