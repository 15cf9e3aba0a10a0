"""library search index: SQLite FTS5 or PostgreSQL tsvector + GIN, published studies only

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25

The index is written by review.library (on publish, unpublish and correction); the objects are
dialect-specific, so migrations/env.py keeps them out of the schema-vs-models comparison.
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE TABLE library_search ("
            " study_id INTEGER PRIMARY KEY REFERENCES case_study (id) ON DELETE CASCADE,"
            " document tsvector NOT NULL)"
        )
        op.execute("CREATE INDEX ix_library_search_document ON library_search USING gin (document)")
    else:
        # rowid is the study id; porter stems English words so "budgeting" finds "budget".
        op.execute(
            "CREATE VIRTUAL TABLE library_search USING fts5("
            "title, summary, body, tokenize = 'porter unicode61 remove_diacritics 2')"
        )
        # SQLite reuses the ids of deleted rows, so an index row must not outlive its study.
        op.execute(
            "CREATE TRIGGER library_search_study_deleted AFTER DELETE ON case_study "
            "BEGIN DELETE FROM library_search WHERE rowid = old.id; END"
        )
    op.create_index("ix_library_published", "case_study", ["state", "published_at", "id"])


def downgrade():
    op.drop_index("ix_library_published", table_name="case_study")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TABLE library_search")
    else:
        op.execute("DROP TRIGGER IF EXISTS library_search_study_deleted")
        op.execute("DROP TABLE library_search")
