"""a US state is `us_state`: the word "state" is a study's workflow state only (issue 13)

Renames user.state, access_request.state and commitment.state to us_state, keeping every row
(ALTER TABLE … RENAME COLUMN, which PostgreSQL and SQLite ≥ 3.25 both do in place), and the
commitment index with them.

Revision ID: 0007_house_us_state
Revises: 0006_library_real
Create Date: 2026-12-03
"""

from alembic import op

revision = "0007_house_us_state"
down_revision = "0006_library_real"
branch_labels = None
depends_on = None

TABLES = ("user", "access_request", "commitment")


def _rename(old: str, new: str) -> None:
    op.drop_index(f"ix_commitment_{old}", table_name="commitment")
    for table in TABLES:
        op.execute(f'ALTER TABLE "{table}" RENAME COLUMN {old} TO {new}')
    op.create_index(f"ix_commitment_{new}", "commitment", [new])


def upgrade():
    _rename("state", "us_state")


def downgrade():
    _rename("us_state", "state")
