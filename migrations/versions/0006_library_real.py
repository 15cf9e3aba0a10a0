"""the real library: former slugs that redirect (slug_redirect); the words of published studies
for "did you mean" (library_search_term)

library_search_term is written by review.library with the search index, and kept out of the
schema-vs-models comparison like it (migrations/env.py). Existing published studies are indexed
folded and get their words with `flask studies reindex`.

Revision ID: 0006_library_real
Revises: 0006_perf_indexes
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_library_real"
down_revision = "0006_perf_indexes"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "slug_redirect",
        sa.Column("old_slug", sa.String(length=200), nullable=False),
        sa.Column("study_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["study_id"], ["case_study.id"], name=op.f("fk_slug_redirect_study_id_case_study"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("old_slug", name=op.f("pk_slug_redirect")),
    )
    op.create_index(op.f("ix_slug_redirect_study_id"), "slug_redirect", ["study_id"])
    op.execute(
        "CREATE TABLE library_search_term ("
        " word VARCHAR(40) NOT NULL,"
        " study_id INTEGER NOT NULL REFERENCES case_study (id) ON DELETE CASCADE,"
        " PRIMARY KEY (word, study_id))"
    )
    op.execute("CREATE INDEX ix_library_search_term_study ON library_search_term (study_id)")


def downgrade():
    op.execute("DROP TABLE library_search_term")
    op.drop_index(op.f("ix_slug_redirect_study_id"), table_name="slug_redirect")
    op.drop_table("slug_redirect")
