"""attachment bytes in the database (stored_file, stored_chunk); files under UPLOAD_FOLDER moved in

Revision ID: 0003_ops_attachment_store
Revises: 0002
Create Date: 2026-12-02

Every file already under UPLOAD_FOLDER (laid out as <key[:2]>/<key>) is copied into the new
tables when the configured store is the database; the files themselves are left in place, so
nothing is lost if the upgrade is rolled back. With S3 configured, run `flask attachments
import` instead. Written without the application's models, so later model changes cannot
change what this migration did.
"""

import os
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision = "0003_ops_attachment_store"
down_revision = "0003_field_working_copy"
branch_labels = None
depends_on = None

CHUNK = 256 * 1024


def upgrade():
    op.create_table(
        "stored_file",
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("chunks", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_stored_file")),
    )
    op.create_table(
        "stored_chunk",
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["key"], ["stored_file.key"],
            name=op.f("fk_stored_chunk_key_stored_file"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("key", "seq", name=op.f("pk_stored_chunk")),
    )
    folder = _upload_folder()
    if folder is not None and folder.is_dir():
        _copy_files(folder)


def downgrade():
    op.drop_table("stored_chunk")
    op.drop_table("stored_file")


def _upload_folder() -> Path | None:
    from flask import current_app, has_app_context

    if not has_app_context() or current_app.config.get("ATTACHMENT_STORE") != "database":
        return None
    return Path(current_app.config["UPLOAD_FOLDER"])


def _copy_files(folder: Path) -> None:
    bind = op.get_bind()
    files = sa.table(
        "stored_file", sa.column("key"), sa.column("size"), sa.column("chunks"),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )
    chunks = sa.table("stored_chunk", sa.column("key"), sa.column("seq"), sa.column("data"))
    now = datetime.now(UTC)
    if bind.dialect.name == "sqlite":  # as models.clock.UTCDateTime stores it
        now = now.replace(tzinfo=None)
    for path in sorted(folder.glob("??/*")):
        key = path.name
        if not path.is_file() or path.suffix == ".part" or path.parent.name != key[:2]:
            continue
        size = seq = 0
        bind.execute(files.insert().values(key=key, size=0, chunks=0, created_at=now))
        with open(path, "rb") as fh:
            while data := fh.read(CHUNK):
                bind.execute(chunks.insert().values(key=key, seq=seq, data=data))
                size += len(data)
                seq += 1
        if size != os.path.getsize(path):
            raise RuntimeError(f"{path} changed while it was copied; run the upgrade again")
        bind.execute(files.update().where(files.c.key == key).values(size=size, chunks=seq))
