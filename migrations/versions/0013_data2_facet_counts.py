"""precomputed facets (issue 15, part 5): what each published study contributes to the
library's facets (library_facet_member) and their sums (library_facet_count), filled from the
studies published now and kept current by review.library.facet_counts

Revision ID: 0013_data2_facet_counts
Revises: 0012_i18n_locale
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0013_data2_facet_counts"
down_revision = "0012_i18n_locale"
branch_labels = None
depends_on = None

# The same contributions review.library.facet_counts writes, over every published study.
PUBLISHED = "FROM case_study WHERE state = 'published'"
MEMBERS = f"""
INSERT INTO library_facet_member (study_id, facet, value)
SELECT id, 'total', '' {PUBLISHED}
UNION SELECT id, 'pillar', CAST(pillar_id AS VARCHAR) {PUBLISHED}
UNION SELECT sp.study_id, 'pillar', CAST(sp.pillar_id AS VARCHAR) FROM study_pillar sp
  JOIN case_study s ON s.id = sp.study_id WHERE s.state = 'published'
UNION SELECT st.study_id, 'topic', t.name FROM study_topic st JOIN topic t ON t.id = st.topic_id
  JOIN case_study s ON s.id = st.study_id WHERE s.state = 'published'
UNION SELECT id, 'kind', CAST(kind AS VARCHAR) {PUBLISHED} AND kind IS NOT NULL
UNION SELECT id, 'state', CAST(state_code AS VARCHAR) {PUBLISHED} AND state_code IS NOT NULL
UNION SELECT id, 'government', CAST(government_type AS VARCHAR) {PUBLISHED}
  AND government_type IS NOT NULL
UNION SELECT id, 'language', CAST(language AS VARCHAR) {PUBLISHED} AND language IS NOT NULL
UNION SELECT id, 'population', CAST(population_band AS VARCHAR) {PUBLISHED}
  AND population_band IS NOT NULL
UNION SELECT id, 'year', CAST(COALESCE(year_end, year_start) AS VARCHAR) {PUBLISHED}
  AND COALESCE(year_end, year_start) IS NOT NULL
"""


def upgrade():
    op.create_table(
        "library_facet_member",
        sa.Column(
            "study_id",
            sa.Integer(),
            sa.ForeignKey("case_study.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("facet", sa.String(length=20), primary_key=True),
        sa.Column("value", sa.String(length=200), primary_key=True),
    )
    op.create_table(
        "library_facet_count",
        sa.Column("facet", sa.String(length=20), primary_key=True),
        sa.Column("value", sa.String(length=200), primary_key=True),
        sa.Column("n", sa.Integer(), nullable=False),
    )
    op.execute(MEMBERS)
    op.execute(
        "INSERT INTO library_facet_count (facet, value, n) "
        "SELECT facet, value, count(*) FROM library_facet_member GROUP BY facet, value"
    )


def downgrade():
    op.drop_table("library_facet_count")
    op.drop_table("library_facet_member")
