"""data as it is (issue 15): a study's exact population (its band then derived from it), its
secondary pillars (study_pillar), the government types "consolidated city-county" and
"federal district", and a lead image (lead_image: an attachment chosen as the study's picture,
with its alt text, caption and credit; image_rendition: its resized copies).

Every row is kept: existing studies get no population (NULL) and keep their band, and no
secondary pillar. The government type's CHECK widens (and its VARCHAR grows to the new longest
value); PostgreSQL alters the constraint. SQLite cannot alter a CHECK, and rebuilding
case_study would, with foreign keys on, cascade its DROP into every child table; so the table's
stored definition is edited in place (PRAGMA writable_schema, the procedure SQLite documents
for changes that leave the stored rows valid: a CHECK that allows more, and a CHECK on a column
that is NULL in every row).

Revision ID: 0011_data_as_it_is
Revises: 0010_zones_people_studies
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_data_as_it_is"
down_revision = "0010_zones_people_studies"
branch_labels = None
depends_on = None

OLD_TYPES = (
    "'city', 'county', 'town', 'school_district', 'special_district', 'tribal', 'state', 'other'"
)
NEW_TYPES = (
    "'city', 'county', 'town', 'school_district', 'special_district', 'tribal', 'state', "
    "'consolidated_city_county', 'federal_district', 'other'"
)
POPULATION_CHECK = "CONSTRAINT ck_case_study_population_not_negative CHECK (population >= 0)"


def upgrade():
    op.add_column("case_study", sa.Column("population", sa.Integer(), nullable=True))
    op.create_table(
        "study_pillar",
        sa.Column("study_id", sa.Integer(), nullable=False),
        sa.Column("pillar_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["pillar_id"], ["pillar.id"], name=op.f("fk_study_pillar_pillar_id_pillar"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["study_id"], ["case_study.id"], name=op.f("fk_study_pillar_study_id_case_study"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("study_id", "pillar_id", name=op.f("pk_study_pillar")),
    )
    op.create_index("ix_study_pillar_pillar_id", "study_pillar", ["pillar_id"])
    op.create_table(
        "image_rendition",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("attachment_id", sa.Integer(), nullable=False),
        sa.Column("max_width", sa.Integer(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("storage_key", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["attachment_id"], ["attachment.id"],
            name=op.f("fk_image_rendition_attachment_id_attachment"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_image_rendition")),
        sa.UniqueConstraint(
            "attachment_id", "max_width", name=op.f("uq_image_rendition_attachment_id")
        ),
        sa.UniqueConstraint("storage_key", name=op.f("uq_image_rendition_storage_key")),
    )
    op.create_index(
        op.f("ix_image_rendition_attachment_id"), "image_rendition", ["attachment_id"]
    )
    op.create_table(
        "lead_image",
        sa.Column("study_id", sa.Integer(), nullable=False),
        sa.Column("attachment_id", sa.Integer(), nullable=False),
        sa.Column("alt_text", sa.String(length=300), nullable=False),
        sa.Column("caption", sa.String(length=500), nullable=False),
        sa.Column("credit", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("alt_text <> ''", name=op.f("ck_lead_image_has_alt_text")),
        sa.ForeignKeyConstraint(
            ["attachment_id"], ["attachment.id"],
            name=op.f("fk_lead_image_attachment_id_attachment"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["study_id"], ["case_study.id"], name=op.f("fk_lead_image_study_id_case_study"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("study_id", name=op.f("pk_lead_image")),
        sa.UniqueConstraint("attachment_id", name=op.f("uq_lead_image_attachment_id")),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column("case_study", "government_type", type_=sa.String(24))
        op.drop_constraint(op.f("ck_case_study_governmenttype"), "case_study", type_="check")
        op.create_check_constraint(
            op.f("ck_case_study_governmenttype"), "case_study", f"government_type IN ({NEW_TYPES})"
        )
        op.create_check_constraint(
            op.f("ck_case_study_population_not_negative"), "case_study", "population >= 0"
        )
    else:
        _edit_sqlite_definition(
            [
                (f"government_type IN ({OLD_TYPES})", f"government_type IN ({NEW_TYPES})"),
                ("government_type VARCHAR(16)", "government_type VARCHAR(24)"),
            ],
            add=POPULATION_CHECK,
        )


def downgrade():
    # Types that did not exist before become "other", which every version accepts.
    op.execute(
        "UPDATE case_study SET government_type = 'other' "
        "WHERE government_type IN ('consolidated_city_county', 'federal_district')"
    )
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint(op.f("ck_case_study_population_not_negative"), "case_study", type_="check")
        op.drop_constraint(op.f("ck_case_study_governmenttype"), "case_study", type_="check")
        op.create_check_constraint(
            op.f("ck_case_study_governmenttype"), "case_study", f"government_type IN ({OLD_TYPES})"
        )
        op.alter_column("case_study", "government_type", type_=sa.String(16))
    else:
        _edit_sqlite_definition(
            [
                (f"government_type IN ({NEW_TYPES})", f"government_type IN ({OLD_TYPES})"),
                ("government_type VARCHAR(24)", "government_type VARCHAR(16)"),
                (f", \n\t{POPULATION_CHECK}", ""),
            ]
        )
    op.drop_table("lead_image")
    op.drop_index(op.f("ix_image_rendition_attachment_id"), table_name="image_rendition")
    op.drop_table("image_rendition")
    op.drop_index("ix_study_pillar_pillar_id", table_name="study_pillar")
    op.drop_table("study_pillar")
    with op.batch_alter_table("case_study", recreate="never") as batch:
        batch.drop_column("population")


def _edit_sqlite_definition(replacements, add: str = "") -> None:
    """Rewrite case_study's stored CREATE TABLE: each (old, new) must be found exactly once."""
    bind = op.get_bind()
    sql = bind.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'case_study'"
    ).scalar_one()
    for old, new in replacements:
        if sql.count(old) != 1:
            raise RuntimeError(f"case_study's definition does not hold {old!r} once")
        sql = sql.replace(old, new)
    if add:
        sql = sql.rstrip().removesuffix(")").rstrip() + f", \n\t{add}\n)"
    version = bind.exec_driver_sql("PRAGMA schema_version").scalar_one()
    bind.exec_driver_sql("PRAGMA writable_schema = ON")
    bind.exec_driver_sql(
        "UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = 'case_study'", (sql,)
    )
    bind.exec_driver_sql(f"PRAGMA schema_version = {version + 1}")
    bind.exec_driver_sql("PRAGMA writable_schema = OFF")
    if bind.exec_driver_sql("PRAGMA integrity_check").scalar_one() != "ok":
        raise RuntimeError("case_study's edited definition fails SQLite's integrity check")
