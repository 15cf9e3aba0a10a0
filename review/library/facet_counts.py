"""The library's maintained facet counts (models.library_facets): what each published study
contributes, and the sums the unfiltered library page reads instead of counting every study.

Every change that can move a count — publish, unpublish, a correction, an import — calls
`refresh(ids, counted)` in its own transaction: the studies' former contributions are taken
off the sums, their current ones written and added. Four statements for any number of studies,
so an import refreshes a whole batch at once. `rebuild()` recounts everything (a migration,
the benchmark's bulk load, a reindex).
"""

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from models import CaseStudy, Topic, facet_counts, facet_members, study_pillars, study_topics
from models.base import db
from models.enums import StudyState

# The year a study is filed under: the year the work concluded, else the year it began.
YEAR = sa.func.coalesce(CaseStudy.year_end, CaseStudy.year_start)
# The facets counted from one column of the study, by name.
COLUMNS = (
    ("kind", CaseStudy.kind),
    ("state", CaseStudy.state_code),
    ("government", CaseStudy.government_type),
    ("language", CaseStudy.language),
    ("population", CaseStudy.population_band),
    ("year", YEAR),
)
TOTAL = "total"


def _text(value):
    return sa.cast(value, sa.String())


def contributions(where) -> sa.Select:
    """Return (study_id, facet, value) of every study matching `where` (a condition on
    CaseStudy): its total, its primary and secondary pillars (by id), columns and topics."""
    parts = [
        sa.select(CaseStudy.id, sa.literal(TOTAL), sa.literal("")).where(where),
        sa.select(CaseStudy.id, sa.literal("pillar"), _text(CaseStudy.pillar_id)).where(where),
        sa.select(study_pillars.c.study_id, sa.literal("pillar"), _text(study_pillars.c.pillar_id))
        .join(CaseStudy, CaseStudy.id == study_pillars.c.study_id)
        .where(where),
        sa.select(study_topics.c.study_id, sa.literal("topic"), Topic.name)
        .join(Topic, Topic.id == study_topics.c.topic_id)
        .join(CaseStudy, CaseStudy.id == study_topics.c.study_id)
        .where(where),
    ]
    parts += [
        sa.select(CaseStudy.id, sa.literal(name), _text(column)).where(where, column.is_not(None))
        for name, column in COLUMNS
    ]
    # UNION, not UNION ALL: a study counts once under a value however it holds it.
    return sa.union(*parts)


def _add(where, sign: int) -> None:
    """Add (or take off, sign -1) the member rows matching `where` to the sums."""
    m = facet_members.c
    rows = (
        sa.select(m.facet, m.value, (sa.func.count() * sign).label("n"))
        .where(where)
        .group_by(m.facet, m.value)
        # Always the same order, so two transactions lock the sums' rows alike.
        .order_by(m.facet, m.value)
    )
    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(facet_counts).from_select(["facet", "value", "n"], rows)
    stmt = stmt.on_conflict_do_update(
        index_elements=["facet", "value"], set_={"n": facet_counts.c.n + stmt.excluded.n}
    )
    db.session.execute(stmt)


def refresh(ids: Iterable[int], counted: bool = True) -> None:
    """Bring the sums up to date with these studies as they are now (flushed): `counted` when
    they are (or are becoming) published, else their contributions only go; flush only."""
    ids = sorted(set(ids))
    if not ids:
        return
    db.session.flush()
    mine = facet_members.c.study_id.in_(ids)
    _add(mine, -1)
    db.session.execute(facet_members.delete().where(mine))
    if counted:
        db.session.execute(
            facet_members.insert().from_select(
                ["study_id", "facet", "value"], contributions(CaseStudy.id.in_(ids))
            )
        )
        _add(mine, 1)


def rebuild() -> None:
    """Recount every published study's contributions from scratch; flush only."""
    db.session.flush()
    db.session.execute(facet_counts.delete())
    db.session.execute(facet_members.delete())
    db.session.execute(
        facet_members.insert().from_select(
            ["study_id", "facet", "value"],
            contributions(CaseStudy.state == StudyState.published),
        )
    )
    _add(sa.true(), 1)


def rows() -> sa.Select:
    """Return the maintained counts above zero as (facet, value, n)."""
    c = facet_counts.c
    return sa.select(c.facet, c.value, c.n).where(c.n > 0)
