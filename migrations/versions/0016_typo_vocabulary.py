"""the distinct words of the published studies, with the number of studies holding each
(library_search_word), for "did you mean"

"Did you mean" read library_search_term, one row per (word, study): at 10^5 studies a word
found in every study was read back 10^5 times, and the candidates of a misspelt word were
picked out of a million rows. library_search_word holds one row per distinct word and the
number of published studies that have it, kept by review.library.forgiving in the same
statements that write library_search_term (publish, unpublish, correction, import, reindex),
so a suggestion reads a few thousand distinct words whatever the number of studies. Filled
from library_search_term. A row whose count falls to zero is deleted (the partial index finds
them). Kept out of the schema-vs-models comparison like the index (migrations/env.py).

Revision ID: 0016_typo_vocabulary
Revises: 0015_perf2_study_count
Create Date: 2026-12-03
"""

from alembic import op

revision = "0016_typo_vocabulary"
down_revision = "0015_perf2_study_count"
branch_labels = None
depends_on = None


def upgrade():
    op.execute(
        "CREATE TABLE library_search_word ("
        " word VARCHAR(40) NOT NULL,"
        " studies INTEGER NOT NULL,"
        " CONSTRAINT pk_library_search_word PRIMARY KEY (word))"
    )
    op.execute(
        "CREATE INDEX ix_library_search_word_gone ON library_search_word (word)"
        " WHERE studies <= 0"
    )
    op.execute(
        "INSERT INTO library_search_word (word, studies)"
        " SELECT word, count(*) FROM library_search_term GROUP BY word"
    )


def downgrade():
    op.execute("DROP TABLE library_search_word")
