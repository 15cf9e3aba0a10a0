"""Co-chair review: numbered rounds, one review per co-chair per round, feedback items."""

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import db
from models.clock import UTCDateTime, utcnow
from models.enums import FeedbackLevel, FeedbackSource, Recommendation, Section, enum_type


class Round(db.Model):
    """Round n of co-chair review, opened by a submission and closed by a decision."""

    id: Mapped[int] = mapped_column(primary_key=True)
    study_id: Mapped[int] = mapped_column(
        sa.ForeignKey("case_study.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int]
    revision_id: Mapped[int | None] = mapped_column(sa.ForeignKey("revision.id"))
    opened_at: Mapped[object] = mapped_column(UTCDateTime(), default=utcnow)
    due_at: Mapped[object] = mapped_column(UTCDateTime())
    decided_at: Mapped[object | None] = mapped_column(UTCDateTime())
    decision: Mapped[Recommendation | None] = mapped_column(enum_type(Recommendation))
    tally: Mapped[dict | None] = mapped_column(sa.JSON)
    due_soon_reminded_at: Mapped[object | None] = mapped_column(UTCDateTime())
    overdue_reminded_at: Mapped[object | None] = mapped_column(UTCDateTime())
    escalated_at: Mapped[object | None] = mapped_column(UTCDateTime())

    revision = relationship("Revision")
    reviews = relationship(
        "Review", back_populates="round", cascade="all, delete-orphan", order_by="Review.created_at"
    )

    __table_args__ = (
        sa.UniqueConstraint("study_id", "number", name="uq_round_study_number"),
        sa.CheckConstraint("(decision IS NULL) = (decided_at IS NULL)", name="decision_has_date"),
        # The open rounds by due date (reminders, overdue lists): decided rounds are most rows.
        sa.Index(
            "ix_round_open_due",
            "due_at",
            postgresql_where=sa.text("decided_at IS NULL"),
            sqlite_where=sa.text("decided_at IS NULL"),
        ),
    )


class Review(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("round.id", ondelete="CASCADE"))
    reviewer_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    recommendation: Mapped[Recommendation] = mapped_column(enum_type(Recommendation))
    comment: Mapped[str] = mapped_column(sa.Text, default="")
    # Set when staff recorded this review in place of the co-chairs.
    override_reason: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[object] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[object] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    round = relationship("Round", back_populates="reviews")
    reviewer = relationship("User")
    items = relationship(
        "FeedbackItem",
        back_populates="review",
        cascade="all, delete-orphan",
        order_by="FeedbackItem.position",
    )

    __table_args__ = (
        sa.UniqueConstraint("round_id", "reviewer_id", name="uq_review_round_reviewer"),
    )


class FeedbackItem(db.Model):
    """One point of feedback tied to a section, answered by the authors before resubmitting."""

    __tablename__ = "feedback_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("review.id", ondelete="CASCADE"), index=True
    )
    # Objections carried back from network affirmation belong to the round, not a review.
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("round.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    section: Mapped[Section] = mapped_column(enum_type(Section))
    level: Mapped[FeedbackLevel] = mapped_column(
        enum_type(FeedbackLevel), default=FeedbackLevel.required
    )
    body: Mapped[str] = mapped_column(sa.Text)
    source: Mapped[FeedbackSource] = mapped_column(
        enum_type(FeedbackSource, length=20), default=FeedbackSource.review
    )
    response: Mapped[str | None] = mapped_column(sa.Text)
    responded_at: Mapped[object | None] = mapped_column(UTCDateTime())
    responded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))

    review = relationship("Review", back_populates="items")


class Conflict(db.Model):
    """A co-chair's declared conflict of interest: excluded from this study's quorum."""

    id: Mapped[int] = mapped_column(primary_key=True)
    study_id: Mapped[int] = mapped_column(
        sa.ForeignKey("case_study.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    reason: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[object] = mapped_column(UTCDateTime(), default=utcnow)

    user = relationship("User")

    __table_args__ = (sa.UniqueConstraint("study_id", "user_id", name="uq_conflict_study_user"),)
