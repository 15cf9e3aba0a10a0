"""What the library's pages, the feeds and the API read: one search page, cached fragments, and
single published studies (related, recent, by author, the sitemap)."""

from dataclasses import dataclass, replace

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from models import (
    CaseStudy,
    LeadImage,
    Pillar,
    StudyAuthor,
    Topic,
    User,
    study_topics,
)
from models.base import db
from models.enums import StudyState
from review.infra.i18n import current_locale
from review.library.cards import Card, card_select, cards_of
from review.library.facets import Facets, cached_facets, facet_cache, generation_and_synonyms
from review.library.forgiving import did_you_mean
from review.library.search import Query, ranked, results, search_terms


@dataclass
class Page:
    query: Query
    cards: list[Card]
    facets: Facets
    generation: str = ""
    # "Did you mean": the search respelt, when it found nothing as typed.
    suggestion: str = ""
    # Set when the page shows the respelt search instead: what was typed.
    respelt_from: str = ""
    # On a page that found nothing: the whole library's facets, to browse by pillar and topic.
    browse: Facets | None = None

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


def library_page(query: Query, forgive: bool = False) -> Page:
    """Return a page of results with its facets: at most three statements.

    With `forgive`, a search that finds nothing is respelt from the library's words ("did
    you mean"); when the respelt search finds studies, the page shows them and says so.
    """
    current, synonyms = generation_and_synonyms()
    query = replace(query, synonyms=synonyms)
    found = cached_facets(query, current)
    query = replace(query, completions=found.completions)
    cards = results(query, found.total) if found.total else []
    page = Page(query=query, cards=cards, facets=found, generation=current)
    if forgive and not found.total and search_terms(query.q):
        page.suggestion = did_you_mean(query.q) or ""
        if page.suggestion:
            respelt = replace(query, q=page.suggestion, completions=None)
            facets_respelt = cached_facets(respelt, current)
            respelt = replace(respelt, completions=facets_respelt.completions)
            if facets_respelt.total:
                page.respelt_from = query.q
                page.query, page.facets = respelt, facets_respelt
                page.cards = results(respelt, facets_respelt.total)
    if forgive and not page.total and (query.q or query.filters):
        page.browse = cached_facets(Query(synonyms=synonyms), current)
    return page


def suggestions(q: str, limit: int = 5) -> dict:
    """Return what to offer as a search is typed: the titles of the best matches and the
    topics of published studies that begin with (a word of) what was typed."""
    q = " ".join((q or "").split())[:100]
    if not search_terms(q):
        return {"q": q, "studies": [], "topics": []}
    _generation, synonyms = generation_and_synonyms()
    query = Query(q=q, per_page=limit, synonyms=synonyms)
    cards = results(query, total=0)
    typed = q.lower().replace("\\", "").replace("%", "").replace("_", "")
    published = sa.select(study_topics.c.topic_id).join(
        CaseStudy, CaseStudy.id == study_topics.c.study_id
    )
    topics = db.session.scalars(
        sa.select(Topic.name)
        .where(
            sa.or_(Topic.name.like(f"{typed}%"), Topic.name.like(f"% {typed}%")),
            Topic.id.in_(published.where(CaseStudy.state == StudyState.published)),
        )
        .order_by(Topic.name)
        .limit(limit)
    )
    return {
        "q": q,
        "studies": [{"title": c.title, "slug": c.slug, "place": c.place} for c in cards],
        "topics": list(topics),
    }


def cached_fragment(key: tuple, render) -> str:
    """Return a rendered fragment cached under `key`, one per language.

    The key must hold everything the fragment is drawn from that can change: the library
    generation, or a study's `study_reader_key`. The cache is per process; a key that moves
    with the data keeps every process correct without telling the others.
    """
    cache = facet_cache()
    key = ("fragment", current_locale(), *key)
    found = cache.get(key)
    if found is None:
        found = render()
        cache.put(key, found)
    return found


def study_reader_key(study: CaseStudy) -> tuple:
    """Return what a study as readers see it (studies/_reader.html) is drawn from, beside
    the language: its version (moved by every UPDATE of the row, and every save touches the
    row, so a correction, a new round's edits or new list rows, links included, all move it),
    its pillar, its authors' names (a co-author added, removed or renamed moves no version)
    and its files (neither does a file added or removed). Reads nothing: the authors, pillar
    and attachments must be loaded with the study."""
    authors = tuple((a.user_id, a.user.name, a.user.display_office) for a in study.authors)
    files = tuple((a.id, a.filename, a.size) for a in study.attachments)
    return ("study_reader", study.id, study.version, study.pillar.name, authors, files)


def loosen(query: Query) -> list[tuple[str, dict]]:
    """Suggest what to remove from a query that found nothing: (what, url args) pairs."""
    suggestions = []
    names = {
        "pillar": _("the pillar"),
        "kind": _("the kind"),
        "state": _("the state"),
        "government": _("the government type"),
        "population": _("the population"),
        "language": _("the language"),
        "topic": _("the topic"),
        "year": _("the year"),
    }
    for name, value in query.filters.items():
        suggestions.append(
            (_("Remove %(what)s “%(value)s”", what=names[name], value=value), query.without(name))
        )
    if query.q and query.filters:
        suggestions.append((_("Search all studies for these words"), Query(q=query.q).args()))
    if query.q:
        suggestions.append((_("Browse without the search words"), query.without("q")))
    return suggestions


# ------------------------------------------------------------------ one study


def published_study(slug: str) -> CaseStudy | None:
    """Return the study with this slug (any state) with everything its page shows, or None."""
    return db.session.scalars(
        sa.select(CaseStudy)
        .where(CaseStudy.slug == slug)
        .options(
            selectinload(CaseStudy.pillar),
            selectinload(CaseStudy.secondary_pillars),
            selectinload(CaseStudy.authors).selectinload(StudyAuthor.user),
            selectinload(CaseStudy.topics),
            selectinload(CaseStudy.timeline),
            selectinload(CaseStudy.stakeholders),
            selectinload(CaseStudy.links),
            selectinload(CaseStudy.attachments),
            selectinload(CaseStudy.lead_image).selectinload(LeadImage.renditions),
        )
    ).first()


def related(study: CaseStudy, limit: int = 4) -> list[Card]:
    """Return published studies sharing a topic or the pillar, topic matches first."""
    topic_ids = [t.id for t in study.topics]
    shares_topic = CaseStudy.id.in_(
        sa.select(study_topics.c.study_id).where(study_topics.c.topic_id.in_(topic_ids))
    )
    stmt = (
        card_select(
            [CaseStudy.id != study.id, sa.or_(shares_topic, CaseStudy.pillar_id == study.pillar_id)]
        )
        .order_by(sa.case((shares_topic, 0), else_=1), CaseStudy.published_at.desc())
        .limit(limit)
    )
    return cards_of(db.session.execute(stmt))


def recent(limit: int = 6, pillar: Pillar | None = None) -> list[Card]:
    """Return the most recently published studies, optionally of one pillar."""
    conds = [CaseStudy.pillar_id == pillar.id] if pillar is not None else []
    stmt = card_select(conds).order_by(CaseStudy.published_at.desc(), CaseStudy.id.desc())
    return cards_of(db.session.execute(stmt.limit(limit)))


def authored_by(user: User) -> list[Card]:
    """Return the published studies a person authored, newest first."""
    authored = sa.select(StudyAuthor.study_id).where(StudyAuthor.user_id == user.id)
    stmt = card_select([CaseStudy.id.in_(authored)]).order_by(CaseStudy.published_at.desc())
    return cards_of(db.session.execute(stmt))


def sitemap_entries(limit: int = 50_000) -> list[tuple[str, object]]:
    """Return (slug, last modified) of published studies, newest first, for the sitemap."""
    rows = db.session.execute(
        sa.select(CaseStudy.slug, sa.func.coalesce(CaseStudy.corrected_at, CaseStudy.published_at))
        .where(CaseStudy.state == StudyState.published)
        .order_by(CaseStudy.published_at.desc())
        .limit(limit)
    )
    return [(slug, modified) for slug, modified in rows]
