"""The audit log: immutable events, one per transition or administrative change; and the
stays in each state those transitions ended, counted as they happen."""

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import db
from models.clock import UTCDateTime, utcnow
from models.enums import StudyState, enum_type


class AuditEvent(db.Model):
    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[object] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    # None when the system acted (a deadline, a quorum reached).
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"), index=True)
    study_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("case_study.id", ondelete="SET NULL"), index=True
    )
    event: Mapped[str] = mapped_column(sa.String(40), index=True)
    from_state: Mapped[StudyState | None] = mapped_column(
        enum_type(StudyState, length=20, name="from_state")
    )
    to_state: Mapped[StudyState | None] = mapped_column(
        enum_type(StudyState, length=20, name="to_state")
    )
    round_number: Mapped[int | None]
    comment: Mapped[str] = mapped_column(sa.Text, default="")
    # Set when staff acted in place of a co-chair: the recorded reason.
    override_reason: Mapped[str | None] = mapped_column(sa.Text)
    data: Mapped[dict | None] = mapped_column(sa.JSON)

    actor = relationship("User")

    __table_args__ = (
        # A study's history in order: the dashboard's stays in each state, the timeline.
        sa.Index("ix_audit_event_study_created", "study_id", "created_at", "id"),
    )


class StayCount(db.Model):
    """How many stays in `state` ended on the UTC day `left_on` after `tenths` tenths of a day.

    A histogram the workflow adds one to at every move, in the move's transaction (and that
    migration 0013 filled from the audit log): the dashboard's median days in each state reads
    the last 90 days of it, a few hundred rows however many studies moved.
    """

    __tablename__ = "stay_count"

    left_on: Mapped[object] = mapped_column(sa.Date, primary_key=True)
    state: Mapped[StudyState] = mapped_column(enum_type(StudyState), primary_key=True)
    tenths: Mapped[int] = mapped_column(primary_key=True)
    stays: Mapped[int] = mapped_column(default=0)


@event.listens_for(AuditEvent, "before_update")
def _refuse_update(mapper, connection, target):
    raise ValueError("audit events are immutable")


@event.listens_for(AuditEvent, "before_delete")
def _refuse_delete(mapper, connection, target):
    raise ValueError("audit events are immutable")
