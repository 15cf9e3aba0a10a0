"""A draft's lists as saved (topics, secondary pillars, timeline, stakeholders, links), read
in one statement and put beside what a save posts, so a save rewrites only the lists that
changed (review.drafts.save_draft)."""

import functools

import sqlalchemy as sa

from models import Link, Stakeholder, TimelineEvent, Topic, study_pillars, study_topics
from models.base import db

# The lists a save rewrites, and the fields of each row in the order stored_rows reads them.
ROWS = {
    "topics": None,
    "secondary_pillar_ids": None,
    "timeline": None,
    "stakeholders": ("name", "type", "role", "stance"),
    "links": ("label", "url"),
}


@functools.cache
def _query() -> sa.CompoundSelect:
    """Build (once) the statement stored_rows runs, for the bound `study_id`."""
    text, study_id = sa.String, sa.bindparam("study_id", type_=sa.Integer)

    def part(kind: str, position, *columns, table, where):
        cells = [sa.cast(c, text) for c in columns] + [sa.null()] * (4 - len(columns))
        return (
            sa.select(
                sa.literal(kind, text).label("kind"),
                sa.cast(position, sa.Integer).label("position"),
                *(cell.label(f"c{i}") for i, cell in enumerate(cells)),
            )
            .select_from(table)
            .where(where)
        )

    return sa.union_all(
        part(
            "topics",
            0,
            Topic.name,
            table=sa.join(study_topics, Topic, study_topics.c.topic_id == Topic.id),
            where=study_topics.c.study_id == study_id,
        ),
        part(
            "secondary_pillar_ids",
            0,
            study_pillars.c.pillar_id,
            table=study_pillars,
            where=study_pillars.c.study_id == study_id,
        ),
        part(
            "timeline",
            TimelineEvent.position,
            TimelineEvent.year,
            TimelineEvent.month,
            TimelineEvent.day,
            TimelineEvent.description,
            table=TimelineEvent.__table__,
            where=TimelineEvent.study_id == study_id,
        ),
        part(
            "stakeholders",
            Stakeholder.position,
            Stakeholder.name,
            Stakeholder.type,
            Stakeholder.role,
            Stakeholder.stance,
            table=Stakeholder.__table__,
            where=Stakeholder.study_id == study_id,
        ),
        part(
            "links",
            Link.position,
            Link.label,
            Link.url,
            table=Link.__table__,
            where=Link.study_id == study_id,
        ),
    )


def stored_rows(study_id: int) -> dict[str, list[tuple]]:
    """Return the study's topics, timeline, stakeholders and links as saved, in one statement.

    Each row is the (position, fields…) a save would write, every field as text (None for
    NULL), so that a save compares them with what was posted without loading the objects.
    """
    rows: dict[str, list[tuple]] = {name: [] for name in ROWS}
    for kind, position, *cells in db.session.execute(_query(), {"study_id": study_id}):
        rows[kind].append((position, *cells))
    for name in ROWS:
        rows[name].sort()
    return rows


def as_stored(name: str, values: dict) -> list[tuple]:
    """Return the posted rows of list `name` as stored_rows gives the saved ones."""

    def cells(row) -> tuple:
        return tuple(None if v is None else str(v) for v in row) + (None,) * (4 - len(row))

    if name == "topics":
        return sorted((0, *cells([topic])) for topic in dict.fromkeys(values["topics"]))
    if name == "secondary_pillar_ids":
        wanted = set(values[name]) - {values["pillar_id"]}
        return sorted((0, *cells([pillar_id])) for pillar_id in wanted)
    fields = ROWS[name]
    rows = values[name] if fields is None else [[r[f] for f in fields] for r in values[name]]
    return [(i, *cells(row)) for i, row in enumerate(rows)]


def row_counts(values: dict) -> dict[str, int]:
    """Return the number of timeline events and stakeholders a save of `values` leaves."""
    return {"timeline": len(values["timeline"]), "stakeholders": len(values["stakeholders"])}
