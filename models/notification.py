"""The outbox: one row per email, written in the transaction of the event that causes it, and
one broadcast row per email to a whole audience (the fan-out's intent and its progress)."""

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import db
from models.clock import UTCDateTime, utcnow
from models.enums import NotificationCategory, NotificationStatus, Transport, enum_type


class Notification(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    # One row per (event, person, kind): re-running a fan-out creates nothing new.
    dedupe_key: Mapped[str] = mapped_column(sa.String(200), unique=True)
    recipient_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"), index=True)
    email: Mapped[str] = mapped_column(sa.String(254))
    # The template name under templates/email/.
    kind: Mapped[str] = mapped_column(sa.String(60), index=True)
    category: Mapped[NotificationCategory] = mapped_column(enum_type(NotificationCategory))
    study_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("case_study.id", ondelete="SET NULL"), index=True
    )
    context: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    status: Mapped[NotificationStatus] = mapped_column(
        enum_type(NotificationStatus), default=NotificationStatus.pending, index=True
    )
    # Network rows for people on the daily digest wait for it instead of going out alone.
    is_digest: Mapped[bool] = mapped_column(default=False)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[object | None] = mapped_column(UTCDateTime())
    lease_until: Mapped[object | None] = mapped_column(UTCDateTime())
    message_id: Mapped[str] = mapped_column(sa.String(200))
    subject: Mapped[str | None] = mapped_column(sa.String(300))
    # The recipient's language when the row was written: the subject is in it, the body will be.
    locale: Mapped[str] = mapped_column(sa.String(8), default="en", server_default="en")
    body_text: Mapped[str | None] = mapped_column(sa.Text)
    body_html: Mapped[str | None] = mapped_column(sa.Text)
    transport: Mapped[Transport | None] = mapped_column(enum_type(Transport, length=10))
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    # Set just before the message's DATA goes to SMTP, cleared with the server's reply: a row
    # found with it set was caught in between, and SMTP may have accepted it.
    handed_at: Mapped[object | None] = mapped_column(UTCDateTime())
    # Set when such a row is sent again: the person may get it twice.
    is_ambiguous: Mapped[bool] = mapped_column(default=False)
    broadcast_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("broadcast.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[object] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    sent_at: Mapped[object | None] = mapped_column(UTCDateTime())

    recipient = relationship("User")
    study = relationship("CaseStudy")

    __table_args__ = (
        sa.CheckConstraint("(status = 'sent') = (sent_at IS NOT NULL)", name="sent_has_date"),
        # The outbox per status with its oldest row (dashboard, notifications page, failed list).
        sa.Index("ix_notification_status_created", "status", "created_at"),
        # The people with rows held for their digest: none most of the time (0014_perf2). The
        # query says `is_digest = true` (not IS), so both engines see that this index applies.
        sa.Index(
            "ix_notification_digest_held",
            "recipient_id",
            postgresql_where=sa.text("status = 'pending' AND is_digest = true"),
            sqlite_where=sa.text("status = 'pending' AND is_digest = 1"),
        ),
    )


class Broadcast(db.Model):
    """One email to a whole audience, owed since the event that wrote this row.

    The audience is a declared name with parameters (review.broadcasts), not a list, so the
    row stays small whatever the network's size. Progress moves in the same commit as each
    batch of rows the job writes: a job that dies resumes after `last_person_id`.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    # kind:audience:event, so the same event never owes the same broadcast twice.
    dedupe_key: Mapped[str] = mapped_column(sa.String(200), unique=True)
    # The template name under templates/email/, as for a Notification.
    kind: Mapped[str] = mapped_column(sa.String(60))
    audience: Mapped[str] = mapped_column(sa.String(60))
    params: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    event_key: Mapped[str] = mapped_column(sa.String(120))
    category: Mapped[NotificationCategory] = mapped_column(enum_type(NotificationCategory))
    study_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("case_study.id", ondelete="SET NULL"), index=True
    )
    subject: Mapped[str] = mapped_column(sa.String(300))
    context: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    last_person_id: Mapped[int] = mapped_column(default=0)
    rows_written: Mapped[int] = mapped_column(default=0)
    rows_sent: Mapped[int] = mapped_column(default=0)
    runs: Mapped[int] = mapped_column(default=0)
    lease_until: Mapped[object | None] = mapped_column(UTCDateTime())
    created_at: Mapped[object] = mapped_column(UTCDateTime(), default=utcnow)
    started_at: Mapped[object | None] = mapped_column(UTCDateTime())
    # Every row of the audience is written (the walk reached its end).
    written_at: Mapped[object | None] = mapped_column(UTCDateTime())
    # Written, and no row of it waits for a first attempt.
    finished_at: Mapped[object | None] = mapped_column(UTCDateTime(), index=True)
    last_error: Mapped[str | None] = mapped_column(sa.Text)

    study = relationship("CaseStudy")

    __table_args__ = (
        sa.CheckConstraint(
            "finished_at IS NULL OR written_at IS NOT NULL", name="finished_after_written"
        ),
    )
