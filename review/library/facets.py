"""The library's facet counts (one UNION ALL with GROUPING SETS where the engine has them), and
the per-generation cache that spares them on every page. The same statement reads the
completions of the search's last word, cached with the counts (review.library.search)."""

from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache
from threading import Lock

import sqlalchemy as sa
from flask import current_app

from models import (
    CaseStudy,
    Pillar,
    Setting,
    Topic,
    facet_counts,
    study_pillars,
    study_topics,
)
from models.base import db
from models.enums import US_STATES, ContentLanguage, GovernmentType, PopulationBand, StudyKind
from review.infra.i18n import current_locale
from review.library.facet_counts import rows as maintained_rows
from review.library.forgiving import SYNONYMS_KEY, Synonyms, parse_synonyms, synonyms_text
from review.library.publishing import GENERATION_KEY, _dialect
from review.library.search import FACETS, YEAR, Query, _conditions, _hits, completion_words


@dataclass
class FacetValue:
    value: str
    label: str
    count: int


@dataclass
class Facets:
    total: int
    by_name: dict[str, list[FacetValue]]
    # The vocabulary's completions of the search's last word (Query.completions).
    completions: tuple[str, ...] = ()

    def count(self, name: str, value: str) -> int:
        return next((v.count for v in self.by_name.get(name, []) if v.value == value), 0)


def facets(query: Query) -> Facets:
    """Return the total and every facet's counts over the query's results, and the completions
    of its last word, in one statement."""
    hits = _hits(query, ranked=False)
    base = sa.select(
        CaseStudy.id,
        CaseStudy.pillar_id,
        CaseStudy.kind,
        CaseStudy.state_code,
        CaseStudy.government_type,
        CaseStudy.language,
        CaseStudy.population_band,
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
    # A study counts under its primary pillar and under each of its secondary ones.
    memberships = sa.union_all(
        sa.select(h.c.id.label("study_id"), h.c.pillar_id.label("pillar_id")),
        sa.select(study_pillars.c.study_id, study_pillars.c.pillar_id).join(
            h, h.c.id == study_pillars.c.study_id
        ),
    ).subquery("m")
    pillars = (
        sa.select(
            sa.literal("pillar"),
            Pillar.slug,
            Pillar.name,
            sa.func.count(memberships.c.study_id),
            Pillar.position,
        )
        .select_from(Pillar)
        .outerjoin(memberships, memberships.c.pillar_id == Pillar.id)
        .group_by(Pillar.id, Pillar.slug, Pillar.name, Pillar.position)
    )
    if _dialect() == "postgresql":
        parts = [pillars, _grouping_sets(h, text), topics]
    else:
        parts = [
            pillars,
            grouped("kind", h.c.kind),
            grouped("state", h.c.state_code),
            grouped("government", h.c.government_type),
            grouped("language", h.c.language),
            grouped("population", h.c.population_band),
            grouped("year", h.c.year),
            topics,
            sa.select(
                sa.literal("total"),
                sa.cast(sa.null(), text),
                sa.cast(sa.null(), text),
                sa.func.count(),
                0,
            ).select_from(h),
        ]
    words = completion_words(query)
    if words is not None:
        w = words.subquery("completions").c.word
        parts.append(
            sa.select(
                sa.literal("completions"),
                sa.func.aggregate_strings(w, " "),
                sa.cast(sa.null(), text),
                sa.func.count(),
                0,
            )
        )
    return _assemble(db.session.execute(sa.union_all(*parts)).all())


def maintained_facets() -> Facets:
    """Return the whole library's facets from the maintained counts (one statement): what the
    unfiltered page shows, as exact as a recount (review.library.facet_counts keeps them)."""
    c = facet_counts.c
    pillars = (
        sa.select(
            sa.literal("pillar"),
            Pillar.slug,
            Pillar.name,
            sa.func.coalesce(c.n, 0),
            Pillar.position,
        )
        .select_from(Pillar)
        .outerjoin(
            facet_counts,
            sa.and_(c.facet == "pillar", c.value == sa.cast(Pillar.id, sa.String())),
        )
    )
    others = maintained_rows().where(c.facet != "pillar").subquery()
    rest = sa.select(others.c.facet, others.c.value, sa.cast(sa.null(), sa.String()), others.c.n, 0)
    return _assemble(db.session.execute(sa.union_all(pillars, rest)).all())


def _assemble(rows) -> Facets:
    """Return Facets from (facet, value, label, n, position) rows, each facet in its order."""
    by_name: dict[str, list[FacetValue]] = {name: [] for name in FACETS}
    total, completions = 0, ()
    for facet, value, label, n, _position in rows:
        if facet == "total":
            total = n
            continue
        if facet == "completions":
            completions = tuple((value or "").split())
            continue
        if value is None or (facet == "state" and value == ""):
            continue
        by_name[facet].append(FacetValue(value, _label(facet, value, label), n))
    positions = {r[1]: r[4] for r in rows if r[0] == "pillar"}
    by_name["pillar"].sort(key=lambda v: positions.get(v.value, 0))
    for name in ("kind", "government", "language", "topic"):
        by_name[name].sort(key=lambda v: (-v.count, v.label))
    bands = [b.value for b in PopulationBand]
    by_name["population"].sort(key=lambda v: bands.index(v.value))
    by_name["state"].sort(key=lambda v: v.label)
    by_name["year"].sort(key=lambda v: v.value, reverse=True)
    return Facets(total=total, by_name=by_name, completions=completions)


def _grouping_sets(h, text):
    """Count every facet but the pillars, and the total, in one pass (PostgreSQL)."""
    sets = [
        ("kind", h.c.kind),
        ("state", h.c.state_code),
        ("government", h.c.government_type),
        ("population", h.c.population_band),
        ("language", h.c.language),
        ("year", h.c.year),
    ]
    in_set = [(name, sa.func.grouping(column) == 0, column) for name, column in sets]
    facet = sa.case(*[(cond, sa.literal(name)) for name, cond, _ in in_set], else_="total")
    value = sa.case(*[(cond, sa.cast(col, text)) for _, cond, col in in_set], else_=None)
    return (
        sa.select(
            facet.label("facet"),
            value.label("value"),
            sa.cast(sa.null(), text).label("label"),
            sa.func.count().label("n"),
            sa.literal(0).label("position"),
        )
        .select_from(h)
        .group_by(sa.func.grouping_sets(*[sa.tuple_(col) for _, col in sets], sa.text("()")))
    )


def _label(facet: str, value: str, label: str | None) -> str:
    if label:
        return label
    if facet == "kind":
        return StudyKind(value).label
    if facet == "government":
        return GovernmentType(value).label
    if facet == "language":
        return ContentLanguage(value).label
    if facet == "population":
        return PopulationBand(value).label
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


def generation_and_synonyms() -> tuple[str, Synonyms]:
    """Return the generation token and the synonyms in force, in one statement."""
    rows = dict(
        db.session.execute(
            sa.select(Setting.key, Setting.value).where(
                Setting.key.in_((GENERATION_KEY, SYNONYMS_KEY))
            )
        ).all()
    )
    return str(rows.get(GENERATION_KEY) or ""), _synonyms(synonyms_text(rows.get(SYNONYMS_KEY)))


@lru_cache(maxsize=8)
def _synonyms(text: str) -> Synonyms:
    return parse_synonyms(text)


def cached_facets(query: Query, current: str) -> Facets:
    """Return the facets of a query, computed at most once per library generation and language
    (their labels are in it); the whole library's are read from the maintained counts, so the
    first page after a publication costs what any other does."""
    if not query.q.strip() and not query.filters:
        return maintained_facets()
    key = (current, current_locale(), query.cache_key)
    cache = facet_cache()
    found = cache.get(key)
    if found is None:
        found = facets(query)
        cache.put(key, found)
    return found
