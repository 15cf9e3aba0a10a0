"""The library's facet counts over every published study, kept current in the transaction that
changes a study (review.library.facet_counts), so the first library page after a publication
reads its counts instead of counting 10^5 studies.

`library_facet_member` holds what each published study contributes (a facet and a value: its
pillars, kind, state, topics…; one `total` row), so a change of any kind is undone exactly;
`library_facet_count` the sums, one row per (facet, value).
"""

import sqlalchemy as sa

from models.base import db

facet_members = sa.Table(
    "library_facet_member",
    db.metadata,
    sa.Column("study_id", sa.ForeignKey("case_study.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("facet", sa.String(20), primary_key=True),
    sa.Column("value", sa.String(200), primary_key=True),
)

facet_counts = sa.Table(
    "library_facet_count",
    db.metadata,
    sa.Column("facet", sa.String(20), primary_key=True),
    sa.Column("value", sa.String(200), primary_key=True),
    sa.Column("n", sa.Integer, nullable=False),
)
