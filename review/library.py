"""The public library: stable slugs, the search index of published studies, and the queries
behind the library page, the feeds and the API.

The index lives in `library_search` (migration 0002): an FTS5 table in SQLite, a tsvector with a
GIN index in PostgreSQL. Only published studies are written to it, and every query also checks
the study's state, so nothing unpublished can leak through a stale row.

A library page costs at most three statements whatever its size: the library generation, the
page of results (topics folded in), and — unless cached for this generation — the facet counts
and total in one UNION ALL.
"""

import re
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from threading import Lock
from urllib.parse import urlencode

import sqlalchemy as sa
from flask import current_app, request
from sqlalchemy.orm import selectinload
from werkzeug.datastructures import MultiDict

from models import (
    AuditEvent,
    CaseStudy,
    Pillar,
    Setting,
    StudyAuthor,
    Topic,
    User,
    study_topics,
)
from models.clock import utcnow
from models.enums import MARKDOWN_SECTIONS, US_STATES, GovernmentType, StudyKind, StudyState
from review import revisions
from review.extensions import db
from review.markdown import render

PER_PAGE = 20
MAX_PER_PAGE = 100
MAX_PAGE = 10_000
SORTS = ("relevance", "newest")
# A search matching more studies than this lists them newest first instead of ranking them,
# so that its cost stays bounded however common the word.
RANK_CANDIDATES = 2000
GENERATION_KEY = "library_generation"
FACETS = ("pillar", "kind", "state", "government", "topic", "year")
# The year a study is filed under: the year the work concluded, else the year it began.
YEAR = sa.func.coalesce(CaseStudy.year_end, CaseStudy.year_start)


# ------------------------------------------------------------------ slugs and the index


def public_url(path: str) -> str:
    """Return the absolute public address of a path of this site (feeds, API, sharing)."""
    return current_app.config["PUBLIC_BASE_URL"] + path


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:80].strip("-") or "study"


def public_slug(study: CaseStudy) -> str:
    """Return a free slug made of the study's place and first topic (or title)."""
    topic = study.topics[0].name if study.topics else study.title
    base = slugify(f"{study.place}-{topic}" if study.place else topic)
    slug, n = base, 1
    while db.session.scalar(
        sa.select(CaseStudy.id).where(CaseStudy.slug == slug, CaseStudy.id != study.id)
    ):
        n += 1
        slug = f"{base}-{n}"
    return slug


def on_publish(study: CaseStudy) -> None:
    """Fix the study's public slug (place-topic, unique, stable) and index it; flush only."""
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
    bump_generation()


def reindex(study: CaseStudy) -> None:
    """Refresh the index after a staff correction of a published study; flush only."""
    db.session.flush()
    if study.state == StudyState.published:
        _write_index(study)
    bump_generation()


class StaleStudy(Exception):
    """The study changed since the person loaded it."""


def correct(study: CaseStudy, values: dict, actor: User, note: str, expected_version: int) -> None:
    """Apply a staff correction to a published study: a new revision, "last updated", the
    index refreshed and an audit event; flush only."""
    if expected_version != study.version:
        raise StaleStudy()
    study.title = values["title"].strip()
    study.summary = values["summary"].strip()
    for section in MARKDOWN_SECTIONS:
        text = values.get(f"{section.value}_md") or ""
        setattr(study, f"{section.value}_md", text)
        setattr(study, f"{section.value}_html", render(text))
    study.corrected_at = utcnow()
    db.session.flush()
    revision = revisions.freeze(study, "correction", actor)
    db.session.add(AuditEvent(
        actor_id=actor.id, study_id=study.id, event="correct", from_state=study.state.value,
        to_state=study.state.value, comment=note, data={"revision": revision.number},
        created_at=utcnow(),
    ))  # fmt: skip
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
    title, summary, body = index_texts(study)
    params = {"id": study.id, "title": title, "summary": summary, "body": body}
    if _dialect() == "postgresql":
        db.session.execute(
            sa.text(
                "INSERT INTO library_search (study_id, document) VALUES (:id, "
                "setweight(to_tsvector('english', :title), 'A') || "
                "setweight(to_tsvector('english', :summary), 'B') || "
                "setweight(to_tsvector('english', :body), 'D')) "
                "ON CONFLICT (study_id) DO UPDATE SET document = excluded.document"
            ),
            params,
        )
    else:
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
    topic: str = ""
    year: int | None = None
    sort: str = "relevance"
    page: int = 1
    per_page: int = PER_PAGE

    @property
    def filters(self) -> dict[str, str]:
        """Return the facet filters in force, by facet name."""
        out = {name: getattr(self, name) for name in FACETS if getattr(self, name)}
        if "year" in out:
            out["year"] = str(out["year"])
        return out

    def args(self, **changes) -> dict:
        """Return URL arguments for this query with `changes` (None removes); page resets."""
        out = {"q": self.q, **self.filters, "sort": self.sort, "page": 1,
               "per_page": self.per_page}  # fmt: skip
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
        return (self.q.strip().lower(), self.pillar, self.kind, self.state, self.government,
                self.topic, self.year)  # fmt: skip


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
        errors["q"] = "must be at most 200 characters"
        q = q[:200]
    values["q"] = q.strip()
    choices = {
        "kind": {k.value for k in StudyKind},
        "government": {g.value for g in GovernmentType},
        "state": set(US_STATES),
        "sort": set(SORTS),
    }
    for name in ("pillar", "kind", "state", "government", "topic", "sort"):
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
            errors[name] = "must be a whole number"
            continue
        number = int(raw)
        if not low <= number <= high:
            errors[name] = f"must be between {low} and {high}"
            continue
        values[name] = number
    return Query(**values), errors


def search_terms(text: str) -> list[str]:
    """Return the words of a search, without any of the engines' query syntax."""
    return re.findall(r"\w+", text.lower())[:20]


def _tsquery(terms: list[str]):
    return sa.func.plainto_tsquery(sa.literal_column("'english'::regconfig"), " ".join(terms))


def _fts_match(terms: list[str]) -> str:
    """Return an FTS5 query matching every word, each quoted so no syntax gets through."""
    return " ".join(f'"{t}"' for t in terms)


PG_INDEX = sa.table("library_search", sa.column("study_id"), sa.column("document"))
SQLITE_INDEX = sa.table("library_search", sa.column("rowid"))
SQLITE_TABLE = sa.literal_column("library_search")


def _hits(query: Query, ranked: bool = True):
    """Return a subquery (study_id, rank) of the studies matching the search words, or None;
    unranked (rank 0) when only membership matters, as for the facet counts."""
    terms = search_terms(query.q)
    if not terms:
        return None
    if _dialect() == "postgresql":
        tsquery = _tsquery(terms)
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
        .where(SQLITE_TABLE.op("MATCH")(_fts_match(terms)))
        .subquery("hits")
    )


def _matches(query: Query):
    """Return a per-study condition "matches the search words", for walking the newest
    studies first and stopping at a page's worth (a word found in most studies)."""
    terms = search_terms(query.q)
    if _dialect() == "postgresql":
        return sa.exists().where(
            PG_INDEX.c.study_id == CaseStudy.id, PG_INDEX.c.document.op("@@")(_tsquery(terms))
        )
    # FTS5 seeks a rowid within each word's list, so this is cheap per study.
    return sa.exists().where(
        SQLITE_TABLE.op("MATCH")(_fts_match(terms)), SQLITE_INDEX.c.rowid == CaseStudy.id
    )


def _conditions(query: Query) -> list:
    conds = [CaseStudy.state == StudyState.published]
    if query.pillar:
        conds.append(
            CaseStudy.pillar_id.in_(sa.select(Pillar.id).where(Pillar.slug == query.pillar))
        )
    if query.kind:
        conds.append(CaseStudy.kind == StudyKind(query.kind))
    if query.state:
        conds.append(CaseStudy.state_code == query.state)
    if query.government:
        conds.append(CaseStudy.government_type == GovernmentType(query.government))
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


def _topic_names():
    """A correlated subquery listing a study's topics, separated by '|'."""
    if _dialect() == "postgresql":
        agg = sa.func.string_agg(Topic.name, sa.literal_column("'|'"))
    else:
        agg = sa.func.group_concat(Topic.name, "|")
    return (
        sa.select(agg)
        .select_from(study_topics.join(Topic, Topic.id == study_topics.c.topic_id))
        .where(study_topics.c.study_id == CaseStudy.id)
        .scalar_subquery()
    )


@dataclass
class Card:
    """One study as a library card, a feed entry or an API list item."""

    id: int
    slug: str
    title: str
    summary: str
    kind: StudyKind | None
    place: str
    state_code: str
    government_type: GovernmentType | None
    population_band: object
    year_start: int | None
    year_end: int | None
    published_at: object
    corrected_at: object
    pillar_slug: str
    pillar_name: str
    topics: list[str] = field(default_factory=list)

    @property
    def years(self) -> str:
        if self.year_start and self.year_end and self.year_end != self.year_start:
            return f"{self.year_start}–{self.year_end}"
        return str(self.year_end or self.year_start or "")


CARD_COLUMNS = (
    CaseStudy.id, CaseStudy.slug, CaseStudy.title, CaseStudy.summary, CaseStudy.kind,
    CaseStudy.place, CaseStudy.state_code, CaseStudy.government_type, CaseStudy.population_band,
    CaseStudy.year_start, CaseStudy.year_end, CaseStudy.published_at, CaseStudy.corrected_at,
    Pillar.slug, Pillar.name,
)  # fmt: skip


def _cards(rows) -> list[Card]:
    out = []
    for row in rows:
        *values, topics = row
        out.append(Card(*values, topics=sorted(topics.split("|")) if topics else []))
    return out


def card_select(conditions=(), hits=None):
    """Return a SELECT of Card rows (with topics) of published studies matching conditions."""
    stmt = sa.select(*CARD_COLUMNS, _topic_names().label("topics")).join(
        Pillar, Pillar.id == CaseStudy.pillar_id
    )
    if hits is not None:
        stmt = stmt.join(hits, hits.c.study_id == CaseStudy.id)
    return stmt.where(CaseStudy.state == StudyState.published, *conditions)


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
    return _cards(db.session.execute(stmt))


def ranked(query: Query, total: int) -> bool:
    """Whether a search's results are ranked (a bounded number of matches)."""
    return bool(search_terms(query.q)) and total <= RANK_CANDIDATES


@dataclass
class FacetValue:
    value: str
    label: str
    count: int


@dataclass
class Facets:
    total: int
    by_name: dict[str, list[FacetValue]]

    def count(self, name: str, value: str) -> int:
        return next((v.count for v in self.by_name.get(name, []) if v.value == value), 0)


def facets(query: Query) -> Facets:
    """Return the total and every facet's counts over the query's results, in one statement."""
    hits = _hits(query, ranked=False)
    base = sa.select(
        CaseStudy.id,
        CaseStudy.pillar_id,
        CaseStudy.kind,
        CaseStudy.state_code,
        CaseStudy.government_type,
        YEAR.label("year"),
    ).where(*_conditions(query))
    if hits is not None:
        base = base.join(hits, hits.c.study_id == CaseStudy.id)
    h = base.cte("h")
    text = sa.String()

    def grouped(name, column):
        return (
            sa.select(
                sa.literal(name).label("facet"),
                sa.cast(column, text).label("value"),
                sa.cast(sa.null(), text).label("label"),
                sa.func.count().label("n"),
                sa.literal(0).label("position"),
            )
            .where(column.is_not(None))
            .group_by(column)
        )

    topics = (
        sa.select(sa.literal("topic"), Topic.name, sa.cast(sa.null(), text), sa.func.count(), 0)
        .select_from(h)
        .join(study_topics, study_topics.c.study_id == h.c.id)
        .join(Topic, Topic.id == study_topics.c.topic_id)
        .group_by(Topic.name)
    )
    if _dialect() == "postgresql":
        parts = [_grouping_sets(h, text), topics]
    else:
        parts = [
            sa.select(
                sa.literal("pillar"), Pillar.slug, Pillar.name, sa.func.count(h.c.id),
                Pillar.position,
            )
            .select_from(Pillar)
            .outerjoin(h, h.c.pillar_id == Pillar.id)
            .group_by(Pillar.id, Pillar.slug, Pillar.name, Pillar.position),
            grouped("kind", h.c.kind),
            grouped("state", h.c.state_code),
            grouped("government", h.c.government_type),
            grouped("year", h.c.year),
            topics,
            sa.select(
                sa.literal("total"), sa.cast(sa.null(), text), sa.cast(sa.null(), text),
                sa.func.count(), 0,
            ).select_from(h),
        ]  # fmt: skip
    by_name: dict[str, list[FacetValue]] = {name: [] for name in FACETS}
    total = 0
    rows = db.session.execute(sa.union_all(*parts)).all()
    for facet, value, label, n, _position in rows:
        if facet == "total":
            total = n
            continue
        if value is None or (facet == "state" and value == ""):
            continue
        by_name[facet].append(FacetValue(value, _label(facet, value, label), n))
    positions = {r[1]: r[4] for r in rows if r[0] == "pillar"}
    by_name["pillar"].sort(key=lambda v: positions.get(v.value, 0))
    for name in ("kind", "government", "topic"):
        by_name[name].sort(key=lambda v: (-v.count, v.label))
    by_name["state"].sort(key=lambda v: v.label)
    by_name["year"].sort(key=lambda v: v.value, reverse=True)
    return Facets(total=total, by_name=by_name)


def _grouping_sets(h, text):
    """Count every facet and the total in one pass over the results (PostgreSQL)."""
    sets = [
        ("pillar", (Pillar.slug, Pillar.name, Pillar.position)),
        ("kind", (h.c.kind,)),
        ("state", (h.c.state_code,)),
        ("government", (h.c.government_type,)),
        ("year", (h.c.year,)),
    ]
    in_set = [(name, sa.func.grouping(columns[0]) == 0, columns[0]) for name, columns in sets]
    facet = sa.case(*[(cond, sa.literal(name)) for name, cond, _ in in_set], else_="total")
    value = sa.case(*[(cond, sa.cast(col, text)) for _, cond, col in in_set], else_=None)
    pillar = in_set[0][1]
    return (
        sa.select(
            facet.label("facet"),
            value.label("value"),
            sa.case((pillar, Pillar.name), else_=None).label("label"),
            sa.func.count().label("n"),
            sa.case((pillar, Pillar.position), else_=0).label("position"),
        )
        .select_from(h)
        .join(Pillar, Pillar.id == h.c.pillar_id)
        .group_by(
            sa.func.grouping_sets(*[sa.tuple_(*columns) for _, columns in sets], sa.text("()"))
        )
    )


def _label(facet: str, value: str, label: str | None) -> str:
    if label:
        return label
    if facet == "kind":
        return StudyKind(value).label
    if facet == "government":
        return GovernmentType(value).label
    if facet == "state":
        return US_STATES.get(value, value)
    return value


class FacetCache:
    """Facet counts per (library generation, query), bounded; shared by a process's threads."""

    def __init__(self, size: int = 512):
        self.size = size
        self.items: OrderedDict = OrderedDict()
        self.lock = Lock()

    def get(self, key):
        with self.lock:
            value = self.items.get(key)
            if value is not None:
                self.items.move_to_end(key)
            return value

    def put(self, key, value) -> None:
        with self.lock:
            self.items[key] = value
            self.items.move_to_end(key)
            while len(self.items) > self.size:
                self.items.popitem(last=False)

    def clear(self) -> None:
        with self.lock:
            self.items.clear()


def facet_cache() -> FacetCache:
    return current_app.extensions.setdefault("library_facets", FacetCache())


def generation() -> str:
    """Return the library's current generation token (one primary-key read)."""
    value = db.session.execute(
        sa.select(Setting.value).where(Setting.key == GENERATION_KEY)
    ).scalar()
    return str(value or "")


def cached_facets(query: Query, current: str) -> Facets:
    """Return the facets of a query, computed at most once per library generation."""
    key = (current, query.cache_key)
    cache = facet_cache()
    found = cache.get(key)
    if found is None:
        found = facets(query)
        cache.put(key, found)
    return found


@dataclass
class Page:
    query: Query
    cards: list[Card]
    facets: Facets
    generation: str = ""

    @property
    def total(self) -> int:
        return self.facets.total

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.query.per_page))

    @property
    def unranked(self) -> bool:
        """A search sorted by relevance whose matches were too many to rank."""
        return (
            bool(search_terms(self.query.q))
            and self.query.sort == "relevance"
            and not ranked(self.query, self.total)
        )


def library_page(query: Query) -> Page:
    """Return a page of results with its facets: at most three statements."""
    current = generation()
    found = cached_facets(query, current)
    cards = results(query, found.total) if found.total else []
    return Page(query=query, cards=cards, facets=found, generation=current)


def cached_fragment(key: tuple, render) -> str:
    """Return a rendered fragment cached under `key` (which must hold the generation)."""
    cache = facet_cache()
    found = cache.get(("fragment", *key))
    if found is None:
        found = render()
        cache.put(("fragment", *key), found)
    return found


def loosen(query: Query) -> list[tuple[str, dict]]:
    """Suggest what to remove from a query that found nothing: (what, url args) pairs."""
    suggestions = []
    names = {
        "pillar": "the pillar",
        "kind": "the kind",
        "state": "the state",
        "government": "the government type",
        "topic": "the topic",
        "year": "the year",
    }
    for name, value in query.filters.items():
        suggestions.append((f"Remove {names[name]} “{value}”", query.without(name)))
    if query.q and query.filters:
        suggestions.append(("Search all studies for these words", Query(q=query.q).args()))
    if query.q:
        suggestions.append(("Browse without the search words", query.without("q")))
    return suggestions


# ------------------------------------------------------------------ one study


def published_study(slug: str) -> CaseStudy | None:
    """Return the study with this slug (any state) with everything its page shows, or None."""
    return db.session.scalars(
        sa.select(CaseStudy)
        .where(CaseStudy.slug == slug)
        .options(
            selectinload(CaseStudy.pillar),
            selectinload(CaseStudy.authors).selectinload(StudyAuthor.user),
            selectinload(CaseStudy.topics),
            selectinload(CaseStudy.timeline),
            selectinload(CaseStudy.stakeholders),
            selectinload(CaseStudy.links),
            selectinload(CaseStudy.attachments),
        )
    ).first()


def related(study: CaseStudy, limit: int = 4) -> list[Card]:
    """Return published studies sharing a topic or the pillar, topic matches first."""
    topic_ids = [t.id for t in study.topics]
    shares_topic = CaseStudy.id.in_(
        sa.select(study_topics.c.study_id).where(study_topics.c.topic_id.in_(topic_ids))
    )
    stmt = (
        card_select([CaseStudy.id != study.id, sa.or_(shares_topic,
                                                      CaseStudy.pillar_id == study.pillar_id)])
        .order_by(sa.case((shares_topic, 0), else_=1), CaseStudy.published_at.desc())
        .limit(limit)
    )  # fmt: skip
    return _cards(db.session.execute(stmt))


def recent(limit: int = 6, pillar: Pillar | None = None) -> list[Card]:
    """Return the most recently published studies, optionally of one pillar."""
    conds = [CaseStudy.pillar_id == pillar.id] if pillar is not None else []
    stmt = card_select(conds).order_by(CaseStudy.published_at.desc(), CaseStudy.id.desc())
    return _cards(db.session.execute(stmt.limit(limit)))


def authored_by(user: User) -> list[Card]:
    """Return the published studies a person authored, newest first."""
    authored = sa.select(StudyAuthor.study_id).where(StudyAuthor.user_id == user.id)
    stmt = card_select([CaseStudy.id.in_(authored)]).order_by(CaseStudy.published_at.desc())
    return _cards(db.session.execute(stmt))


def sitemap_entries(limit: int = 50_000) -> list[tuple[str, object]]:
    """Return (slug, last modified) of published studies, newest first, for the sitemap."""
    rows = db.session.execute(
        sa.select(CaseStudy.slug, sa.func.coalesce(CaseStudy.corrected_at, CaseStudy.published_at))
        .where(CaseStudy.state == StudyState.published)
        .order_by(CaseStudy.published_at.desc())
        .limit(limit)
    )
    return [(slug, modified) for slug, modified in rows]
