"""Network affirmation: a window per opening, one vote per eligible member, feedback comments."""

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import db
from models.clock import UTCDateTime, utcnow
from models.enums import VoteChoice, WindowResult, enum_type


class AffirmationWindow(db.Model):
    __tablename__ = "affirmation_window"

    id: Mapped[int] = mapped_column(primary_key=True)
    study_id: Mapped[int] = mapped_column(
        sa.ForeignKey("case_study.id", ondelete="CASCADE"), index=True
    )
    round_number: Mapped[int]
    opened_at: Mapped[object] = mapped_column(UTCDateTime(), default=utcnow)
    closes_at: Mapped[object] = mapped_column(UTCDateTime(), index=True)
    closed_at: Mapped[object | None] = mapped_column(UTCDateTime())
    # affirmed or returned, once closed
    result: Mapped[WindowResult | None] = mapped_column(enum_type(WindowResult, length=20))
    affirm_count: Mapped[int | None]
    object_count: Mapped[int | None]
    reminder_sent_at: Mapped[object | None] = mapped_column(UTCDateTime())

    votes = relationship("Vote", back_populates="window", cascade="all, delete-orphan")
    comments = relationship(
        "Comment",
        back_populates="window",
        cascade="all, delete-orphan",
        order_by="Comment.created_at",
    )

    __table_args__ = (
        sa.CheckConstraint("(closed_at IS NULL) = (result IS NULL)", name="closed_has_result"),
        # The open windows by deadline (the sweep's closes and reminders, closing soon).
        sa.Index(
            "ix_affirmation_window_open_closes",
            "closes_at",
            postgresql_where=sa.text("closed_at IS NULL"),
            sqlite_where=sa.text("closed_at IS NULL"),
        ),
    )


class Vote(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    window_id: Mapped[int] = mapped_column(
        sa.ForeignKey("affirmation_window.id", ondelete="CASCADE")
    )
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    choice: Mapped[VoteChoice] = mapped_column(enum_type(VoteChoice))
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[object] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[object] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    window = relationship("AffirmationWindow", back_populates="votes")
    user = relationship("User")

    __table_args__ = (
        sa.UniqueConstraint("window_id", "user_id", name="uq_vote_window_user"),
        # A window's tally counts its votes per choice from this index alone (0007_perf).
        sa.Index("ix_vote_window_choice", "window_id", "choice"),
        sa.CheckConstraint("choice <> 'object' OR length(reason) > 0", name="objection_reason"),
    )


class Comment(db.Model):
    """Network feedback on a study during its affirmation window; replies point to a parent."""

    id: Mapped[int] = mapped_column(primary_key=True)
    window_id: Mapped[int] = mapped_column(
        sa.ForeignKey("affirmation_window.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("comment.id"))
    body_md: Mapped[str] = mapped_column(sa.Text)
    body_html: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[object] = mapped_column(UTCDateTime(), default=utcnow)

    window = relationship("AffirmationWindow", back_populates="comments")
    author = relationship("User")
