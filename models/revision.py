"""Immutable revisions: a frozen copy of everything in a study, numbered 1, 2, …"""

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import db
from models.clock import UTCDateTime, utcnow
from models.enums import RevisionReason, enum_type


class Revision(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    study_id: Mapped[int] = mapped_column(
        sa.ForeignKey("case_study.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int]
    # submit, resubmit or correction
    reason: Mapped[RevisionReason] = mapped_column(enum_type(RevisionReason, length=20))
    content: Mapped[dict] = mapped_column(sa.JSON)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[object] = mapped_column(UTCDateTime(), default=utcnow)

    created_by = relationship("User")

    __table_args__ = (sa.UniqueConstraint("study_id", "number", name="uq_revision_study_number"),)


@event.listens_for(Revision, "before_update")
def _refuse_update(mapper, connection, target):
    raise ValueError("revisions are immutable")
