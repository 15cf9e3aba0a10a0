"""Attachment bytes kept in the database, in chunks, so every web machine can serve them."""

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from models.base import db
from models.clock import UTCDateTime, utcnow


class StoredFile(db.Model):
    """One stored file: its key (an attachment's storage_key), size and number of chunks."""

    __tablename__ = "stored_file"

    key: Mapped[str] = mapped_column(sa.String(100), primary_key=True)
    size: Mapped[int] = mapped_column(sa.BigInteger)
    chunks: Mapped[int]
    created_at: Mapped[object] = mapped_column(UTCDateTime(), default=utcnow)


class StoredChunk(db.Model):
    """One chunk of a stored file; read one at a time, so a download never holds the whole."""

    __tablename__ = "stored_chunk"

    key: Mapped[str] = mapped_column(
        sa.ForeignKey("stored_file.key", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    data: Mapped[bytes] = mapped_column(sa.LargeBinary)
