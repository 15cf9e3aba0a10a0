"""What a person typed and has not yet made count: a study's fields that do not validate yet,
or a co-chair's review saved as a draft. Kept per person, never shown to anyone else."""

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from models.base import db
from models.clock import UTCDateTime, utcnow


class WorkingCopy(db.Model):
    __tablename__ = "working_copy"

    id: Mapped[int] = mapped_column(primary_key=True)
    # "study": the editor's fields of study `object_id`; "review": a draft review of round
    # `object_id`.
    kind: Mapped[str] = mapped_column(sa.String(20))
    object_id: Mapped[int]
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    # The posted fields as a list of [name, value] pairs (names may repeat), as typed.
    fields: Mapped[list] = mapped_column(sa.JSON)
    saved_at: Mapped[object] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (
        sa.UniqueConstraint("kind", "object_id", "user_id", name="uq_working_copy_owner"),
        sa.CheckConstraint("kind IN ('study', 'review')", name="kind_known"),
    )
