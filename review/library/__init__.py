"""The public library: publishing's side (slugs, corrections, the search index), the search with
its facets, and what the library pages, feeds and API read.

publishing.py, search.py, facets.py, pages.py; map.py is the tile map of the states, openapi.py
the API's description. The public names are re-exported here (`library.library_page`).
"""

from review.library.facets import (
    facet_cache,
)
from review.library.forgiving import (
    parse_synonyms,
    synonyms_in_force,
)
from review.library.pages import (
    authored_by,
    cached_fragment,
    library_page,
    loosen,
    published_study,
    recent,
    related,
    sitemap_entries,
    study_reader_key,
    suggestions,
)
from review.library.publishing import (
    bump_generation,
    correct,
    on_import,
    on_publish,
    on_unpublish,
    public_slug,
    public_url,
    reindex,
    reindex_all,
    set_lead_image,
    set_synonyms,
)
from review.library.search import (
    FACETS,
    Card,
    Query,
    parse_query,
    results,
)
from review.library.slugs import (
    SlugError,
    change_slug,
    redirect_target,
    slug_problem,
    slugify,
    suggest_slug,
)

__all__ = [
    "Card",
    "FACETS",
    "Query",
    "SlugError",
    "authored_by",
    "bump_generation",
    "cached_fragment",
    "change_slug",
    "correct",
    "facet_cache",
    "library_page",
    "loosen",
    "on_import",
    "on_publish",
    "on_unpublish",
    "parse_query",
    "public_slug",
    "public_url",
    "parse_synonyms",
    "published_study",
    "recent",
    "redirect_target",
    "reindex",
    "reindex_all",
    "related",
    "results",
    "set_lead_image",
    "set_synonyms",
    "sitemap_entries",
    "study_reader_key",
    "slug_problem",
    "slugify",
    "suggest_slug",
    "suggestions",
    "synonyms_in_force",
]
