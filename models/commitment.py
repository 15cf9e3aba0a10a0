"""Officials who have committed to the Dare to Reimagine agenda."""

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import db
from models.clock import UTCDateTime, utcnow
from models.enums import CommitmentSource, enum_type


class Commitment(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    # Members commit themselves; staff may add or import officials without an account.
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    office: Mapped[str] = mapped_column(sa.String(160), default="")
    jurisdiction: Mapped[str] = mapped_column(sa.String(160), default="")
    us_state: Mapped[str] = mapped_column(sa.String(2), index=True)
    committed_at: Mapped[object] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    source: Mapped[CommitmentSource] = mapped_column(
        enum_type(CommitmentSource, length=10), default=CommitmentSource.self_
    )

    user = relationship("User", foreign_keys=[user_id])
